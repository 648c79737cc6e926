import type { Assessment, BreachWorkflowInput } from '../domain/breach';
import { describeSeverity } from '../domain/severity';
import type { DeliveryReport } from '../domain/cascade';
import { individualCounts, type FanOutProgress } from '../domain/fan-out';
import type { Hold } from '../domain/holds';
import type { Channel } from '../domain/individuals';
import type { BreachSummary } from '../domain/status';
import type { MailActivities } from '../activities/mail-activities';
import { authorityReportAsSent, type AuthorityNotice, type AuthorityReportRequest, type AuthorityReportSent, type Supplement } from '../domain/authority-notice';
import type { RosterActivities } from '../activities/roster-activities';
import {
  assessUpdate,
  closeUpdate,
  placeHoldUpdate,
  provideLateReasonUpdate,
  recordPortalSubmissionUpdate,
  releaseHoldUpdate,
  resolveSubjectUpdate,
  reviewHoldUpdate,
  retryCohortUpdate,
  recordAnchorUpdate,
  recordHoldStatementUpdate,
  recordObligationUpdate,
  supplementAuthorityReportUpdate,
} from '../workflows/messages/breach';
import type { ObligationView } from '../domain/obligations';
import { anchorRecorded, describeObligation, holdLapseEntries, obligationRecorded, regimesOpened, type TrackedHold } from './obligation-entries';
import { holdFields, obligationFields, timingFields, type Described } from './entry-fields';
import type { CohortRetried } from '../domain/cohort-recovery';
import { ignoredSignal } from './ignored-signals';
import { CohortHistory, type CohortFact, type CohortObserver, type Where } from './cohort-events';
import { AUDIT_SCHEMA_VERSION, entriesSha256, type AuditEntry, type AuditExport, type Finding } from './export-schema';
import { authorityDeadline } from '../domain/deadline';
import { ActivityPairing, firstPayload, observeRuns, timeOf, UpdatePairing, type HistoryEvent, type HistoryObserver, type RunHistory } from './history-events';

/** The breach's own activities the timeline describes, checked against the activities' definitions. */
export const AUTHORITY_REPORT_ACTIVITY = 'sendAuthorityReport' satisfies keyof MailActivities;
const RESPONDER_REMINDER_ACTIVITY = 'sendResponderReminder' satisfies keyof MailActivities;
const HOLD_REVIEW_REMINDER_ACTIVITY = 'sendHoldReviewReminder' satisfies keyof MailActivities;
const OBLIGATION_REMINDER_ACTIVITY = 'sendObligationReminder' satisfies keyof MailActivities;
const HOLD_LAPSE_REMINDER_ACTIVITY = 'sendHoldLapseReminder' satisfies keyof MailActivities;
export const PLAN_COHORTS_ACTIVITY = 'planCohorts' satisfies keyof RosterActivities;

interface ScheduledActivity {
  type: string;
  input: Record<string, unknown> | undefined;
}

/** What pairs events within one run: update requests with their outcomes, activities with their results. */
interface RunState {
  runId: string;
  runIndex: number;
  updates: UpdatePairing;
  activities: ActivityPairing<ScheduledActivity>;
}

function newRun(runId: string, runIndex: number): RunState {
  return { runId, runIndex, updates: new UpdatePairing(), activities: new ActivityPairing((type, scheduled) => ({ type, input: firstPayload(scheduled.input) })) };
}

/**
 * The timeline of histories that are already in memory: the breach's runs, and each cohort's runs
 * by cohort number.
 */
export function buildTimeline(runs: RunHistory[], cohortRuns = new Map<number, RunHistory[]>()): AuditEntry[] {
  const breach = new TimelineBuilder();
  observeRuns(runs, breach);
  const cohorts = [...cohortRuns.keys()].sort((a, b) => a - b).map((cohort) => {
    const timeline = new CohortTimeline(cohort);
    observeRuns(cohortRuns.get(cohort)!, new CohortHistory([timeline]));
    return timeline;
  });
  return timelineEntries(breach, cohorts);
}

