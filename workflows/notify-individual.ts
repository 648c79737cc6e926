import {
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { EmailActivities } from '../activities/channels/email';
import type { FaxActivities } from '../activities/channels/fax';
import type { PostalActivities } from '../activities/channels/postal';
import { notifiedState, type DeliveryReport, type SubjectFinished, type FinalState, type NotifyIndividualInput, type NotifyIndividualResult } from '../domain/cascade';
import { failureMessage, PERMANENT_CHANNEL_FAILURES as PERMANENT, REQUEST_REJECTED } from '../domain/failures';
import type { Attempt, AttemptOutcome, Channel } from '../domain/individuals';
import { missingFields } from '../domain/required-fields';

/** Sent by the breach to its running children when its holds change. */
export const holdChangedSignal = defineSignal<[boolean]>('holdChanged');
/** Sent by a child to its breach when the subject reached a final state. */
export const subjectFinishedSignal = defineSignal<[SubjectFinished]>('subjectFinished');
export const reportDeliveryUpdate = defineUpdate<void, [DeliveryReport]>('reportDelivery');
export const attemptsQuery = defineQuery<{ subjectId: string; waitingFor?: Channel; holdActive: boolean; attempts: Attempt[] }>('attempts');

function now(): string {
  return new Date().toISOString();
}

/**
 * The cascade for one person: each channel in the configured order until one reaches them.
 * Email counts as delivered when no bounce arrives within the bounce window; a fax when its final
 * status is delivered; a letter when Lob accepted it for mailing. Every attempt is recorded with
 * its evidence. While a law-enforcement hold is active, nothing is sent.
 */
export async function NotifyIndividual(input: NotifyIndividualInput): Promise<NotifyIndividualResult> {
  const { notice, subject, policy } = input;
  const attempts: Attempt[] = [];
  let holdActive = input.holdActive;
  let waitingFor: Channel | undefined;
  let report: DeliveryReport | undefined;

  const email = proxyActivities<EmailActivities>({
    taskQueue: policy.taskQueues.email,
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: policy.emailMaxAttempts, nonRetryableErrorTypes: PERMANENT },
  });
  const fax = proxyActivities<FaxActivities>({
    taskQueue: policy.taskQueues.fax,
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5, nonRetryableErrorTypes: PERMANENT },
  });
  const postal = proxyActivities<PostalActivities>({
    taskQueue: policy.taskQueues.postal,
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5, nonRetryableErrorTypes: PERMANENT },
  });

  setHandler(holdChangedSignal, (active) => {
    holdActive = active;
  });
  setHandler(attemptsQuery, () => ({ subjectId: subject.subjectId, waitingFor, holdActive, attempts }));
  setHandler(
    reportDeliveryUpdate,
    (delivery) => {
      report = delivery;
    },
    {
      // Unlike the breach's requests, a refused delivery report is refused by a validator and so
      // leaves no trace: providers resend late and duplicate reports routinely, and recording each
      // would fill the history with noise that documents nothing about the person.
      validator: (delivery) => {
        const missing = missingFields(delivery, ['reason']);
        if (missing) throw ApplicationFailure.nonRetryable(missing, REQUEST_REJECTED);
        if (delivery.channel !== waitingFor) {
          throw ApplicationFailure.nonRetryable(
            waitingFor ? `this notice is waiting for a ${waitingFor} report, not ${delivery.channel}` : `no ${delivery.channel} notice is awaiting a delivery report`,
            REQUEST_REJECTED,
          );
        }
      },
    },
  );

  const record = (channel: Channel, outcome: AttemptOutcome, evidence: Partial<Attempt> = {}) => {
    attempts.push({ channel, at: now(), outcome, ...evidence });
  };

  /**
   * Reports are accepted from the moment a send starts: a fast bounce can arrive before the
   * workflow has seen the provider accept the message.
   */
  const expectReport = (channel: Channel): void => {
    waitingFor = channel;
    report = undefined;
  };

  /** Waits for the expected report for at most `ms`; returns it if one came. */
  const awaitReport = async (ms: number): Promise<DeliveryReport | undefined> => {
    await condition(() => report !== undefined, ms);
    return report;
  };

  const channels: Record<Channel, () => Promise<boolean>> = {
    async email() {
      expectReport('email');
      const sent = await email.sendNoticeEmail({ notice, subject });
      record('email', 'accepted', { providerId: sent.messageId, smtpReply: sent.smtpReply, contentSha256: sent.contentSha256 });
      const bounce = await awaitReport(policy.bounceWindowMs);
      if (bounce) record('email', 'bounced', { providerId: sent.messageId, reason: bounce.reason });
      return bounce === undefined;
    },
    async fax() {
      expectReport('fax');
      const sent = await fax.sendNoticeFax({ notice, subject });
      record('fax', 'accepted', { providerId: sent.faxId, contentSha256: sent.contentSha256 });
      for (;;) {
        const failed = await awaitReport(policy.faxPollIntervalMs);
        if (failed) {
          record('fax', 'failed', { providerId: sent.faxId, reason: failed.reason });
          return false;
        }
        const status = await fax.faxStatus({ faxId: sent.faxId });
        if (status.status === 'delivered') {
          record('fax', 'delivered', { providerId: sent.faxId });
          return true;
        }
        if (status.status === 'failed') {
          record('fax', 'failed', { providerId: sent.faxId, reason: status.failureReason ?? status.providerStatus });
          return false;
        }
      }
    },
    async postal() {
      const letter = await postal.sendNoticeLetter({ notice, subject });
      record('postal', 'accepted', {
        providerId: letter.letterId,
        contentSha256: letter.contentSha256,
        reason: letter.expectedDeliveryDate ? `expected delivery ${letter.expectedDeliveryDate}` : undefined,
      });
      return true;
    },
  };

  let state: FinalState = 'unreachable';
  for (const channel of policy.channels) {
    if (!input.reachable.includes(channel)) {
      record(channel, 'skipped', { reason: 'no contact data for this channel' });
      continue;
    }
    await condition(() => !holdActive);
    try {
      if (await channels[channel]()) {
        state = notifiedState(channel);
        break;
      }
    } catch (err) {
      record(channel, 'failed', { reason: failureMessage(err) });
    } finally {
      waitingFor = undefined;
    }
  }

  await getExternalWorkflowHandle(input.parentWorkflowId).signal(subjectFinishedSignal, {
    subjectId: subject.subjectId,
    state,
    reasons: state === 'unreachable' ? attempts.filter((a) => a.reason).map((a) => `${a.channel}: ${a.reason}`) : undefined,
  });
  return { subjectId: subject.subjectId, state, attempts };
}
