/**
 * SendGrid's Event Webhook: a batch of events per request, signed with ECDSA over the timestamp
 * and the raw body (verified with SendGrid's own library). A `bounce` of type `bounce` and a
 * `dropped` event mean the email will not arrive, so the person moves on; a `deferred` event or
 * a `blocked` bounce (SendGrid retries it) is recorded as a delay; a `spamreport` is recorded as a
 * complaint. Each event names its notice by the `smtp-id` SendGrid reports: our Message-ID.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { EventWebhook, EventWebhookHeader } from '@sendgrid/eventwebhook';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { DeliveryReport } from '../domain/cascade';
import { cohortWorkflowId, noticeOfMessageId } from '../domain/ids';
import { reportDeliveryUpdate } from '../workflows/messages/cohort';
import { assertFresh, parsedBody, sendReport, singleHeader, WebhookRejected, type VerifiedEvent, type WebhookReply, type WebhookSource } from './webhook-source';

/** The fields of one SendGrid event we read; the address in `email` is never read. */
const sendgridEvent = z.object({
  event: z.string().min(1),
  sg_event_id: z.string().min(1),
  'smtp-id': z.string().optional(),
  type: z.string().optional(),
  status: z.string().optional(),
});

type SendgridEvent = z.infer<typeof sendgridEvent>;

export interface SendgridBatch extends VerifiedEvent {
  events: SendgridEvent[];
}

/** What an event means for the person's cascade, or undefined when nothing. */
function reportOf(event: SendgridEvent): Pick<DeliveryReport, 'reason' | 'observation'> | undefined {
  // SendGrid's status is an enhanced status code such as 5.1.1; anything else is not carried into a history.
  const status = event.status && /^[245]\.\d{1,3}\.\d{1,3}$/.test(event.status) ? `, status ${event.status}` : '';
  if (event.event === 'dropped') return { reason: 'SendGrid dropped the message' };
  if (event.event === 'bounce' && event.type === 'blocked') return { reason: `SendGrid: blocked${status}`, observation: 'delayed' };
  if (event.event === 'bounce') return { reason: `SendGrid: bounce${status}` };
  if (event.event === 'deferred') return { reason: `SendGrid: deferred${status}`, observation: 'delayed' };
  if (event.event === 'spamreport') return { reason: 'SendGrid: marked as spam by the recipient', observation: 'complaint' };
  return undefined;
}

export function sendgridSource(options: { publicKey: string; now: () => Date }): WebhookSource<SendgridBatch> {
  const verifier = new EventWebhook();
  let key: ReturnType<EventWebhook['convertPublicKeyToECDSA']>;
  try {
    key = verifier.convertPublicKeyToECDSA(options.publicKey);
  } catch {
    // The message does not quote the key.
    throw new Error('the SendGrid verification key is not a base64 ECDSA public key, as the Mail Settings page shows it');
  }

  return {
    name: 'sendgrid',

    async verify(rawBody: Buffer, headers: IncomingHttpHeaders): Promise<SendgridBatch> {
      const signature = singleHeader(headers, EventWebhookHeader.SIGNATURE());
      const timestamp = singleHeader(headers, EventWebhookHeader.TIMESTAMP());
      if (!signature || !timestamp) throw new WebhookRejected(401, 'the SendGrid signature headers are missing');
      if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookRejected(401, 'the SendGrid timestamp is not a Unix time');
      let valid = false;
      try {
        valid = verifier.verifySignature(key, rawBody, signature, timestamp);
      } catch {
        valid = false;
      }
      if (!valid) throw new WebhookRejected(401, 'the SendGrid signature does not match');
      assertFresh(new Date(Number(timestamp) * 1000), options.now());

      const events = parsedBody(rawBody, z.array(sendgridEvent).min(1), 'a batch of SendGrid events');
      // SendGrid posts a failed batch again as it was: the same body is the same batch.
      return { id: createHash('sha256').update(rawBody).digest('hex'), type: 'batch', events };
    },

    async act(batch: SendgridBatch, client: Client): Promise<WebhookReply> {
      const outcomes = { reported: 0, ignored: 0 };
      for (const event of batch.events) {
        const meaning = reportOf(event);
        const notice = event['smtp-id'] ? noticeOfMessageId(event['smtp-id']) : undefined;
        if (!meaning || !notice) {
          outcomes.ignored++;
          continue;
        }
        const report: DeliveryReport = { subjectId: notice.subjectId, channel: 'email', source: 'sendgrid', ...meaning };
        const reply = await sendReport(client, cohortWorkflowId(notice.breachId, notice.cohort), reportDeliveryUpdate, report, `sendgrid-${event.sg_event_id}`);
        // SendGrid retries the whole batch on any 5xx; the events already applied are refused by their update ids.
        if (reply.status >= 500) return { status: reply.status, body: { error: 'a report could not be delivered; retry the batch later' } };
        if (reply.status === 200 && 'delivered' in reply.body) outcomes.reported++;
        else outcomes.ignored++;
      }
      return { status: 200, body: outcomes };
    },
  };
}