/**
 * The whole timeline: the breach's entries and its cohorts' in the order they happened (entries
 * at the same instant keep the breach first, then the cohorts by number, so the order and the
 * hash are the same on every read), closed by the per-channel totals once the fan-out has started.
 */
export function timelineEntries(breach: TimelineBuilder, cohorts: CohortTimeline[]): AuditEntry[] {
  const entries = breach.entries().concat(...cohorts.map((cohort) => cohort.entries));
  // Array sort is stable: equal times keep the order above.
  entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  if (!breach.fanOutStarted && cohorts.length === 0) return entries;
  const counts = { started: 0, 'notified-email': 0, 'notified-fax': 0, 'notified-postal': 0, unreachable: 0 };
  for (const cohort of cohorts) for (const key of Object.keys(counts) as (keyof typeof counts)[]) counts[key] += cohort.counts[key];
  entries.push({
    at: entries[entries.length - 1]!.at,
    runId: breach.lastRunId,
    eventId: 'totals',
    kind: 'individual-totals',
    summary: `${counts.started} subjects started; notified by email ${counts['notified-email']}, by fax ${counts['notified-fax']}, by post ${counts['notified-postal']}; unreachable ${counts.unreachable}`,
  });
  return entries;
}

/**
 * Reconstructs the domain timeline of a breach from Temporal's own event histories, run after
 * run: what was asked (updates, with the acting person and the client identity) and what the
 * engine did (activities: the authority report, reminders; the start of the fan-out). What
 * happened to the individuals is in the cohorts' histories (see CohortTimeline). It keeps the
 * entries, not the events, so a history of any length streams through it.
 */
export class TimelineBuilder implements HistoryObserver {
  private readonly list: AuditEntry[] = [];
  private childStarted = false;
  private readonly holdsPlacedAt = new Map<string, string>();
  private readonly holds = new Map<string, TrackedHold>();
  private input?: BreachWorkflowInput;
  private lastAt = '';
  private run = newRun('', -1);

  /** Whether the breach has started a cohort. */
  get fanOutStarted(): boolean {
    return this.childStarted;
  }

  /** The run the closing totals are attributed to. */
  get lastRunId(): string {
    return this.run.runId;
  }

