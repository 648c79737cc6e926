/**
 * Amazon SES notifications through Amazon SNS. SNS signs each message with the key of a
 * certificate it names by URL; the receiver takes the certificate only over HTTPS from an SNS
 * host (`sns.<region>.amazonaws.com`), verifies the signature (SHA1withRSA for SignatureVersion 1,
 * SHA256withRSA for 2) over the fields SNS signs, and takes messages only from the configured
 * topics, since any AWS account can sign an SNS message. A subscription confirmation is confirmed
 * by fetching its SubscribeURL from the same kind of host. An SES `Bounce` of type `Permanent`
 * moves the person on; a `Transient` or `Undetermined` one is recorded as a delay; a `Complaint`
 * is recorded as a complaint. The notice is named by the `X-Notice-Id` header SES returns, or by
 * the original Message-ID.
 */
import { createVerify, X509Certificate } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { DeliveryReport } from '../domain/cascade';
import { cohortWorkflowId, noticeOfMessageId, parseNoticeId, type NoticeRef } from '../domain/ids';
import { reportDeliveryUpdate } from '../workflows/messages/cohort';
import { assertFresh, parsedBody, sendReport, WebhookRejected, type VerifiedEvent, type WebhookReply, type WebhookSource } from './webhook-source';

const snsMessage = z.object({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  MessageId: z.string().min(1),
  TopicArn: z.string().min(1),
  Message: z.string(),
  Timestamp: z.string().min(1),
  SignatureVersion: z.enum(['1', '2']),
  Signature: z.string().min(1),
  SigningCertURL: z.string().min(1),
  Subject: z.string().optional(),
  SubscribeURL: z.string().optional(),
  Token: z.string().optional(),
});

type SnsMessage = z.infer<typeof snsMessage>;

/** The parts of an SES notification (`notificationType`) or event (`eventType`) we read; addresses are never read. */
const sesNotification = z.object({
  notificationType: z.string().optional(),
  eventType: z.string().optional(),
  bounce: z.object({ bounceType: z.string(), bouncedRecipients: z.array(z.object({ status: z.string().optional() })).optional() }).optional(),
  complaint: z.object({ complaintFeedbackType: z.string().optional() }).optional(),
  mail: z.object({
    headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
    commonHeaders: z.object({ messageId: z.string().optional() }).optional(),
  }),
});

export interface SesEvent extends VerifiedEvent {
  message: SnsMessage;
}

