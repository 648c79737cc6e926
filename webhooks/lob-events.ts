/**
 * Lob webhooks. A `letter.returned_to_sender` event means a notice counted as delivered by post
 * never reached the person: the cohort that notified the subject records them as unreachable
 * (substitute notice may then be needed) and tells the breach. Other letter events need nothing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { DeliveryReport } from '../domain/cascade';
import { cohortWorkflowId, parseNoticeId } from '../domain/ids';
import { reportDeliveryUpdate } from '../workflows/messages/cohort';
import { assertFresh, parsedBody, sendReport, singleHeader, WebhookRejected, workflowState, type VerifiedEvent, type WebhookReply, type WebhookSource } from './webhook-source';

/**
 * The parts of Lob's event object (`{ id, event_type: { id }, body: <letter>, reference_id }`)
 * we read. The letter in `body` includes the recipient's address; it is stripped here and never
 * read, logged or passed on.
 */
const lobEvent = z.object({
  id: z.string().min(1),
  event_type: z.object({ id: z.string().min(1) }),
  body: z
    .object({
      metadata: z.record(z.string(), z.unknown()).nullish(),
    })
    .optional(),
});

export interface LobEvent extends VerifiedEvent {
  /** `metadata.breach_id` and `metadata.notice_id`, as the postal activity set them on the letter. */
  breachId?: string;
  noticeId?: string;
}

/**
 * Lob documents the timestamp header as a Unix time; deliveries carry milliseconds, while some
 * descriptions say seconds. A value of more than 11 digits cannot be a plausible time in seconds,
 * so both are accepted.
 */
function signedAt(timestamp: string): Date {
  const value = Number(timestamp);
  return new Date(timestamp.length > 11 ? value : value * 1000);
}

export function lobSource(options: { secret: string; now: () => Date }): WebhookSource<LobEvent> {
  const secret = Buffer.from(options.secret, 'utf8');

  return {
    name: 'lob',

    async verify(rawBody: Buffer, headers: IncomingHttpHeaders): Promise<LobEvent> {
      const timestamp = singleHeader(headers, 'lob-signature-timestamp');
      const signature = singleHeader(headers, 'lob-signature');
      if (!timestamp || !signature) throw new WebhookRejected(401, 'the Lob signature headers are missing');
      if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookRejected(401, 'the Lob timestamp is not a Unix time');
      // The signature is checked before the timestamp is trusted for anything: the timestamp is
      // part of what is signed, so only a genuine one says how old the request is.
      if (!signatureMatches(secret, timestamp, rawBody, signature)) throw new WebhookRejected(401, 'the Lob signature does not match');
      assertFresh(signedAt(timestamp), options.now());

      const event = parsedBody(rawBody, lobEvent, 'a Lob event');
      const metadata = event.body?.metadata ?? {};
      return {
        id: event.id,
        type: event.event_type.id,
        breachId: typeof metadata.breach_id === 'string' ? metadata.breach_id : undefined,
        noticeId: typeof metadata.notice_id === 'string' ? metadata.notice_id : undefined,
      };
    },

    async act(event: LobEvent, client: Client): Promise<WebhookReply> {
      if (event.type !== 'letter.returned_to_sender') return { status: 200, body: { ignored: `no action on ${event.type}` } };
      const { breachId } = event;
      if (!breachId || !event.noticeId) return { status: 200, body: { ignored: 'the letter carries no breach notice metadata' } };
      const notice = parseNoticeId(event.noticeId);
      if (notice?.breachId !== breachId) return { status: 422, body: { error: 'the letter metadata names a notice of another breach' }, breachId };
      const { subjectId } = notice;
      const workflowId = cohortWorkflowId(breachId, notice.cohort);

      // A cohort keeps taking returned letters after its cascade ended, until the breach closes:
      // letters come back weeks after they were mailed. The notice id was set by our postal
      // activity and is signed by Lob, so it names a cohort and a subject of this breach.
      const state = await workflowState(client, workflowId);
      if (state === 'not-found') return { status: 404, body: { error: 'no breach cohort matches the letter metadata' }, breachId, subjectId };
      if (state === 'closed') return { status: 200, body: { ignored: 'the breach is closed' }, breachId, subjectId };

      const report: DeliveryReport = { subjectId, channel: 'postal', reason: 'returned to sender', source: 'lob' };
      const reply = await sendReport(client, workflowId, reportDeliveryUpdate, report, `lob-${event.id}`);
      return { ...reply, breachId, subjectId };
    },
  };
}

/** Lob's signature: hex HMAC-SHA256 of `${timestamp}.${raw body}` with the webhook secret. */
function signatureMatches(secret: Buffer, timestamp: string, rawBody: Buffer, signature: string): boolean {
  const expected = createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(rawBody).digest();
  if (!/^[0-9a-f]{64}$/i.test(signature)) return false;
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
