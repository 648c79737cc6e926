import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import Telnyx, { APIError, toFile } from 'telnyx';
import type { Fax } from 'telnyx/resources/faxes/faxes';
import type { FaxStatus, SendBatchRequest, SendBatchResult } from '../../domain/batch';
import { faxClientState } from '../../domain/ids';
import type { LoadSubjects, NoticeContent, RenderNotice, Subject } from '../../domain/individuals';
import { sendBatch, type BatchOptions } from '../batch-sender';
import type { ReadNotice } from '../notice-source';
import { renderNoticePdf, type FaxCover } from './notice-pdf';
import { FAX_NOT_CONFIGURED, FAX_REJECTED, NO_CONTACT_DATA } from '../../domain/failures';

export interface FaxChannelConfig {
  /** Name of the environment variable that holds the Telnyx API key (never the key itself). */
  apiKeyEnv: string;
  /** The Telnyx Programmable Fax application (connection) that sends the faxes. */
  connectionId: string;
  /** E.164 number the faxes are sent from. */
  from: string;
  /** Telnyx API base URL including `/v2`; the SDK's default (api.telnyx.com) when absent. */
  baseUrl?: string;
}

/**
 * Activities of the fax channel. Neither returns nor throws contact data, so nothing personal
 * reaches the workflow history or the logs. Faxes cost money and cannot be recognised by the
 * receiver, so a notice that may already have been faxed (a retried batch, a batch cancelled
 * or crashed mid-way) is first looked up by its correlation id and never sent twice.
 */
/** The PDF a fax sends of a rendered notice, and its SHA-256 as the evidence records it (`breach notice preview` shows the same). */
export async function faxDocument(content: NoticeContent, cover: FaxCover): Promise<{ pdf: Buffer; contentSha256: string }> {
  const pdf = await renderNoticePdf(content, cover);
  return { pdf, contentSha256: createHash('sha256').update(pdf).digest('hex') };
}

/** The cover sheet of one person's fax. */
export function faxCover(subject: Pick<Subject, 'fullName' | 'fax'>, fromFax: string, senderName?: string): FaxCover {
  return { to: subject.fullName, toFax: subject.fax, fromFax, ...(senderName ? { from: senderName } : {}) };
}

export function createFaxActivities(deps: { senderName?: string; config: FaxChannelConfig; env?: NodeJS.ProcessEnv; loadSubjects: LoadSubjects; renderNotice: RenderNotice; readNotice: ReadNotice; batch: BatchOptions }) {
  const { config } = deps;
  const telnyx = () => telnyxClient(config, deps.env ?? process.env);

  return {
    async sendFaxBatch(request: SendBatchRequest): Promise<SendBatchResult> {
      const client = telnyx();
      const notice = await deps.readNotice(request);
      return sendBatch(request, deps.loadSubjects, deps.batch, async (subject, ref, item) => {
        const to = subject.fax;
        if (!to) throw ApplicationFailure.nonRetryable('The subject has no fax number', NO_CONTACT_DATA);
        const { pdf, contentSha256 } = await faxDocument(await deps.renderNotice(notice, subject, 'fax'), faxCover(subject, config.from, deps.senderName));
        const clientState = faxClientState(ref);
        if (item.mayExist) {
          const earlier = await findFaxByClientState(client, to, clientState);
          if (earlier?.id) return { providerId: earlier.id, contentSha256 };
        }
        const faxId = await createFax(client, { connection_id: config.connectionId, from: config.from, to, client_state: clientState }, pdf);
        return { providerId: faxId, contentSha256 };
      });
    },

    /** The status of each fax, read one by one (Telnyx has no batch read); a fax that cannot be read now stays pending. */
    async faxStatuses(req: { faxIds: string[] }): Promise<FaxStatus[]> {
      const client = telnyx();
      const statuses: FaxStatus[] = [];
      for (const faxId of req.faxIds) {
        const fax = await call('retrieve', () => client.faxes.retrieve(faxId));
        statuses.push({ faxId, ...toStatusResult(fax.data) });
        Context.current().heartbeat();
      }
      return statuses;
    },
  };
}

export type FaxActivities = ReturnType<typeof createFaxActivities>;

