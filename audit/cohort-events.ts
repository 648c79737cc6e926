import { FAX_STATUS_ACTIVITY, READ_COHORT_ACTIVITY, SEND_ACTIVITY, type Evidence, type FaxStatus, type SendBatchRequest, type SendBatchResult } from '../domain/batch';
import type { CohortInput, DeliveryReport } from '../domain/cascade';
import type { Channel, RosterEntry } from '../domain/individuals';
import { reportDeliveryUpdate } from '../workflows/messages/cohort';
import { abnormalEndOf, ActivityPairing, firstPayload, timeOf, UpdatePairing, type ClosedActivity, type HistoryEvent, type HistoryObserver, type ScheduledActivity } from './history-events';
import { ignoredSignal, type IgnoredSignal } from './ignored-signals';

/** Where in a cohort's history a fact was read: the audit entry built from it points there. */
export interface Where {
  at: string;
  runId: string;
  eventId: string;
}

/** What a cohort's history says happened, in the terms of the cascade rather than of Temporal events. */
export type CohortFact =
  /** Every run's start; a run whose input has `delivered` follows the end of everyone's cascade. */
  | { type: 'run-started'; input: CohortInput }
  /** The cohort's rows were read: the subjects it notifies, each once (later rows of a subject are duplicates). */
  | { type: 'roster-read'; subjectIds: string[] }
  | { type: 'roster-failed'; reason: string }
  | { type: 'sent'; channel: Channel; subjectId: string; evidence: Evidence }
  | { type: 'refused'; channel: Channel; subjectId: string; reason: string }
  /** A whole batch failed (our side could not reach the channel, or a configuration error). */
  | { type: 'batch-failed'; channel: Channel; subjectIds: string[]; reason: string }
  | { type: 'fax-statuses'; statuses: FaxStatus[] }
  /** An accepted delivery report; `afterDelivery` when it reached the cohort after everyone's cascade had ended. */
  | { type: 'report'; report: DeliveryReport; actor?: string; identity?: string; afterDelivery: boolean }
  | { type: 'ended-abnormally'; how: string }
  | { type: 'signal-ignored'; signal: IgnoredSignal };

export interface CohortObserver {
  fact(fact: CohortFact, where: Where): void;
}

/** The channel each send activity sends on: the one map from activity names to channels. */
const CHANNEL_OF_SEND_ACTIVITY = new Map<string, Channel>(Object.entries(SEND_ACTIVITY).map(([channel, activity]) => [activity, channel as Channel]));

type CohortActivity = { type: 'send'; channel: Channel; subjectIds: string[] } | { type: typeof FAX_STATUS_ACTIVITY | typeof READ_COHORT_ACTIVITY };

/** What the cohort history's reading keeps of a scheduled activity until it ends: for a batch, only whom it names. */
function rememberActivity(type: string, scheduled: ScheduledActivity): CohortActivity | undefined {
  const channel = CHANNEL_OF_SEND_ACTIVITY.get(type);
  if (channel) return { type: 'send', channel, subjectIds: (firstPayload<SendBatchRequest>(scheduled.input)?.items ?? []).map((item) => item.subjectId) };
  if (type === FAX_STATUS_ACTIVITY || type === READ_COHORT_ACTIVITY) return { type };
  return undefined;
}

/**
 * Reads the history of one NotifyCohort workflow, run after run, and tells its observers the
 * facts of the cascade: the subjects read from the roster, each evidence record and refusal in
 * the batches' results (matched to its subject through the batch's input), fax statuses,
 * accepted delivery reports and the outcomes the delivered run starts with. It keeps nothing but
 * the activities and updates in flight, so a cohort's history streams through it page by page.
 */
export class CohortHistory implements HistoryObserver {
  private runIndex = -1;
  private delivered = false;
  private activities = new ActivityPairing(rememberActivity);
  private updates = new UpdatePairing();

  constructor(private readonly observers: CohortObserver[]) {}

  observe(runId: string, runIndex: number, event: HistoryEvent): void {
    if (runIndex !== this.runIndex) {
      this.runIndex = runIndex;
      this.delivered = false;
      this.activities = new ActivityPairing(rememberActivity);
      this.updates = new UpdatePairing();
    }
    const where = { at: timeOf(event), runId, eventId: String(event.eventId) };
    const tell = (fact: CohortFact) => this.observers.forEach((observer) => observer.fact(fact, where));

    const started = event.workflowExecutionStartedEventAttributes;
    if (started) {
      const input = firstPayload<CohortInput>(started.input);
      if (!input) return;
      this.delivered = input.delivered !== undefined;
      return tell({ type: 'run-started', input });
    }

    const closed = this.activities.observe(event);
    if (closed) return this.activityEnded(closed, tell);

    const update = this.updates.observe(event);
    if (update?.name === reportDeliveryUpdate.name && !update.failure) {
      const report = update.request as unknown as DeliveryReport;
      return tell({ type: 'report', report, actor: update.actor, identity: update.identity, afterDelivery: this.delivered });
    }

    const signal = ignoredSignal(event, 'cohort');
    if (signal) return tell({ type: 'signal-ignored', signal });

    const how = abnormalEndOf(event);
    if (how) tell({ type: 'ended-abnormally', how });
  }

  private activityEnded({ activity, result, failure, canceled }: ClosedActivity<CohortActivity>, tell: (fact: CohortFact) => void): void {
    // A batch that a hold cancelled sent nothing it reported; its items go out in a later batch.
    if (canceled) return;
    if (activity.type === 'send') {
      const { channel, subjectIds } = activity;
      if (failure !== undefined) return tell({ type: 'batch-failed', channel, subjectIds, reason: failure });
      (result as SendBatchResult).results.forEach((item, i) => {
        const subjectId = subjectIds[i]!;
        if (item && 'sent' in item) tell({ type: 'sent', channel, subjectId, evidence: item.sent });
        else if (item) tell({ type: 'refused', channel, subjectId, reason: item.failed });
      });
    } else if (activity.type === READ_COHORT_ACTIVITY) {
      if (failure !== undefined) return tell({ type: 'roster-failed', reason: failure });
      tell({ type: 'roster-read', subjectIds: notifiedSubjects(result as RosterEntry[]) });
    } else if (failure === undefined) {
      tell({ type: 'fax-statuses', statuses: result as FaxStatus[] });
    }
  }
}

/** The subjects a cohort notifies: each once, at its first row. */
function notifiedSubjects(entries: RosterEntry[]): string[] {
  return [...new Set(entries.filter((entry) => !entry.duplicate).map((entry) => entry.subjectId))];
}
