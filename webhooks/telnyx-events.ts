/**
 * Telnyx Programmable Fax webhooks. A `fax.failed` event tells the cohort that notifies the
 * subject that its fax will not arrive, so the cascade moves on to the next channel without
 * waiting for its next status poll. Other fax events need nothing: the cohort polls for
 * delivery itself, and the poll stays the authority on success.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Client } from '@temporalio/client';
import Telnyx from 'telnyx';
import { z } from 'zod';
import type { DeliveryReport } from '../domain/cascade';
import { cohortWorkflowId, noticeOfFaxClientState } from '../domain/ids';
import { reportDeliveryUpdate } from '../workflows/messages/cohort';
import { assertFresh, sendReport, singleHeader, WebhookRejected, workflowState, type VerifiedEvent, type WebhookReply, type WebhookSource } from './webhook-source';

/** The parts of Telnyx's webhook envelope (`{ data: { id, event_type, payload }, meta }`) we read. */
const telnyxEnvelope = z.object({
  data: z.object({
    id: z.string().min(1),
    event_type: z.string().min(1),
    payload: z
      .object({
        fax_id: z.string().optional(),
        client_state: z.string().nullish(),
        failure_reason: z.string().nullish(),
      })
      .optional(),
  }),
});

export interface TelnyxEvent extends VerifiedEvent {
  faxId?: string;
  clientState?: string;
  failureReason?: string;
}

/**
 * Telnyx's failure reasons are codes such as `receiver_no_answer`. The reason is recorded in the
 * workflow history as evidence, so anything that does not look like such a code is replaced
 * rather than risk carrying free text into the history.
 */
const FAILURE_CODE = /^[\w.-]{1,64}$/;

export function telnyxSource(options: { publicKey: string; now: () => Date }): WebhookSource<TelnyxEvent> {
  // A key of the wrong form would make every genuine event fail verification; better to refuse
  // to start. The message does not quote the key.
  if (Buffer.from(options.publicKey, 'base64').length !== 32) throw new Error('the Telnyx webhook public key must be 32 bytes, base64-encoded');
  // Only the webhook verifier of the SDK is used; it needs the public key, never an API key.
  const telnyx = new Telnyx({ apiKey: null, publicKey: options.publicKey, logLevel: 'off' });

  return {
    name: 'telnyx',

    async verify(rawBody: Buffer, headers: IncomingHttpHeaders): Promise<TelnyxEvent> {
      const timestamp = singleHeader(headers, 'telnyx-timestamp');
      const signature = singleHeader(headers, 'telnyx-signature-ed25519');
      if (!timestamp || !signature) throw new WebhookRejected(401, 'the Telnyx signature headers are missing');
      // The SDK checks the same 5-minute window, but against the system clock; checking first
      // against the receiver's clock keeps one notion of "now" and a clearer answer.
      if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookRejected(401, 'the Telnyx timestamp is not a Unix time');
      assertFresh(new Date(Number(timestamp) * 1000), options.now());
      const body = rawBody.toString('utf8');
      try {
        await telnyx.webhooks.unwrap(body, { headers: { 'telnyx-timestamp': timestamp, 'telnyx-signature-ed25519': signature } });
      } catch (err) {
        // The SDK parses the body once the signature holds: a signed body that is not JSON is malformed, not forged.
        if (err instanceof SyntaxError) throw new WebhookRejected(400, 'the body is not JSON');
        // The SDK's messages quote header values; the answer needs no more than this.
        throw new WebhookRejected(401, 'the Telnyx signature does not match');
      }
      const parsed = telnyxEnvelope.safeParse(JSON.parse(body));
      if (!parsed.success) throw new WebhookRejected(400, 'the body is not a Telnyx webhook event');
      const { data } = parsed.data;
      return {
        id: data.id,
        type: data.event_type,
        faxId: data.payload?.fax_id,
        clientState: data.payload?.client_state ?? undefined,
        failureReason: data.payload?.failure_reason ?? undefined,
      };
    },

    async act(event: TelnyxEvent, client: Client): Promise<WebhookReply> {
      if (event.type !== 'fax.failed') return { status: 200, body: { ignored: `no action on ${event.type}` } };
      // The fax activity set client_state to the notice id, which names the cohort's workflow.
      const notice = noticeOfFaxClientState(event.clientState);
      if (!notice) return { status: 200, body: { ignored: 'the fax carries no breach notice correlation id' } };
      const { breachId, subjectId } = notice;
      const workflowId = cohortWorkflowId(breachId, notice.cohort);

      const state = await workflowState(client, workflowId);
      if (state === 'not-found') return { status: 404, body: { error: 'no breach cohort matches the fax correlation id' }, breachId, subjectId };
      if (state === 'closed') return { status: 200, body: { ignored: 'the notification of this cohort has already finished' }, breachId, subjectId };

      const reason = event.failureReason && FAILURE_CODE.test(event.failureReason) ? event.failureReason : 'fax failed (no reason given)';
      const report: DeliveryReport = { subjectId, channel: 'fax', reason, source: 'telnyx' };
      const reply = await sendReport(client, workflowId, reportDeliveryUpdate, report, `telnyx-${event.id}`);
      return { ...reply, breachId, subjectId };
    },
  };
}