/** The fields SNS signs, in the order it signs them, per message type. */
const SIGNED_FIELDS: Record<SnsMessage['Type'], (keyof SnsMessage)[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

/** Where SNS certificates and subscription URLs may come from: HTTPS on an SNS host. Tests point it at a local sandbox. */
export interface SnsHosts {
  protocol: 'https:' | 'http:';
  host: RegExp;
}

export const AWS_SNS_HOSTS: SnsHosts = { protocol: 'https:', host: /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/ };

export function sesSource(options: { topicArns: string[]; now: () => Date; hosts?: SnsHosts; fetch?: typeof fetch }): WebhookSource<SesEvent> {
  const hosts = options.hosts ?? AWS_SNS_HOSTS;
  const get = options.fetch ?? fetch;
  const certificates = new Map<string, X509Certificate>();

  const fromSns = (url: string | undefined): URL | undefined => {
    try {
      const parsed = new URL(url ?? '');
      return parsed.protocol === hosts.protocol && hosts.host.test(parsed.hostname) ? parsed : undefined;
    } catch {
      return undefined;
    }
  };

  async function certificate(url: URL): Promise<X509Certificate> {
    const known = certificates.get(url.href);
    if (known) return known;
    const response = await get(url, { redirect: 'error' });
    if (!response.ok) throw new WebhookRejected(401, 'the SNS signing certificate could not be fetched');
    const cert = new X509Certificate(Buffer.from(await response.arrayBuffer()));
    certificates.set(url.href, cert);
    return cert;
  }

  return {
    name: 'ses',

    async verify(rawBody: Buffer): Promise<SesEvent> {
      const message = parsedBody(rawBody, snsMessage, 'an SNS message');
      const certUrl = fromSns(message.SigningCertURL);
      if (!certUrl || !certUrl.pathname.endsWith('.pem')) throw new WebhookRejected(401, 'the SNS signing certificate URL is not an Amazon SNS certificate URL');
      const signed = SIGNED_FIELDS[message.Type].flatMap((field) => (message[field] === undefined ? [] : [`${field}\n${message[field]}\n`])).join('');
      const verifier = createVerify(message.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256').update(signed, 'utf8');
      let valid = false;
      try {
        valid = verifier.verify((await certificate(certUrl)).publicKey, message.Signature, 'base64');
      } catch (err) {
        if (err instanceof WebhookRejected) throw err;
        valid = false;
      }
      if (!valid) throw new WebhookRejected(401, 'the SNS signature does not match');
      assertFresh(new Date(message.Timestamp), options.now());
      if (!options.topicArns.includes(message.TopicArn)) throw new WebhookRejected(403, 'the SNS topic is not one this receiver takes');
      return { id: message.MessageId, type: message.Type, message };
    },

    async act(event: SesEvent, client: Client): Promise<WebhookReply> {
      const { message } = event;
      if (message.Type === 'SubscriptionConfirmation') return confirm(message);
      if (message.Type === 'UnsubscribeConfirmation') return { status: 200, body: { ignored: 'unsubscribed' } };
      let notification;
      try {
        notification = sesNotification.parse(JSON.parse(message.Message));
      } catch {
        return { status: 400, body: { error: 'the SNS message is not an SES notification' } };
      }
      const meaning = reportOf(notification);
      if (!meaning) return { status: 200, body: { ignored: `no action on ${notification.notificationType ?? notification.eventType}` } };
      const notice = noticeOf(notification);
      if (!notice) return { status: 200, body: { ignored: 'the message names no notice of ours' } };
      const report: DeliveryReport = { subjectId: notice.subjectId, channel: 'email', source: 'ses', ...meaning };
      const reply = await sendReport(client, cohortWorkflowId(notice.breachId, notice.cohort), reportDeliveryUpdate, report, `ses-${message.MessageId}`);
      return { ...reply, breachId: notice.breachId, subjectId: notice.subjectId };
    },
  };

  async function confirm(message: SnsMessage): Promise<WebhookReply> {
    const url = fromSns(message.SubscribeURL);
    if (!url) return { status: 400, body: { error: 'the SubscribeURL is not an Amazon SNS URL' } };
    const response = await get(url, { redirect: 'error' });
    return response.ok ? { status: 200, body: { confirmed: message.TopicArn } } : { status: 502, body: { error: 'SNS refused the subscription confirmation' } };
  }
}

/** What an SES notification means for the person's cascade, in codes only, or undefined when nothing. */
function reportOf(n: z.infer<typeof sesNotification>): Pick<DeliveryReport, 'reason' | 'observation'> | undefined {
  const type = n.notificationType ?? n.eventType;
  if (type === 'Bounce' && n.bounce) {
    const code = n.bounce.bouncedRecipients?.[0]?.status;
    const status = code && /^[245]\.\d{1,3}\.\d{1,3}$/.test(code) ? `, status ${code}` : '';
    const reason = `SES: ${n.bounce.bounceType.toLowerCase()} bounce${status}`;
    return n.bounce.bounceType === 'Permanent' ? { reason } : { reason, observation: 'delayed' };
  }
  if (type === 'Complaint') {
    const feedback = n.complaint?.complaintFeedbackType && /^[\w-]{1,32}$/.test(n.complaint.complaintFeedbackType) ? ` (${n.complaint.complaintFeedbackType})` : '';
    return { reason: `SES: complaint${feedback}`, observation: 'complaint' };
  }
  return undefined;
}

function noticeOf(n: z.infer<typeof sesNotification>): NoticeRef | undefined {
  const header = n.mail.headers?.find((h) => h.name.toLowerCase() === 'x-notice-id')?.value;
  const byHeader = header ? parseNoticeId(header) : undefined;
  if (byHeader) return byHeader;
  const messageId = n.mail.commonHeaders?.messageId ?? n.mail.headers?.find((h) => h.name.toLowerCase() === 'message-id')?.value;
  return messageId ? noticeOfMessageId(messageId) : undefined;
}
