import { tsToDate } from '@temporalio/common/lib/time';
import type { BreachWorkflowInput } from '../domain/breach';
import type { SubjectFinished } from '../domain/cascade';
import type { Hold } from '../domain/holds';
import { firstPayload, observeRuns, UpdatePairing, type HistoryEvent, type HistoryObserver, type RunHistory } from './history-events';
import type { AuditEntry } from './timeline';

/** Something an auditor would raise about a breach's record. */
export interface Finding {
  code: 'missing-art33-element' | 'late-without-reason' | 'hold-without-case-reference' | 'hold-past-review' | 'subjects-without-final-state' | 'contacted-during-hold';
  detail: string;
}

/** When the workflow decided to send to a person on one channel: all the findings need of a subject's history. */
export interface Send {
  channel: string;
  at: number;
}

const SEND_ACTIVITIES = new Set(['sendNoticeEmail', 'sendNoticeFax', 'sendNoticeLetter']);

/** The send an event of a NotifyIndividual history records, if it records one. */
export function sendOf(event: HistoryEvent): Send | undefined {
  const type = event.activityTaskScheduledEventAttributes?.activityType?.name;
  if (!type || !SEND_ACTIVITIES.has(type)) return undefined;
  return { channel: type.replace('sendNotice', '').toLowerCase(), at: tsToDate(event.eventTime!).getTime() };
}

/**
 * The completeness checks of an audit, for histories already in memory. `subjectRuns` holds the
 * histories of the breach's NotifyIndividual workflows, so that every send can be checked against
 * the holds.
 */
export function findings(runs: RunHistory[], entries: AuditEntry[], subjectRuns: Map<string, RunHistory[]>, now: Date): Finding[] {
  const collector = new FindingsCollector();
  observeRuns(runs, collector);
  for (const [subjectId, histories] of subjectRuns) {
    collector.addSends(subjectId, histories.flatMap((run) => run.events.map(sendOf).filter((send) => send !== undefined)));
  }
  return collector.findings(entries, now);
}

interface HoldInForce {
  hold: Hold;
  from: number;
  /** Unset while the hold is active. */
  to?: number;
}

/**
 * Collects what the findings need while the breach's history streams past (the report's facts,
 * the holds, which subjects were started and which finished), and each subject's sends: nobody may
 * be contacted while a hold is active, and this check is the proof.
 */
export class FindingsCollector implements HistoryObserver {
  private input?: BreachWorkflowInput;
  private readonly holds = new Map<string, HoldInForce>();
  private readonly startedChildren = new Set<string>();
  private readonly finishedSubjects = new Set<string>();
  private readonly sends = new Map<string, Send[]>();
  private runIndex = -1;
  private updates = new UpdatePairing();

  observe(_runId: string, runIndex: number, event: HistoryEvent): void {
    if (runIndex !== this.runIndex) {
      this.runIndex = runIndex;
      this.updates = new UpdatePairing();
    }
    const started = event.workflowExecutionStartedEventAttributes;
    if (started && runIndex === 0) this.input = firstPayload<BreachWorkflowInput>(started.input);

    const child = event.startChildWorkflowExecutionInitiatedEventAttributes;
    if (child?.workflowId) this.startedChildren.add(child.workflowId);

    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName === 'subjectFinished') this.finishedSubjects.add(firstPayload<SubjectFinished>(signal.input)?.subjectId ?? '');

    const update = this.updates.observe(event);
    if (update?.result && (update.name === 'placeHold' || update.name === 'releaseHold')) {
      this.observeHold(update.name, update.result as Hold, tsToDate(event.eventTime!).getTime());
    }
  }

  /** A subject's sends, in the order the findings should list them. */
  addSends(subjectId: string, sends: Send[]): void {
    this.sends.set(subjectId, sends);
  }

  findings(entries: AuditEntry[], now: Date): Finding[] {
    return [
      ...this.missingArt33Elements(),
      ...lateWithoutReason(entries),
      ...this.holdFindings(now),
      ...this.subjectsWithoutFinalState(),
      ...this.contactedDuringHold(now),
    ];
  }

  private observeHold(name: 'placeHold' | 'releaseHold', hold: Hold, at: number): void {
    if (name === 'placeHold') this.holds.set(hold.holdId, { hold, from: at });
    else {
      const placed = this.holds.get(hold.holdId);
      if (placed) this.holds.set(hold.holdId, { hold, from: placed.from, to: at });
    }
  }

  private missingArt33Elements(): Finding[] {
    if (!this.input) return [];
    const f = this.input.facts;
    const required: [string, boolean][] = [
      ['nature of the breach (description)', !f.description?.trim()],
      ['categories of personal data', !f.dataCategories?.length],
      ['approximate number of data subjects', !(f.approxSubjects >= 0)],
      ['approximate number of records', !(f.approxRecords >= 0)],
      ['contact point', !f.contactPoint?.trim()],
      ['likely consequences', !f.likelyConsequences?.trim()],
      ['measures taken or proposed', !f.measures?.trim()],
    ];
    return required.filter(([, missing]) => missing).map(([element]) => ({ code: 'missing-art33-element', detail: `the authority report lacks: ${element}` }));
  }

  private holdFindings(now: Date): Finding[] {
    const found: Finding[] = [];
    for (const { hold } of this.holds.values()) {
      if (!hold.caseRef?.trim()) found.push({ code: 'hold-without-case-reference', detail: `${hold.holdId} (${hold.agency}) has no case reference` });
      if (!hold.release && hold.reviewAt && Date.parse(hold.reviewAt) < now.getTime()) {
        found.push({ code: 'hold-past-review', detail: `${hold.holdId} (${hold.agency}) is still active past its review date ${hold.reviewAt}` });
      }
    }
    return found;
  }

  private subjectsWithoutFinalState(): Finding[] {
    const started = this.startedChildren.size;
    const finished = this.finishedSubjects.size;
    return started > finished ? [{ code: 'subjects-without-final-state', detail: `${started - finished} of ${started} subjects have no final state` }] : [];
  }

  /** Every send of every subject checked against the time each hold was in force; an active hold is in force until now. */
  private contactedDuringHold(now: Date): Finding[] {
    const holds = [...this.holds.values()];
    const found: Finding[] = [];
    for (const [subjectId, sends] of this.sends) {
      for (const sent of sends) {
        const during = holds.find((h) => sent.at >= h.from && sent.at < (h.to ?? now.getTime()));
        if (during) {
          found.push({ code: 'contacted-during-hold', detail: `subject ${subjectId} was contacted by ${sent.channel} at ${new Date(sent.at).toISOString()} while ${during.hold.holdId} was active` });
        }
      }
    }
    return found;
  }
}

function lateWithoutReason(entries: AuditEntry[]): Finding[] {
  return entries
    .filter((e) => e.kind === 'authority-notified' && /LATE; reason: none given/.test(e.summary))
    .map((notice) => ({ code: 'late-without-reason', detail: `late authority notice at ${notice.at} without reasons for the delay` }));
}