function telnyxClient(config: FaxChannelConfig, env: NodeJS.ProcessEnv): Telnyx {
  const apiKey = env[config.apiKeyEnv];
  if (!apiKey) {
    // Retrying cannot make a missing key appear; the cascade should move on to the next channel.
    throw ApplicationFailure.nonRetryable(`The environment variable ${config.apiKeyEnv} is not set`, FAX_NOT_CONFIGURED);
  }
  return new Telnyx({
    apiKey,
    ...(config.baseUrl ? { baseURL: config.baseUrl } : {}),
    // Temporal's activity retry policy retries, with its own backoff and history; SDK retries
    // inside one attempt would hide repeated creates from it.
    maxRetries: 0,
    timeout: 30_000,
    // The SDK's debug logging prints request URLs and bodies, which carry fax numbers; keep it
    // off whatever TELNYX_LOG says.
    logLevel: 'off',
  });
}

/** Finds an earlier fax of this notice, recognised by its correlation id in `client_state`. */
async function findFaxByClientState(client: Telnyx, to: string, clientState: string): Promise<Fax | undefined> {
  return call('list', async () => {
    for await (const fax of client.faxes.list({ filter: { to: { eq: to }, direction: { eq: 'outbound' } } })) {
      if (fax.client_state === clientState) return fax;
    }
    return undefined;
  });
}

/**
 * Creates the fax with the PDF in the request itself (`contents`, multipart), so the notice is
 * never published at a public URL for Telnyx to fetch, nor kept in Media Storage (`store_media`
 * stays off), and each fax is one request. The API documents `contents` beside `media_url` and
 * `media_name`, and the SDK sends any file-valued body as multipart, but its generated params do
 * not describe the field, hence the cast.
 */
async function createFax(client: Telnyx, fields: Omit<Telnyx.FaxCreateParams, 'media_url' | 'media_name'>, pdf: Buffer): Promise<string> {
  const params = { ...fields, contents: await toFile(pdf, 'notice.pdf', { type: 'application/pdf' }) } as Telnyx.FaxCreateParams;
  const created = await call('create', () => client.faxes.create(params));
  const faxId = created.data?.id;
  if (!faxId) throw new Error('Telnyx fax create answered without a fax id');
  return faxId;
}

function toStatusResult(fax: Fax | undefined): Omit<FaxStatus, 'faxId'> {
  const providerStatus = fax?.status ?? 'unknown';
  if (providerStatus === 'delivered') return { status: 'delivered', providerStatus };
  if (providerStatus === 'failed') {
    return { status: 'failed', providerStatus, ...(fax?.failure_reason ? { failureReason: fax.failure_reason } : {}) };
  }
  return { status: 'pending', providerStatus };
}

/**
 * Runs one Telnyx request and turns its failure into what Temporal should do with it. The SDK's
 * own messages quote the response body, which may echo a fax number, so they are replaced by the
 * status code and Telnyx's error codes.
 */
async function call<T>(operation: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    throw classify(operation, err);
  }
}

function classify(operation: string, err: unknown): Error {
  if (err instanceof ApplicationFailure) return err;
  if (!(err instanceof APIError) || err.status === undefined) {
    // Network failures and timeouts (APIConnectionError has no status): worth another attempt.
    // Only the error class is named: the SDK's connection errors carry the request URL in their
    // cause, and a list URL contains the fax number.
    return new Error(`Telnyx ${operation} failed: no response (${err instanceof Error ? err.constructor.name : 'unknown error'})`);
  }
  const message = `Telnyx ${operation} failed: HTTP ${err.status}${telnyxErrorCodes(err.error)}`;
  if (isPermanent(err.status)) {
    return ApplicationFailure.nonRetryable(message, FAX_REJECTED);
  }
  return new Error(message);
}

/**
 * A 4xx means Telnyx refused this request as it is (invalid number, bad parameter, bad key); the
 * same request will be refused again. Rate limiting (429) and request timeouts (408) are the
 * exceptions that pass with time.
 */
function isPermanent(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** Telnyx's error codes (e.g. `10002`) from an `{"errors": [...]}` body; details are left out. */
function telnyxErrorCodes(body: unknown): string {
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(errors)) return '';
  const codes = errors
    .map((e: unknown) => (e as { code?: unknown }).code)
    .filter((code): code is string | number => typeof code === 'string' || typeof code === 'number')
    .map(String)
    .filter((code) => /^[\w.-]{1,20}$/.test(code));
  return codes.length > 0 ? ` (Telnyx error ${codes.join(', ')})` : '';
}
