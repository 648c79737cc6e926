import { tsToDate } from '@temporalio/common/lib/time';
import type { BreachWorkflowInput } from '../domain/breach';
import type { AuthorityNotice, Supplement } from '../domain/authority-notice';
import type { SubjectFinished } from '../domain/cascade';
import type { FanOutProgress } from '../domain/fan-out';
import type { Hold } from '../domain/holds';
import type { BreachSummary } from '../domain/status';
import { AUDIT_SCHEMA_VERSION, entriesSha256, type AuditEntry, type AuditExport, type Finding } from './export-schema';
import type { AuthorityReportRequest } from '../activities/mail-activities';
import { reportIsLate } from '../domain/deadline';
import { firstPayload, observeRuns, UpdatePairing, type HistoryEvent, type HistoryObserver, type RunHistory } from './history-events';

interface ScheduledActivity {
  type: string;
  input: Record<string, unknown> | undefined;
}

/** What pairs events within one run: update requests with their outcomes, activities with their results. */
interface RunState {
  runId: string;
  runIndex: number;
  updates: UpdatePairing;
  activities: Map<string, ScheduledActivity>;
}

function newRun(runId: string, runIndex: number): RunState {
  return { runId, runIndex, updates: new UpdatePairing(), activities: new Map() };
}

function timeOf(event: HistoryEvent): string {
  return tsToDate(event.eventTime!).toISOString();
}

/** The timeline of breach histories that are already in memory. */
export function buildTimeline(runs: RunHistory[]): AuditEntry[] {
  const timeline = new TimelineBuilder();
  observeRuns(runs, timeline);
  return timeline.entries();
}

/**
 * Reconstructs the domain timeline of a breach from Temporal's own event histories, run after
 * run: what was asked (updates, with the acting person and the client identity), what the engine
 * did (activities: the authority report, reminders) and what the subjects' cascades reported.
 * It keeps the entries and counts, not the events, so a history of any length streams through it.
 */
export class TimelineBuilder implements HistoryObserver {
  private readonly list: AuditEntry[] = [];
  private readonly counts = { 'notified-email': 0, 'notified-fax': 0, 'notified-postal': 0, unreachable: 0 };
  private childrenStarted = 0;
  private readonly holdsPlacedAt = new Map<string, string>();
  private run = newRun('', -1);

  observe(runId: string, runIndex: number, event: HistoryEvent): void {
    if (runIndex !== this.run.runIndex) this.run = newRun(runId, runIndex);
    const add = (entry: Omit<AuditEntry, 'at' | 'runId' | 'eventId'>) => this.list.push({ at: timeOf(event), runId, eventId: String(event.eventId), ...entry });

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
        });
        if (input.initialAssessment) {
          const a = input.initialAssessment;
          add({ kind: 'assessed', actor: a.by, summary: `risk ${a.risk}: ${a.rationale}` });
        }
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
      const entry = describeUpdate(update.name, update.request, update.result, this.holdsPlacedAt, timeOf(event));
      if (entry) add({ ...entry, actor, identity });
      return;
    }

    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      this.run.activities.set(String(event.eventId), { type: scheduled.activityType?.name ?? '', input: firstPayload(scheduled.input) });
      return;
    }

    const activityDone = event.activityTaskCompletedEventAttributes;
    const activityFailed = event.activityTaskFailedEventAttributes;
    if (activityDone || activityFailed) {
      const scheduledEventId = String((activityDone ?? activityFailed)!.scheduledEventId);
      const activity = this.run.activities.get(scheduledEventId);
      if (!activity) return;
      // An activity completes or fails once; forgetting it keeps a long run's map small.
      this.run.activities.delete(scheduledEventId);
      const entry = activityFailed
        ? describeFailedActivity(activity.type, activityFailed.failure?.message ?? 'failed')
        : describeActivity(activity.type, activity.input, firstPayload(activityDone!.result));
      if (entry) add(entry);
      return;
    }

    if (event.startChildWorkflowExecutionInitiatedEventAttributes) {
      if (this.childrenStarted++ === 0) add({ kind: 'fan-out-started', summary: 'notifying individuals started' });
      return;
    }

    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName === 'subjectFinished') {
      const finished = firstPayload<SubjectFinished>(signal.input);
      if (!finished) return;
      this.counts[finished.state]++;
      if (finished.state === 'unreachable') {
        add({ kind: 'subject-unreachable', summary: `subject ${finished.subjectId} unreachable: ${(finished.reasons ?? []).join('; ')}` });
      } else {
        add({ kind: 'subject-notified', summary: `subject ${finished.subjectId} notified by ${CHANNEL_OF_STATE[finished.state]}` });
      }
      return;
    }

    const closed = event.workflowExecutionCompletedEventAttributes;
    if (closed) {
      const summary = firstPayload<BreachSummary>(closed.result);
      if (summary?.phase === 'closed') add({ kind: 'workflow-completed', summary: 'the breach workflow completed' });
    }
  }

  /** The entries so far, ending with the per-channel totals once the fan-out has started. */
  entries(): AuditEntry[] {
    if (this.childrenStarted === 0) return [...this.list];
    const { counts } = this;
    const totals: AuditEntry = {
      at: this.list[this.list.length - 1]!.at,
      runId: this.run.runId,
      eventId: 'totals',
      kind: 'individual-totals',
      summary: `${this.childrenStarted} subjects started; notified by email ${counts['notified-email']}, by fax ${counts['notified-fax']}, by post ${counts['notified-postal']}; unreachable ${counts.unreachable}`,
    };
    return [...this.list, totals];
  }
}

