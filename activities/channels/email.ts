import { ApplicationFailure } from '@temporalio/activity';
import type { SendBatchRequest, SendBatchResult } from '../../domain/batch';
import { NO_CONTACT_DATA, SMTP_REJECTED } from '../../domain/failures';
import { noticeId, noticeMessageId, noticeReturnPath } from '../../domain/ids';
import type { LoadSubjects, RenderNotice } from '../../domain/individuals';
import { Deferred, sendBatch, Slots, type BatchOptions } from '../batch-sender';
import type { ReadNotice } from '../notice-source';
import { sendMail, type MailTransport } from '../smtp';

export interface EmailChannelDeps {
  transport: MailTransport;
  from: string;
  /** The company's name as the sender's display name, and where replies go (`controller` in temporal.yaml). */
  senderName?: string;
  replyTo?: string;
  /** The VERP pattern of the envelope sender (`smtp.returnPath`); the envelope sender is `from` without it. */
  returnPath?: string;
  domain: string;
  loadSubjects: LoadSubjects;
  renderNotice: RenderNotice;
  readNotice: ReadNotice;
  /** At most one message per pooled SMTP connection is in flight, so a hold stops all others before they begin. */
  batch: BatchOptions;
}

/**
 * The email channel: one recipient per message, a Message-ID and X-Notice-Id derived from the
 * notice id (breach, cohort, subject), so that a resend is the same message and a bounce report
 * finds its cohort; with `returnPath`, the envelope sender names the notice too (VERP), so that
 * a delivery status notification finds it whatever relays did to the headers.
 */
export function createEmailActivities(deps: EmailChannelDeps) {
  // One slot per pooled connection, shared by the worker's email batches: a message begins only
  // when a connection is free, so nothing waits inside the pool where a hold could not stop it.
  const batch = { ...deps.batch, slots: new Slots(deps.batch.concurrency) };
  return {
    async sendEmailBatch(request: SendBatchRequest): Promise<SendBatchResult> {
      const notice = await deps.readNotice(request);
      return sendBatch(request, deps.loadSubjects, batch, async (subject, ref) => {
        if (!subject.email) throw ApplicationFailure.nonRetryable('the subject has no email address', NO_CONTACT_DATA);
        const content = await deps.renderNotice(notice, subject, 'email');
        const messageId = noticeMessageId(ref, deps.domain);
        try {
          const smtpReply = await sendMail(deps.transport, {
            from: deps.senderName ? { name: deps.senderName, address: deps.from } : deps.from,
            ...(deps.replyTo ? { replyTo: deps.replyTo } : {}),
            to: [subject.email],
            subject: content.subject,
            text: content.text,
            html: content.html,
            messageId,
            headers: { 'X-Notice-Id': noticeId(ref) },
            ...(deps.returnPath ? { envelopeFrom: noticeReturnPath(deps.returnPath, ref) } : {}),
          });
          return { providerId: messageId, smtpReply, contentSha256: content.contentSha256 };
        } catch (err) {
          if (err instanceof ApplicationFailure && err.type === SMTP_REJECTED) throw err;
          // A reply code means the server answered for this recipient; no code means we could not reach it.
          if ((err as { smtpReplyCode?: number }).smtpReplyCode !== undefined) throw new Deferred((err as Error).message);
          throw err;
        }
      });
    },
  };
}

export type EmailActivities = ReturnType<typeof createEmailActivities>;
