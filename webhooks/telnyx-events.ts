/**
 * Telnyx Programmable Fax webhooks. A `fax.failed` event tells the subject's NotifyIndividual
 * workflow that its fax will not arrive, so the cascade moves on to the next channel without
 * waiting for its next status poll. Other fax events need nothing: the workflow polls for
 * delivery itself, and the poll stays the authority on success.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Client } from '@temporalio/client';
import Telnyx from 'telnyx';
import { z } from 'zod';
import { subjectWorkflowId, type DeliveryReport } from '../domain/cascade';
import { attemptsQuery, reportDeliveryUpdate } from '../workflows/notify-individual';
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
      } catch {
        // The SDK's messages quote header values; the answer needs no more than this.
        throw new WebhookRejected(401, 'the Telnyx signature does not match');
      }
      const parsed = telnyxEnvelope.safeParse(safeJson(body));
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
      const notice = decodeClientState(event.clientState);
      if (!notice) return { status: 200, body: { ignored: 'the fax carries no breach notice correlation id' } };

      const found = await findSubject(client, notice, event.faxId);
      if (found.kind === 'not-found') return { status: 404, body: { error: 'no breach subject matches the fax correlation id' } };
      if (found.kind === 'ambiguous') return { status: 422, body: { error: 'the fax correlation id matches more than one breach subject' } };
      const { breachId, subjectId } = found;
      if (found.kind === 'closed') return { status: 200, body: { ignored: 'the notification of this subject has already finished' }, breachId, subjectId };

      const reason = event.failureReason && FAILURE_CODE.test(event.failureReason) ? event.failureReason : 'fax failed (no reason given)';
      const report: DeliveryReport = { channel: 'fax', reason };
      const reply = await sendReport(client, subjectWorkflowId(breachId, subjectId), reportDeliveryUpdate, report, `telnyx-${event.id}`);
      return { ...reply, breachId, subjectId };
    },
  };
}

/** The fax activity sends `client_state` = base64 of `noticeId(breachId, subjectId)`. */
function decodeClientState(clientState: string | undefined): string | undefined {
  if (!clientState || !/^[A-Za-z0-9+/]+={0,2}$/.test(clientState)) return undefined;
  const notice = Buffer.from(clientState, 'base64').toString('utf8');
  return notice.includes('.') ? notice : undefined;
}

type SubjectMatch =
  | { kind: 'running' | 'closed'; breachId: string; subjectId: string }
  | { kind: 'not-found' }
  | { kind: 'ambiguous' };

/**
 * The correlation id `${breachId}.${subjectId}` is ambiguous when either id contains a dot. Each
 * split point names a different child workflow id, so the split whose workflow exists is the
 * right one. Should two exist (ids crafted to collide), the one whose fax attempt carries this
 * fax id wins; the workflow records Telnyx's fax id with every attempt.
 */
async function findSubject(client: Client, notice: string, faxId: string | undefined): Promise<SubjectMatch> {
  const existing: { breachId: string; subjectId: string; state: 'running' | 'closed' }[] = [];
  for (let dot = notice.indexOf('.'); dot !== -1; dot = notice.indexOf('.', dot + 1)) {
    const breachId = notice.slice(0, dot);
    const subjectId = notice.slice(dot + 1);
    if (!breachId || !subjectId) continue;
    const state = await workflowState(client, subjectWorkflowId(breachId, subjectId));
    if (state !== 'not-found') existing.push({ breachId, subjectId, state });
  }
  if (existing.length === 0) return { kind: 'not-found' };
  if (existing.length === 1) return { kind: existing[0]!.state, breachId: existing[0]!.breachId, subjectId: existing[0]!.subjectId };

  const sentThisFax: typeof existing = [];
  for (const candidate of existing) {
    const { attempts } = await client.workflow.getHandle(subjectWorkflowId(candidate.breachId, candidate.subjectId)).query(attemptsQuery);
    if (faxId && attempts.some((a) => a.channel === 'fax' && a.providerId === faxId)) sentThisFax.push(candidate);
  }
  const only = sentThisFax.length === 1 ? sentThisFax[0]! : undefined;
  return only ? { kind: only.state, breachId: only.breachId, subjectId: only.subjectId } : { kind: 'ambiguous' };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
