/**
 * The audit's words for a breach's obligations: the regimes it opened under with the obligations
 * they gave it, anchors and submissions as they were recorded, reminders, the end of holds whose
 * period ran out, and how each obligation stood when the breach closed.
 */
import type { BreachRegimes, BreachWorkflowInput } from '../domain/breach';
import { holdLapses } from '../domain/hold-regimes';
import type { Hold } from '../domain/holds';
import { countingFrom, type ObligationView } from '../domain/obligations';
import { BreachRecord } from '../workflows/breach-record';
import type { AnchorEvent } from '../domain/regimes/rule-pack';
import { holdFields, obligationFields, timingFields, type Described } from './entry-fields';

/** The regimes a breach opened under and what each obligation was then, evaluated by the breach's own record. */
export function regimesOpened(input: BreachWorkflowInput & { regimes: BreachRegimes }): Described {
  const { regimes, facts } = input;
  const opened = new Date(facts.awareAt);
  const record = new BreachRecord(input);
  if (input.initialAssessment) record.assess(input.initialAssessment, opened);
  const views = record.obligationViews(opened)!;
  const residents = regimes.residents ? `; residents ${Object.entries(regimes.residents).map(([code, n]) => `${code} ${n}`).join(', ')}` : '';
  const types = regimes.dataTypes ? `; data types ${regimes.dataTypes.join(', ')}` : '; data types not stated (every trigger on them counts as met)';
  const ids = regimes.packs.map((p) => p.id);
  return { kind: 'regimes', summary: `regimes ${ids.join(', ')}${residents}${types}; obligations at opening: ${views.map(describeObligation).join('; ')}`, fields: { regimes: ids } };
}

export function describeObligation(v: ObligationView): string {
  const deadline = v.deadline ? ` by ${v.deadline}` : '';
  if (v.status === 'done') return `${v.id} done ${v.completion!.at} (${v.completion!.reference}), ${v.completion!.onTime ? 'on time' : `LATE; reason: ${v.completion!.lateReason ?? 'none given'}`}`;
  if (v.status === 'not-required') return `${v.id} not required: ${v.reason}`;
  return `${v.id} ${v.status}${deadline}${v.reason && v.status !== 'due' && v.status !== 'late' ? ` (${v.reason})` : ''}`;
}

export function anchorRecorded(request: Record<string, unknown>, views: ObligationView[] | undefined): Described {
  const reason = typeof request.reason === 'string' ? `: ${request.reason}` : '';
  const starts = countingFrom(views ?? [], request.event as AnchorEvent);
  const started = starts.length ? `; now due: ${starts.map((v) => `${v.id} by ${v.deadline}`).join(', ')}` : '';
  return { kind: 'anchor-recorded', summary: `${request.event} recorded as at ${request.at}${reason}${started}` };
}

export function obligationRecorded(view: ObligationView): Described {
  if (view.status === 'not-required') return { kind: 'obligation-not-required', summary: `${view.id} (${view.citation}) ${view.reason}`, fields: obligationFields(view) };
  const timing = view.completion ? timingFields(view.completion.at, view.completion.onTime, view.completion.lateReason) : {};
  return {
    kind: 'obligation-done',
    summary: `${describeObligation(view)}; notice to ${view.recipient} (${view.citation})${view.deadline ? `, due ${view.deadline}` : ''}`,
    fields: { ...obligationFields(view), ...timing },
  };
}

/** A hold as the audit followed it: as placed (in which run and event), and when a statement or release ended its first period. */
export interface TrackedHold {
  placed: Hold;
  where: { runId: string; eventId: string };
  statementAt?: string;
  releasedAt?: string;
}

/**
 * When a hold stopped delaying a regime's notices because its period ran out: computed from the
 * hold as placed, its written statement and its release, as the breach's timer did.
 */
export function holdLapseEntries(input: BreachWorkflowInput, holds: Map<string, TrackedHold>, until: string): (Described & TrackedHold['where'] & { at: string })[] {
  const packs = input.regimes?.packs;
  if (!packs) return [];
  const entries: (Described & TrackedHold['where'] & { at: string })[] = [];
  for (const { placed, statementAt, releasedAt, where } of holds.values()) {
    for (const lapse of holdLapses(placed, packs)) {
      const at = lapse.at.toISOString();
      const stoppedBefore = [statementAt, releasedAt].some((t) => t !== undefined && t < at);
      if (stoppedBefore || at > until) continue;
      entries.push({
        at,
        ...where,
        kind: 'hold-lapsed',
        summary: `${placed.holdId} (${placed.agency}, case ${placed.caseRef}, ${placed.form}) stopped delaying ${lapse.regime} notices: its period ended without a written statement`,
        fields: { ...holdFields(placed), regimes: [lapse.regime] },
      });
    }
  }
  return entries;
}