  observe(runId: string, runIndex: number, event: HistoryEvent): void {
    if (runIndex !== this.run.runIndex) this.run = newRun(runId, runIndex);
    const add = (entry: Omit<AuditEntry, 'at' | 'runId' | 'eventId'>) => this.list.push({ at: timeOf(event), runId, eventId: String(event.eventId), ...entry });
    this.lastAt = timeOf(event);

    const started = event.workflowExecutionStartedEventAttributes;
    if (started) {
      const input = firstPayload<BreachWorkflowInput>(started.input);
      if (runIndex === 0 && input) {
        const { facts } = input;
        add({
          kind: 'opened',
          actor: facts.reporter,
          identity: started.identity ?? undefined,
          summary: `breach ${facts.breachId} opened: ${facts.title}; aware at ${facts.awareAt}; deadline ${input.policy.deadlineHours} h after awareness` +
            (input.roster ? `; roster of ${input.roster.total} subjects (SHA-256 ${input.roster.ref.sha256})` : ''),
          fields: {
            awareAt: facts.awareAt,
            deadlineHours: input.policy.deadlineHours,
            deadline: authorityDeadline(new Date(facts.awareAt), input.policy.deadlineHours).toISOString(),
            ...(input.roster ? { rosterSubjects: input.roster.total, rosterSha256: input.roster.ref.sha256 } : {}),
          },
        });
        if (input.initialAssessment) {
          const a = input.initialAssessment;
          add({ kind: 'assessed', actor: a.by, summary: `risk ${a.risk}: ${a.rationale}`, fields: { risk: a.risk } });
        }
        if (input.regimes) add(regimesOpened({ ...input, regimes: input.regimes }));
        this.input = input;
      } else if (runIndex > 0) {
        add({ kind: 'continued-as-new', summary: `run ${runIndex + 1} continues the breach with its state carried over${fanOutSoFar(input?.carried?.fanOut)}` });
      }
      return;
    }

    const update = this.run.updates.observe(event);
    if (update) {
      const { actor, identity } = update;
      if (update.refused) {
        add({ kind: 'request-refused', actor, identity, summary: `${update.name} refused: ${update.failure}; asked: ${describeRequest(update.request)}` });
        return;
      }
      if (update.failure) {
        add({ kind: 'request-failed', actor, identity, summary: `${update.name} failed: ${update.failure}` });
        return;
      }
      this.followHold(update.name, update.result as Hold, { runId, eventId: String(event.eventId) }, timeOf(event));
      const entry = describeUpdate(update.name, update.request, update.result, this.holdsPlacedAt, timeOf(event));
      if (entry) add({ ...entry, actor, identity });
      return;
    }

    const ignored = ignoredSignal(event, 'breach');
    if (ignored) {
      add({ kind: ignored.kind, identity: ignored.identity, summary: ignored.summary });
      return;
    }

    const ended = this.run.activities.observe(event);
    if (ended) {
      const { type, input } = ended.activity;
      const entry = ended.failure !== undefined ? describeFailedActivity(type, ended.failure) : ended.canceled ? undefined : describeActivity(type, input, ended.result);
      if (entry) add(entry);
      return;
    }

    if (event.startChildWorkflowExecutionInitiatedEventAttributes) {
      if (!this.childStarted) add({ kind: 'fan-out-started', summary: 'notifying individuals started' });
      this.childStarted = true;
      return;
    }

    const closed = event.workflowExecutionCompletedEventAttributes;
    if (closed) {
      const summary = firstPayload<BreachSummary>(closed.result);
      if (summary?.phase === 'closed') add({ kind: 'workflow-completed', summary: 'the breach workflow completed' });
    }
  }

  private followHold(name: string, hold: Hold, where: TrackedHold['where'], at: string): void {
    if (name === placeHoldUpdate.name) this.holds.set(hold.holdId, { placed: hold, where });
    const tracked = this.holds.get(hold?.holdId);
    if (!tracked) return;
    if (name === recordHoldStatementUpdate.name) tracked.statementAt ??= at;
    if (name === releaseHoldUpdate.name) tracked.releasedAt = at;
  }

  /** The breach's own entries so far, with the ends of hold periods that passed in them. */
  entries(): AuditEntry[] {
    const lapses = this.input ? holdLapseEntries(this.input, this.holds, this.lastAt) : [];
    return [...this.list, ...lapses].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }
}

const CHANNEL_OF_STATE = { 'notified-email': 'email', 'notified-fax': 'fax', 'notified-postal': 'postal' } as const satisfies Record<string, Channel>;
/** A channel as the entries' words name it. */
const CHANNEL_WORD: Record<Channel, string> = { email: 'email', fax: 'fax', postal: 'post' };

/**
 * The entries of one cohort of the breach, read from its NotifyCohort history: one per person,
 * from the outcomes the delivered run starts with (subject notified, or unreachable with the
 * reasons), returned letters, and a roster that could not be read. It counts the people for the
 * totals as it goes.
 */
export class CohortTimeline implements CohortObserver {
  readonly entries: AuditEntry[] = [];
  readonly counts = { started: 0, 'notified-email': 0, 'notified-fax': 0, 'notified-postal': 0, unreachable: 0 };
  private delivered = false;

  constructor(readonly cohort: number) {}

