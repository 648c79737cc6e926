import { defaultPayloadConverter } from '@temporalio/common';
import { tsToDate } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { REQUEST_REJECTED } from '../domain/failures';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;
export type ScheduledActivity = temporal.api.history.v1.IActivityTaskScheduledEventAttributes;

/** One run of a workflow (continue-as-new makes several) and its full event history. */
export interface RunHistory {
  runId: string;
  events: HistoryEvent[];
}

/**
 * Something that reads a workflow's history one event at a time, run after run, oldest first, so
 * that the audit of a large breach never needs a whole history in memory.
 */
export interface HistoryObserver {
  observe(runId: string, runIndex: number, event: HistoryEvent): void;
}

/** Feeds histories that are already in memory (captured ones, a single subject's) to an observer. */
export function observeRuns(runs: RunHistory[], observer: HistoryObserver): void {
  runs.forEach((run, runIndex) => run.events.forEach((event) => observer.observe(run.runId, runIndex, event)));
}

/** The first value of a payload list (a workflow input, an activity result, an update argument). */
export function firstPayload<T>(payloads: Payloads): T | undefined {
  const payload = payloads?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload<T>(payload) : undefined;
}

/** When an event happened, as audit entries give it. */
export function timeOf(event: HistoryEvent): string {
  return tsToDate(event.eventTime!).toISOString();
}

/** How a workflow run ended other than by completing or continuing as new; undefined for any other event. */
export function abnormalEndOf(event: HistoryEvent): string | undefined {
  if (event.workflowExecutionTerminatedEventAttributes) return 'terminated';
  if (event.workflowExecutionFailedEventAttributes) return 'failed';
  if (event.workflowExecutionTimedOutEventAttributes) return 'timed out';
  if (event.workflowExecutionCanceledEventAttributes) return 'canceled';
  return undefined;
}

/** How a workflow's status (`TIMED_OUT`) reads in a sentence, in the words of abnormalEndOf ("timed out"). */
export function endedAs(status: string): string {
  return status.toLowerCase().replace('_', ' ');
}

/** An update as an auditor reads it: what was asked, by whom, and what came of it. */
export interface CompletedUpdate {
  name: string;
  request: Record<string, unknown>;
  /** The person the request names (`by`). */
  actor?: string;
  /** The Temporal client identity that sent it. */
  identity?: string;
  result?: unknown;
  failure?: string;
  /** True when the workflow's rules refused the request, rather than its execution failing. */
  refused?: boolean;
}

/**
 * Pairs each update's acceptance event (which holds the request and identity) with its completion
 * event (which holds the result); feed it every event of a run in order.
 */
export class UpdatePairing {
  private readonly accepted = new Map<string, Omit<CompletedUpdate, 'result' | 'failure'>>();

  /** Returns the update that this event completes, if it completes one. */
  observe(event: HistoryEvent): CompletedUpdate | undefined {
    const accepted = event.workflowExecutionUpdateAcceptedEventAttributes;
    if (accepted) {
      const request = firstPayload<Record<string, unknown>>(accepted.acceptedRequest?.input?.args) ?? {};
      this.accepted.set(accepted.protocolInstanceId ?? '', {
        name: accepted.acceptedRequest?.input?.name ?? '',
        request,
        actor: typeof request.by === 'string' ? request.by : undefined,
        identity: accepted.acceptedRequest?.meta?.identity ?? undefined,
      });
      return undefined;
    }
    const completed = event.workflowExecutionUpdateCompletedEventAttributes;
    const update = completed && this.accepted.get(completed.meta?.updateId ?? '');
    if (!completed || !update) return undefined;
    // An update completes once; forgetting it keeps a long run's pairing small.
    this.accepted.delete(completed.meta?.updateId ?? '');
    const failure = completed.outcome?.failure;
    if (!failure) return { ...update, result: firstPayload(completed.outcome?.success) };
    return { ...update, failure: failure.message ?? 'failed', refused: failure.applicationFailureInfo?.type === REQUEST_REJECTED };
  }
}

/** An activity that has ended: what was remembered when it was scheduled, and its result or failure. */
export interface ClosedActivity<T> {
  activity: T;
  result?: unknown;
  failure?: string;
  /** Cancelled by the workflow (a hold): neither a result nor a failure. */
  canceled?: boolean;
}

/**
 * Pairs each activity's scheduling event (which holds its type and input) with the event that
 * ends it. Only what `remember` keeps of an activity is held, and only until it ends, so a long
 * run's pairing stays small; feed it every event of a run in order.
 */
export class ActivityPairing<T> {
  private readonly scheduled = new Map<string, T>();

  constructor(private readonly remember: (type: string, scheduled: ScheduledActivity) => T | undefined) {}

  /** Returns the activity that this event ends, if it ends one that was remembered. */
  observe(event: HistoryEvent): ClosedActivity<T> | undefined {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const kept = this.remember(scheduled.activityType?.name ?? '', scheduled);
      if (kept !== undefined) this.scheduled.set(String(event.eventId), kept);
      return undefined;
    }
    const completed = event.activityTaskCompletedEventAttributes;
    const failed = event.activityTaskFailedEventAttributes;
    const timedOut = event.activityTaskTimedOutEventAttributes;
    const canceled = event.activityTaskCanceledEventAttributes;
    const ended = completed ?? failed ?? timedOut ?? canceled;
    if (!ended) return undefined;
    const id = String(ended.scheduledEventId);
    const activity = this.scheduled.get(id);
    if (activity === undefined) return undefined;
    // An activity ends once; forgetting it keeps the pairing small.
    this.scheduled.delete(id);
    if (completed) return { activity, result: firstPayload(completed.result) };
    if (failed) return { activity, failure: failed.failure?.message ?? 'failed' };
    if (timedOut) return { activity, failure: `timed out${timedOut.failure?.message ? `: ${timedOut.failure.message}` : ''}` };
    return { activity, canceled: true };
  }
}