const CHANNEL_OF_STATE = { 'notified-email': 'email', 'notified-fax': 'fax', 'notified-postal': 'post' } as const;

/** Where the fan-out stood when a run handed over to the next. */
function fanOutSoFar(fan: FanOutProgress | undefined): string {
  if (!fan) return '';
  const final = Object.values(fan.finished).reduce((sum, n) => sum + n, 0);
  return `; individuals so far: ${fan.started} of ${fan.total} started, ${final} in a final state`;
}

function describeUpdate(
  name: string,
  request: Record<string, unknown>,
  result: unknown,
  holdsPlacedAt: Map<string, string>,
  at: string,
): Pick<AuditEntry, 'kind' | 'summary'> | undefined {
  switch (name) {
    case 'assess':
      return { kind: 'assessed', summary: `risk ${request.risk}: ${request.rationale}` };
    case 'placeHold': {
      const hold = result as Hold;
      holdsPlacedAt.set(hold.holdId, at);
      const review = hold.reviewAt ? `; review ${hold.reviewAt}` : '';
      return { kind: 'hold-placed', summary: `${hold.holdId}: ${hold.agency}, case ${hold.caseRef}: ${hold.reason}${review}` };
    }
    case 'releaseHold': {
      const hold = result as Hold;
      const placed = holdsPlacedAt.get(hold.holdId) ?? hold.placedAt;
      const hours = ((Date.parse(at) - Date.parse(placed)) / 3_600_000).toFixed(1);
      return { kind: 'hold-released', summary: `${hold.holdId}: ${hold.agency}, case ${hold.caseRef}, after ${hours} h: ${request.reason}` };
    }
    case 'provideLateReason':
      return { kind: 'late-reason', summary: `reason for the delay: ${request.reason}` };
    case 'recordPortalSubmission': {
      const notice = result as AuthorityNotice;
      return { kind: 'authority-notified', summary: `on the portal, reference ${notice.portalReference}; deadline ${notice.deadline}; ${noticeTiming(notice)}` };
    }
    case 'supplementAuthorityReport': {
      const supplement = result as Supplement;
      return { kind: 'supplement', summary: `supplement ${supplement.sequence} (${supplement.messageId ?? supplement.portalReference}): ${supplement.information}` };
    }
    case 'reportReturnedMail':
      return { kind: 'returned-mail', summary: `letter to subject ${request.subjectId} returned: ${request.reason}` };
    case 'close':
      return { kind: 'closed', summary: 'breach closed' };
    default:
      return { kind: 'request', summary: name };
  }
}

function describeActivity(type: string, input: Record<string, unknown> | undefined, result: unknown): Pick<AuditEntry, 'kind' | 'summary'> | undefined {
  switch (type) {
    case 'sendAuthorityReport': {
      const report = input as unknown as AuthorityReportRequest;
      const timing = noticeTiming({ onTime: !reportIsLate(report), lateReason: report.lateReason });
      return { kind: 'authority-notified', summary: `by email, Message-ID ${(result as { messageId: string }).messageId}; deadline ${report.deadline}; ${timing}` };
    }
    case 'sendResponderReminder':
      return { kind: String(input?.kind ?? 'reminder'), summary: `responders reminded (${input?.hoursBeforeDeadline} h before the deadline; phase ${input?.phase})` };
    case 'sendHoldReviewReminder':
      return { kind: 'hold-review-reminder', summary: `legal asked to confirm or release ${(input?.hold as Hold | undefined)?.holdId}` };
    default:
      return undefined;
  }
}

function describeFailedActivity(type: string, message: string): Pick<AuditEntry, 'kind' | 'summary'> | undefined {
  if (type === 'readRosterPage') return { kind: 'fan-out-stopped', summary: message };
  if (type === 'sendAuthorityReport') return { kind: 'authority-notice-failed', summary: message };
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