  fact(fact: CohortFact, where: Where): void {
    const add = (entry: Pick<AuditEntry, 'kind' | 'summary' | 'actor' | 'identity' | 'fields'>) => void this.entries.push({ at: where.at, runId: where.runId, eventId: where.eventId, ...entry });
    switch (fact.type) {
      case 'roster-read':
        this.counts.started += fact.subjectIds.length;
        return;
      case 'roster-failed':
        return add({ kind: 'fan-out-stopped', summary: `cohort ${this.cohort} could not read its roster rows: ${fact.reason}` });
      case 'signal-ignored':
        return add({ kind: fact.signal.kind, identity: fact.signal.identity, summary: `cohort ${this.cohort}: ${fact.signal.summary}` });
      case 'run-started': {
        const outcomes = fact.input.delivered;
        // One delivered run ends the cascade; its outcomes are each person's final state.
        if (!outcomes || this.delivered) return;
        this.delivered = true;
        // Rows that repeat a subject id have no outcome of their own: the subject's first row has it.
        const duplicates = fact.input.slice.rows - outcomes.length;
        if (duplicates > 0) add({ kind: 'duplicate-rows', summary: `cohort ${this.cohort}: ${duplicates} row(s) repeating an earlier row's subject id skipped; each subject was notified once, from its first row` });
        for (const outcome of outcomes) {
          if (outcome.state === 'duplicate') continue;
          this.counts[outcome.state]++;
          add(
            outcome.state === 'unreachable'
              ? { kind: 'subject-unreachable', summary: `subject ${outcome.subjectId} unreachable: ${(outcome.reasons ?? []).join('; ')}`, fields: { subjectId: outcome.subjectId, cohort: this.cohort, reasons: outcome.reasons ?? [] } }
              : { kind: 'subject-notified', summary: `subject ${outcome.subjectId} notified by ${CHANNEL_WORD[CHANNEL_OF_STATE[outcome.state]]}`, fields: { subjectId: outcome.subjectId, cohort: this.cohort, channel: CHANNEL_OF_STATE[outcome.state] } },
          );
        }
        return;
      }
      case 'report':
        if (fact.report.channel !== 'postal') return;
        add({
          kind: 'returned-mail',
          actor: fact.actor,
          identity: fact.identity,
          summary: `letter to subject ${fact.report.subjectId} returned: ${reportText(fact.report)}`,
          fields: { subjectId: fact.report.subjectId, cohort: this.cohort, channel: 'postal' },
        });
        // After the cascade a returned letter makes a person notified by post unreachable; before, the outcome already says so.
        if (fact.afterDelivery) {
          this.counts['notified-postal']--;
          this.counts.unreachable++;
        }
        return;
      default:
        return;
    }
  }
}

/** A delivery report's reason, with where it came from when it says. */
export function reportText(report: DeliveryReport): string {
  return report.source ? `${report.reason} (from ${report.source})` : report.reason;
}

/** Where the fan-out stood when a run handed over to the next. */
function fanOutSoFar(fan: FanOutProgress | undefined): string {
  if (!fan) return '';
  const finalCohorts = fan.cohorts.filter((c) => c.stage === 'final').length;
  const c = individualCounts(fan);
  const finalPeople = c.notifiedByEmail + c.notifiedByFax + c.notifiedByPostal + c.unreachable;
  return `; individuals so far: ${fan.cohorts.length} cohorts started, ${finalCohorts} of them final; ${finalPeople} of ${fan.total} subjects in a final state`;
}

