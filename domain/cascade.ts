import type { Attempt, Channel, RosterRef } from './individuals';
import type { BreachNotice } from './notice';

/** The individual-notification policy in force for a breach, copied from temporal.yaml at start. */
export interface CascadePolicy {
  channels: Channel[];
  /** The task queue of each channel's activities (rate limited per queue). */
  taskQueues: Record<Channel, string>;
  /** How long to wait after an accepted email for a bounce report before counting it delivered. */
  bounceWindowMs: number;
  faxPollIntervalMs: number;
  /** Deferrals (SMTP 4xx) of one person's email before the email channel fails for that person. */
  emailMaxAttempts: number;
  /** Roster rows per cohort: one NotifyCohort workflow each. */
  cohortSize: number;
  /** How many cohorts may send their first notices at once; cohorts waiting for reports hold no slot. */
  sendingCohorts: number;
  /** Messages per batch activity, per channel (see channelBatchSize). */
  batchSizes: Record<Channel, number>;
  /** Where fax statuses are read: a queue of its own, so that polls never wait behind the fax channel's rate limit. */
  faxStatusTaskQueue: string;
  /** How long a person who must move to the next channel waits, so that several travel in one batch. */
  fallbackDelayMs: number;
  /** How long a channel that our side cannot reach (relay or provider down) is retried before its people move on. */
  outageRetryForMs: number;
  /** The breach continues-as-new once its history has this many events (or when the server suggests it). */
  continueAsNewAfterEvents: number;
}

export type FinalState = 'notified-email' | 'notified-fax' | 'notified-postal' | 'unreachable' | 'duplicate';

/** Which rows of the roster one cohort notifies: `rows` rows from byte `offset` (1-based line `line`). */
export interface CohortSlice {
  offset: number;
  line: number;
  rows: number;
}

/** What one person's cascade came to; the delivered cohort keeps this, and the audit reads it. */
export interface Outcome {
  subjectId: string;
  state: FinalState;
  /** Why each channel failed, for an unreachable subject (substitute notice needs it). */
  reasons?: string[];
}

export interface CohortInput {
  breachId: string;
  cohort: number;
  /** Cohorts started before the notice was read from the breach carry it; the channels now ask the breach for it. */
  notice?: BreachNotice;
  roster: RosterRef;
  slice: CohortSlice;
  policy: CascadePolicy;
  /** Whether a hold was active when the cohort started; changes arrive as signals. */
  holdActive: boolean;
  /** Whether a hold had delayed the notices to individuals before the cohort started (its notices say so). */
  delayedByHold?: boolean;
  parentWorkflowId: string;
  /** Set once every person is final: the cohort continues as new and only takes returned letters until the breach closes. */
  delivered?: Outcome[];
  /** Set when the cohort is started again after its workflow ended abnormally (`breach subject retry`): where each person's cascade stood. */
  resume?: PersonProgress[];
}

/**
 * Where one person's cascade stood when their cohort's workflow ended, so that a retry goes on
 * from there: a final state is kept, a notice awaiting its report goes on waiting, and a send
 * that was under way is looked up or resent with the same notice id (`mayExist`). People not
 * contacted yet have none and start from the beginning.
 */
export interface PersonProgress {
  subjectId: string;
  /** Index into the policy's channels of the channel being tried. */
  step: number;
  stage: 'due' | 'awaiting' | 'final';
  /** For `due`: not before then. For `awaiting`: the bounce window's end or the next fax poll. */
  at: number;
  final?: FinalState;
  providerId?: string;
  mayExist?: boolean;
  /** Why each channel failed, for someone unreachable. */
  reasons?: string[];
  /** Set when the final state was recorded by hand (`breach subject resolve`). */
  resolved?: { by: string; reason: string };
}

export interface CohortCounts {
  rows: number;
  'notified-email': number;
  'notified-fax': number;
  'notified-postal': number;
  unreachable: number;
  duplicate: number;
}

/** A channel our side cannot reach right now (our relay or the provider's API), since when. */
export interface ChannelFailure {
  channel: Channel;
  since: string;
  reason: string;
}

/** What a cohort tells its breach: absolute counts, so a repeated or reordered report changes nothing. */
export interface CohortReport {
  cohort: number;
  /** `sending` while first notices go out, `waiting` once everyone was contacted, `final` when all are. */
  stage: 'sending' | 'waiting' | 'final';
  counts: CohortCounts;
  /** Some unreachable subjects with their reasons, for the status (the audit lists all). */
  unreachable: Outcome[];
  failing?: ChannelFailure;
  /** Why the cohort could not be notified at all (its roster rows could not be read). */
  error?: string;
}

/**
 * What the breach tells its cohorts when its holds change. `round` numbers the changes, so a
 * cohort's acknowledgement names the change it answers.
 */
export interface HoldNews {
  active: boolean;
  round: number;
}

/** A cohort's answer to a hold: it has stopped sending (its batch in flight has returned). */
export interface CohortHeld {
  cohort: number;
  round: number;
}

/** A report about a notice that arrives after it was sent: a bounce, a failed fax, returned mail. */
export interface DeliveryReport {
  subjectId: string;
  channel: Channel;
  reason: string;
  /** Where the report came from: `cli`, `telnyx`, `lob`, `dsn`, … */
  source?: string;
  by?: string;
  /**
   * Evidence rather than an outcome: a delay (a DSN with `Action: delayed`, a transient bounce) or
   * a complaint (a spam report). It is recorded, and the person keeps waiting for their window.
   */
  observation?: 'delayed' | 'complaint';
}

/** Where a person stands before their cascade has given them a final state. */
export const UNFINISHED_STATES = ['pending', 'sending', 'awaiting-report'] as const;

/** Where a person stands, as `status` and `breach subjects` name it. */
export const SUBJECT_STATES = [...UNFINISHED_STATES, 'notified-email', 'notified-fax', 'notified-postal', 'unreachable'] as const;
export type SubjectState = (typeof SUBJECT_STATES)[number];

/** One person as the cohort's query shows them. */
export interface SubjectView {
  subjectId: string;
  cohort: number;
  state: FinalState | SubjectState;
  channel?: Channel;
  attempts: Attempt[];
}

/** Each channel has a task queue of its own, named after the engine's task queue. */
export function channelTaskQueue(taskQueue: string, channel: Channel): string {
  return `${taskQueue}-${channel}`;
}

export function faxStatusTaskQueue(taskQueue: string): string {
  return `${taskQueue}-fax-status`;
}

/**
 * A channel's batches hold at most one second of its messages. Its task queue admits
 * `maxPerSecond / batch size` batches a second, and a batch that is not full counts as a full one,
 * so small batches (fallbacks after a few bounces) wait at most about a second for their turn.
 */
export function channelBatchSize(batchSize: number, maxPerSecond: number): number {
  return Math.max(1, Math.min(batchSize, Math.floor(maxPerSecond)));
}
