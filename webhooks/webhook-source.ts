import type { IncomingHttpHeaders } from 'node:http';
import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client, type WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import type { z } from 'zod';

/**
 * What the receiver answers a provider, and what it logs about it. The log fields are ids only:
 * provider events carry fax numbers and postal addresses, which must never reach a log line.
 */
export interface WebhookReply {
  status: number;
  body: Record<string, unknown>;
  breachId?: string;
  subjectId?: string;
}

/** An event whose signature and timestamp checked out. */
export interface VerifiedEvent {
  /** The provider's event id; a second delivery of the same id is a replay. */
  id: string;
  type: string;
}

/** One provider (Telnyx, Lob): how its deliveries are authenticated and what they mean to us. */
export interface WebhookSource<E extends VerifiedEvent> {
  name: string;
  /** Throws `WebhookRejected` (401 or 400) unless the request is authentic, fresh and well formed. */
  verify(rawBody: Buffer, headers: IncomingHttpHeaders): Promise<E>;
  /** Turns the event into a workflow update, or decides that nothing needs doing. */
  act(event: E, client: Client): Promise<WebhookReply>;
}

/** A request refused before anything was read from it: the reply says why, in words without personal data. */
export class WebhookRejected extends Error {
  override name = 'WebhookRejected';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How far a signature timestamp may be from our clock. Both providers sign the timestamp with
 * the body, so a captured request can be replayed only inside this window, and the replay guard
 * remembers every event id seen inside it.
 */
export const TIMESTAMP_TOLERANCE_MS = 5 * 60_000;

export function assertFresh(signedAt: Date, now: Date): void {
  if (Math.abs(now.getTime() - signedAt.getTime()) > TIMESTAMP_TOLERANCE_MS) {
    throw new WebhookRejected(401, 'the signature timestamp is more than 5 minutes away from the receiver clock');
  }
}

/** A verified body as the provider's schema reads it; one that is not JSON, or not of that shape, is malformed (400). */
export function parsedBody<T>(rawBody: Buffer, schema: z.ZodType<T>, notWhat: string): T {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new WebhookRejected(400, 'the body is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new WebhookRejected(400, `the body is not ${notWhat}`);
  return parsed.data;
}

/** One header value; a header sent twice is ambiguous and treated as missing. */
export function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return typeof value === 'string' ? value : undefined;
}

/**
 * How long the receiver waits for Temporal (and the worker behind it) before it answers 503.
 * Providers give up on a webhook after some seconds and retry it later, which is what we want
 * when the worker is down.
 */
const TEMPORAL_DEADLINE_MS = 10_000;

export type WorkflowState = 'running' | 'closed' | 'not-found';

/** Whether a workflow exists and still runs; a finished one can no longer take reports. */
export async function workflowState(client: Client, workflowId: string): Promise<WorkflowState> {
  try {
    const description = await client.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => client.workflow.getHandle(workflowId).describe());
    return description.status.name === 'RUNNING' ? 'running' : 'closed';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'not-found';
    throw err;
  }
}

/**
 * Sends one report as a Temporal update and translates the outcome into the provider's terms.
 *
 * The update id is derived from the provider's event id, so Temporal itself refuses to apply the
 * same event twice to a workflow run, even after the receiver restarted and forgot the ids it
 * had seen.
 *
 * A report the workflow's validator refuses (for instance a fax failure that arrives after the
 * workflow already read the failure by polling, or stopped waiting for the fax) is answered 200
 * with `ignored`: the provider retries every non-2xx answer for hours, and no retry can change
 * the workflow's mind. The refusal text comes from our own validators and names no person.
 */
export async function sendReport<Arg>(
  client: Client,
  workflowId: string,
  update: UpdateDefinition<void, [Arg]>,
  report: Arg,
  updateId: string,
): Promise<Pick<WebhookReply, 'status' | 'body'>> {
  const handle: WorkflowHandle = client.workflow.getHandle(workflowId);
  try {
    await client.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => handle.executeUpdate(update, { args: [report], updateId }));
    return { status: 200, body: { delivered: true } };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return { status: 200, body: { ignored: err.cause?.message ?? 'the workflow refused the report' } };
    if (err instanceof WorkflowNotFoundError) return { status: 404, body: { error: 'no running workflow for this notice' } };
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return unavailable();
    throw err;
  }
}

/** Temporal or the worker did not answer in time; the provider should try again later. */
export function unavailable(): Pick<WebhookReply, 'status' | 'body'> {
  return { status: 503, body: { error: 'the workflow did not answer in time; retry later' } };
}