function describeUpdate(
  name: string,
  request: Record<string, unknown>,
  result: unknown,
  holdsPlacedAt: Map<string, string>,
  at: string,
): Described | undefined {
  switch (name) {
    case assessUpdate.name: {
      // The score is the workflow's, in the update's result; assessments without one read as before.
      const scored = (result as Assessment | undefined)?.severity;
      const below = typeof request.belowRecommendation === 'string' ? `; below the recommendation because: ${request.belowRecommendation}` : '';
      return { kind: 'assessed', summary: `risk ${request.risk}: ${request.rationale}${scored ? `; ${describeSeverity(scored)}` : ''}${below}`, fields: { risk: request.risk as Assessment['risk'] } };
    }
    case placeHoldUpdate.name: {
      const hold = result as Hold;
      holdsPlacedAt.set(hold.holdId, at);
      const review = hold.reviewAt ? `; review ${hold.reviewAt}` : '';
      const form = hold.form ? `; ${hold.form} request` : '';
      const regimes = hold.regimes ? `; delays notices under ${hold.regimes.join(', ')}` : '';
      return {
        kind: 'hold-placed',
        summary: `${hold.holdId}: ${hold.agency}, case ${hold.caseRef}: ${hold.reason}${review}${form}${regimes}`,
        fields: { ...holdFields(hold), ...(hold.reviewAt ? { reviewAt: hold.reviewAt } : {}), ...(hold.regimes ? { regimes: hold.regimes } : {}) },
      };
    }
    case recordHoldStatementUpdate.name: {
      const hold = result as Hold;
      return { kind: 'hold-statement', summary: `${hold.holdId}: ${hold.agency}, case ${hold.caseRef}, written statement recorded: ${request.reason}`, fields: holdFields(hold) };
    }
    case recordAnchorUpdate.name:
      return anchorRecorded(request, result as ObligationView[] | undefined);
    case recordObligationUpdate.name:
      return obligationRecorded(result as ObligationView);
    case releaseHoldUpdate.name: {
      const hold = result as Hold;
      const placed = holdsPlacedAt.get(hold.holdId) ?? hold.placedAt;
      const hours = ((Date.parse(at) - Date.parse(placed)) / 3_600_000).toFixed(1);
      return { kind: 'hold-released', summary: `${hold.holdId}: ${hold.agency}, case ${hold.caseRef}, after ${hours} h: ${request.reason}`, fields: { ...holdFields(hold), heldHours: Number(hours) } };
    }
    case reviewHoldUpdate.name: {
      const hold = result as Hold;
      const what = request.kind === 'confirmed' ? 'confirmed as still needed' : 'review moved later';
      return { kind: 'hold-reviewed', summary: `${hold.holdId}: ${hold.agency}, case ${hold.caseRef}, ${what}: ${request.reason}; next review ${hold.reviewAt}`, fields: { ...holdFields(hold), ...(hold.reviewAt ? { reviewAt: hold.reviewAt } : {}) } };
    }
    case provideLateReasonUpdate.name:
      return { kind: 'late-reason', summary: `reason for the delay: ${request.reason}`, fields: { lateReason: String(request.reason) } };
    case recordPortalSubmissionUpdate.name: {
      const notice = result as AuthorityNotice;
      return {
        kind: 'authority-notified',
        summary: `on the portal, reference ${notice.portalReference}; deadline ${notice.deadline}; ${noticeTiming(notice)}`,
        fields: { ...(notice.portalReference ? { portalReference: notice.portalReference } : {}), ...timingFields(at, notice.onTime, notice.lateReason, notice.deadline) },
      };
    }
    case supplementAuthorityReportUpdate.name: {
      const supplement = result as Supplement;
      return { kind: 'supplement', summary: `supplement ${supplement.sequence} (${supplement.messageId ?? supplement.portalReference}): ${supplement.information}` };
    }
    case retryCohortUpdate.name: {
      const r = result as CohortRetried;
      const asked = typeof request.subjectId === 'string' ? ` (asked for subject ${request.subjectId})` : '';
      return {
        kind: 'cohort-retried',
        fields: { cohort: r.cohort },
        summary:
          `cohort ${r.cohort} started again after its workflow was ${r.ended}${asked}: ${request.reason}; of its ${r.rows} row(s), ${r.final} kept their final state, ` +
          `${r.awaiting} went on waiting for a delivery report, ${r.mayHaveBeenSent} whose notice may have gone out were looked up or resent with the same notice id`,
      };
    }
    case resolveSubjectUpdate.name:
      return {
        kind: 'subject-resolved',
        summary: `subject ${request.subjectId} of cohort ${request.cohort} recorded by hand as ${request.state}: ${request.reason}`,
        fields: { subjectId: String(request.subjectId), cohort: Number(request.cohort), state: String(request.state) },
      };
    case closeUpdate.name: {
      const closed = typeof request.incompleteReason === 'string' ? `breach closed, accepting that individuals were not all notified: ${request.incompleteReason}` : 'breach closed';
      const obligations = (result as BreachSummary | undefined)?.obligations;
      return { kind: 'closed', summary: obligations ? `${closed}; obligations: ${obligations.map(describeObligation).join('; ')}` : closed };
    }
    default:
      return { kind: 'request', summary: name };
  }
}

