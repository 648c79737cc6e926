import { ApplicationFailure, Context } from '@temporalio/activity';
import type { BatchItem, Evidence, ItemResult, SendBatchRequest, SendBatchResult } from '../domain/batch';
import type { NoticeRef } from '../domain/ids';
import type { LoadSubjects, Subject } from '../domain/individuals';
import type { HoldWatch } from './hold-watch';

/**
 * A send that the recipient's side deferred (SMTP 4xx): retried with the batch, and after
 * `maxDeferrals` the channel fails for that person only.
 */
export class Deferred extends Error {
  override name = 'Deferred';
}

/** What one channel does for one person; throws a non-retryable ApplicationFailure when the channel refuses that person. */
export type SendOne = (subject: Subject, notice: NoticeRef, item: BatchItem & { attempt: number }) => Promise<Omit<Evidence, 'at' | 'activityAttempt'>>;

export interface BatchOptions {
  /** Sends in flight at once (one per SMTP connection for email). */
  concurrency: number;
  /** Messages begun per second by this batch; the task queue's rate limit bounds the batches. */
  perSecond: number;
  /** Deferrals of one person before their send counts as refused. */
  maxDeferrals: number;
  /** Shared by every batch of the worker: a send begins only with a slot (for email, one per pooled SMTP connection). */
  slots?: Slots;
  /** Shared by every batch of the worker: no send begins while the batch's breach is held. */
  holds?: HoldWatch;
}

/**
 * Progress is heartbeated after a message at most this often (the worker's heartbeat throttle):
 * each heartbeat serialises the whole progress and is a write on the server. A cancellation only
 * reaches the batch through a heartbeat, so a timer also heartbeats while the batch waits; a hold
 * reaches it sooner, through the worker's HoldWatch.
 */
export const HEARTBEAT_EVERY_MS = 1000;

/** Progress kept in the heartbeat, so that a retry after a crash resumes instead of resending. */
interface Progress {
  results: (ItemResult | null)[];
  deferrals: Record<number, number>;
}

/**
 * Sends a batch of notices, one evidence record or refusal per item, heartbeating after each.
 *
 * - A hold pauses the batch as soon as the worker's HoldWatch reads it: no new send begins after
 *   that, those in flight (at most `concurrency`) finish. The cohort then cancels the activity,
 *   which learns it from a heartbeat and returns what it sent (`stopped`).
 * - A failure on our side (relay or provider unreachable) fails the attempt after the sends in
 *   flight settle; Temporal retries it and the retry skips every item already answered.
 * - Items without a result after a retry may have been sent by the attempt that crashed; the
 *   channel recognises them (the same Message-ID, the fax found by its client_state, Lob's
 *   idempotency key) and the evidence carries the attempt number.
 */
export async function sendBatch(request: SendBatchRequest, loadSubjects: LoadSubjects, options: BatchOptions, sendOne: SendOne): Promise<SendBatchResult> {
  const ctx = Context.current();
  const attempt = ctx.info.attempt;
  const earlier = ctx.info.heartbeatDetails as Progress | undefined;
  const progress: Progress = {
    results: earlier?.results?.length === request.items.length ? earlier.results : request.items.map(() => null),
    deferrals: earlier?.deferrals ?? {},
  };
  const todo = request.items.map((_, i) => i).filter((i) => progress.results[i] === null);
  if (todo.length === 0) return { results: progress.results, stopped: false };

  const subjects = await loadSubjects(request.roster, todo.map((i) => request.items[i]!));
  const breachId = request.breachId ?? request.notice!.breachId;
  const hold = await options.holds?.follow(breachId);
  const pace = pacer(options.perSecond);
  let outage: Error | undefined;
  let next = 0;
  const stopped = () => outage !== undefined || ctx.cancellationSignal.aborted || next >= todo.length;
  let lastBeat = 0;
  const beat = (): void => {
    if (Date.now() - lastBeat < HEARTBEAT_EVERY_MS) return;
    lastBeat = Date.now();
    ctx.heartbeat(progress);
  };

  const lane = async (): Promise<void> => {
    while (!stopped()) {
      await pace();
      if (stopped()) return;
      const release = (await options.slots?.acquire()) ?? (() => undefined);
      if (stopped()) return release();
      if (hold?.held()) {
        release();
        await hold.whileHeld(ctx.cancellationSignal);
        continue;
      }
      const i = todo[next++]!;
      const item = request.items[i]!;
      const ref = { breachId, cohort: request.cohort, subjectId: item.subjectId };
      const mayExist = item.mayExist === true || attempt > 1;
      try {
        const evidence = await sendOne(subjects.get(item.subjectId)!, ref, { ...item, mayExist, attempt });
        progress.results[i] = { sent: { ...evidence, at: new Date().toISOString(), activityAttempt: attempt } };
      } catch (err) {
        if (err instanceof ApplicationFailure && err.nonRetryable) {
          progress.results[i] = { failed: err.message };
        } else if (err instanceof Deferred && (progress.deferrals[i] = (progress.deferrals[i] ?? 0) + 1) >= options.maxDeferrals) {
          progress.results[i] = { failed: `${err.message}; ${options.maxDeferrals} deferrals` };
        } else {
          outage ??= err instanceof Error ? err : new Error(String(err));
        }
      } finally {
        release();
      }
      beat();
    }
  };
  const timer = setInterval(beat, HEARTBEAT_EVERY_MS);
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, todo.length) }, lane));
  } finally {
    clearInterval(timer);
    hold?.unfollow();
    ctx.heartbeat(progress);
  }
  if (outage) throw outage;
  return { results: progress.results, stopped: ctx.cancellationSignal.aborted && progress.results.some((r) => r === null) };
}

/** A counting semaphore: at most `size` holders at once, served in arrival order. */
export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/** Spaces the starts of sends `1/perSecond` apart. */
function pacer(perSecond: number): () => Promise<void> {
  const gap = 1000 / perSecond;
  let nextAt = Date.now();
  return async () => {
    const now = Date.now();
    const wait = nextAt - now;
    nextAt = Math.max(now, nextAt) + gap;
    if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
  };
}
