import { ApplicationFailure } from '@temporalio/activity';
import { noticeId, type LoadSubject, type RenderNotice, type SubjectRef } from '../../domain/individuals';
import type { BreachNotice } from '../../domain/notice';
import { sendMail, type MailTransport } from '../smtp';
import { NO_CONTACT_DATA } from '../../domain/failures';

export interface NoticeEmailRequest {
  notice: BreachNotice;
  subject: SubjectRef;
}

export interface NoticeEmailEvidence {
  messageId: string;
  smtpReply: string;
  contentSha256: string;
}

/**
 * The email channel: one recipient per message, a Message-ID and X-Notice-Id derived from breach
 * and subject so that a retry or a bounce report can be matched to this notice.
 */
export function createEmailActivities(deps: { transport: MailTransport; from: string; domain: string; loadSubject: LoadSubject; renderNotice: RenderNotice }) {
  return {
    async sendNoticeEmail({ notice, subject: ref }: NoticeEmailRequest): Promise<NoticeEmailEvidence> {
      const subject = await deps.loadSubject(ref);
      if (!subject.email) throw ApplicationFailure.nonRetryable('the subject has no email address', NO_CONTACT_DATA);
      const content = await deps.renderNotice(notice, subject, 'email');
      const id = noticeId(notice.breachId, subject.subjectId);
      const messageId = `<notice.${encodeURIComponent(id)}@${deps.domain}>`;
      const smtpReply = await sendMail(deps.transport, {
        from: deps.from,
        to: [subject.email],
        subject: content.subject,
        text: content.text,
        html: content.html,
        messageId,
        headers: { 'X-Notice-Id': id },
      });
      return { messageId, smtpReply, contentSha256: content.contentSha256 };
    },
  };
}

export type EmailActivities = ReturnType<typeof createEmailActivities>;