function describeActivity(type: string, input: Record<string, unknown> | undefined, result: unknown): Described | undefined {
  switch (type) {
    case AUTHORITY_REPORT_ACTIVITY: {
      const request = input as unknown as AuthorityReportRequest;
      const sent = authorityReportAsSent(request, result as AuthorityReportSent);
      const timing = noticeTiming({ onTime: !sent.late, lateReason: sent.lateReason });
      const { messageId } = result as AuthorityReportSent;
      return {
        kind: 'authority-notified',
        summary: `by email, Message-ID ${messageId}, accepted by the relay at ${sent.acceptedAt}; deadline ${request.deadline}; ${timing}`,
        fields: { messageId, ...timingFields(sent.acceptedAt, !sent.late, sent.lateReason, request.deadline) },
      };
    }
    case RESPONDER_REMINDER_ACTIVITY:
      return { kind: String(input?.kind ?? 'reminder'), summary: `responders reminded (${input?.hoursBeforeDeadline} h before the deadline; phase ${input?.phase})` };
    case HOLD_REVIEW_REMINDER_ACTIVITY: {
      const hold = input?.hold as Hold | undefined;
      return { kind: 'hold-review-reminder', summary: `legal asked to confirm or release ${hold?.holdId}`, ...(hold ? { fields: holdFields(hold) } : {}) };
    }
    case OBLIGATION_REMINDER_ACTIVITY: {
      const o = input?.obligation as ObligationView | undefined;
      return { kind: `obligation-${String(input?.kind ?? 'reminder')}`, summary: `responders reminded of ${o?.id} (${o?.citation}), due ${o?.deadline}`, ...(o ? { fields: obligationFields(o) } : {}) };
    }
    case HOLD_LAPSE_REMINDER_ACTIVITY: {
      const hold = input?.hold as Hold | undefined;
      return {
        kind: 'hold-lapse-reminder',
        summary: `legal told that ${hold?.holdId} stops delaying ${input?.regime} notices at ${input?.lapsesAt} unless a written statement is recorded`,
        ...(hold ? { fields: { ...holdFields(hold), regimes: [String(input?.regime)] } } : {}),
      };
    }
    default:
      return undefined;
  }
}

function describeFailedActivity(type: string, message: string): Described | undefined {
  if (type === PLAN_COHORTS_ACTIVITY) return { kind: 'fan-out-stopped', summary: message };
  if (type === AUTHORITY_REPORT_ACTIVITY) return { kind: 'authority-notice-failed', summary: message };
  return undefined;
}

/** A request's own fields, as the person sent them; who sent it is in the entry's actor and identity. */
function describeRequest(request: Record<string, unknown>): string {
  const fields = Object.entries(request).filter(([key, value]) => key !== 'by' && value !== undefined && value !== '');
  return fields.length ? fields.map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(', ') : 'no details';
}

function noticeTiming(notice: Pick<AuthorityNotice, 'onTime' | 'lateReason'>): string {
  return notice.onTime ? 'on time' : `LATE; reason: ${notice.lateReason ?? 'none given'}`;
}

/** The export of a timeline; `runs` names the runs it was read from, oldest first. */
export function auditExport(breachId: string, workflowId: string, runs: Pick<RunHistory, 'runId'>[], entries: AuditEntry[], found: Finding[] = []): AuditExport {
  return { schema: AUDIT_SCHEMA_VERSION, breachId, workflowId, runIds: runs.map((r) => r.runId), entries, findings: found, sha256: entriesSha256(entries) };
}
