import type { Attempt, Channel, SubjectRef } from './individuals';
import type { BreachNotice } from './notice';

/** The individual-notification policy in force for a breach, copied from temporal.yaml at start. */
export interface CascadePolicy {
  channels: Channel[];
  /** The task queue of each channel's activities (rate limited per queue). */
  taskQueues: Record<Channel, string>;
  /** How long to wait after an accepted email for a bounce report before counting it delivered. */
  bounceWindowMs: number;
  faxPollIntervalMs: number;
  emailMaxAttempts: number;
  /** How many NotifyIndividual children may run at once. */
  window: number;
  pageSize: number;
  /** The parent continues-as-new once its history has this many events. */
  continueAsNewAfterEvents: number;
}

export type SubjectState = 'pending' | 'in-progress' | 'notified-email' | 'notified-fax' | 'notified-postal' | 'unreachable';
export type FinalState = Exclude<SubjectState, 'pending' | 'in-progress'>;

export interface NotifyIndividualInput {
  notice: BreachNotice;
  subject: SubjectRef;
  /** Channels with contact data, in the configured order. */
  reachable: Channel[];
  policy: CascadePolicy;
  /** Whether a hold was active when the child started; changes arrive as signals. */
  holdActive: boolean;
  parentWorkflowId: string;
}

export interface NotifyIndividualResult {
  subjectId: string;
  state: FinalState;
  attempts: Attempt[];
}

/** A report about a notice that arrives after it was sent: a bounce, a failed fax, returned mail. */
export interface DeliveryReport {
  channel: Channel;
  reason: string;
  by?: string;
}

export function notifiedState(channel: Channel): FinalState {
  return channel === 'email' ? 'notified-email' : channel === 'fax' ? 'notified-fax' : 'notified-postal';
}

export function subjectWorkflowId(breachId: string, subjectId: string): string {
  return `breach-${breachId}-subject-${subjectId}`;
}

export interface SubjectFinished {
  subjectId: string;
  state: FinalState;
  /** Why each channel failed, for an unreachable subject (substitute notice needs it). */
  reasons?: string[];
}

/** Each channel has a task queue of its own, named after the engine's task queue. */
export function channelTaskQueue(taskQueue: string, channel: Channel): string {
  return `${taskQueue}-${channel}`;
}
