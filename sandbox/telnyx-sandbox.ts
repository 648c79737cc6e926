import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Telnyx's v2 Programmable Fax API: the same paths, bodies,
 * status codes and `{"data": ...}` / `{"errors": [...]}` shapes, so the official `telnyx` SDK runs
 * unchanged against it. Only the far end (the fax line) is simulated, and tests script it.
 */

/** One fax as the sandbox received it, for assertions. */
export interface ReceivedFax {
  id: string;
  connectionId: string;
  from: string;
  to: string;
  /** Base64, exactly as sent. */
  clientState?: string;
  mediaName?: string;
  mediaUrl?: string;
  /** The document the fax carries, when it was sent with the create request (`contents`). */
  pdf?: Buffer;
  createdAt: Date;
}

/** How the far end behaves; tests change it between steps. */
export interface TelnyxSandboxScript {
  /** Faxes to these numbers are accepted, then end `failed` with `failureReason`. */
  failNumbers: Set<string>;
  failureReason: string;
  /** Creating a fax to one of these numbers answers 422, as Telnyx does for an invalid number. */
  rejectNumbers: Set<string>;
  /**
   * How long each status step (queued → media.processed → sending → delivered | failed) takes.
   * Status is computed when a fax is read, so a fax is final `3 * stepMs` after its creation.
   */
  stepMs: number;
  /** The next `n` creates answer 503 before anything is created. */
  failCreatesWith503(n: number): void;
  /** The next `n` creates create the fax, then answer 503: the response is lost, the fax is not. */
  createThen503(n: number): void;
  /** Creates wait, unanswered, until the function returned is called: a fax queue that does not move. */
  holdCreates(): () => void;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
}

export interface TelnyxSandbox {
  /** The v2 base URL to give the SDK as `baseURL`, e.g. http://127.0.0.1:41234/v2. */
  baseUrl: string;
  apiKey: string;
  faxes: ReceivedFax[];
  requests: RecordedRequest[];
  script: TelnyxSandboxScript;
  stop(): Promise<void>;
}

const E164 = /^\+[1-9]\d{1,14}$/;

export async function startTelnyxSandbox(options: { apiKey?: string; stepMs?: number; port?: number } = {}): Promise<TelnyxSandbox> {
  const apiKey = options.apiKey ?? `KEY${randomBytes(16).toString('hex').toUpperCase()}`;
  const faxes: ReceivedFax[] = [];
  const requests: RecordedRequest[] = [];
  const pending = { before503: 0, after503: 0, createsHeld: Promise.resolve() };
  const script: TelnyxSandboxScript = {
    failNumbers: new Set(),
    failureReason: 'receiver_no_answer',
    rejectNumbers: new Set(),
    stepMs: options.stepMs ?? 10,
    failCreatesWith503: (n) => void (pending.before503 += n),
    createThen503: (n) => void (pending.after503 += n),
    holdCreates: () => {
      let release!: () => void;
      pending.createsHeld = new Promise<void>((resolve) => (release = resolve));
      return release;
    },
  };
  const state: SandboxState = { apiKey, faxes, faxesById: new Map(), script, pending };

  const server = createServer((req, res) => {
    handle(state, req, res)
      .catch(() => send(res, 500, errorBody('10007', 'Unexpected error', 'The sandbox failed to handle the request.')))
      .finally(() => requests.push({ method: req.method ?? '', path: req.url ?? '', status: res.statusCode }));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v2`,
    apiKey,
    faxes,
    requests,
    script,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        // The SDK's fetch keeps connections alive; close them so the server can stop.
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

interface SandboxState {
  apiKey: string;
  faxes: ReceivedFax[];
  /** The same faxes by id: a bench polls tens of thousands of them. */
  faxesById: Map<string, ReceivedFax>;
  script: TelnyxSandboxScript;
  pending: { before503: number; after503: number; createsHeld: Promise<void> };
}

async function handle(state: SandboxState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  if (req.headers.authorization !== `Bearer ${state.apiKey}`) {
    return send(res, 401, errorBody('10009', 'Authentication failed', 'The API key is missing or invalid.'));
  }
  const url = new URL(req.url ?? '/', 'http://sandbox');
  const route = `${req.method} ${url.pathname.replace(/\/+$/, '')}`;
  const faxId = /^\/v2\/faxes\/([^/]+)$/.exec(url.pathname)?.[1];

  if (route === 'POST /v2/faxes') return createFax(state, req, body, res);
  if (route === 'GET /v2/faxes') return listFaxes(state, url.searchParams, res);
  if (req.method === 'GET' && faxId) return retrieveFax(state, decodeURIComponent(faxId), res);
  send(res, 404, errorBody('10005', 'Resource not found', 'The requested resource or URL could not be found.'));
}

/** POST /v2/faxes, JSON or multipart form fields (the document itself in `contents`); answers 202 with the queued fax. */
async function createFax(state: SandboxState, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
  await state.pending.createsHeld;
  if (state.pending.before503 > 0) {
    state.pending.before503--;
    return send(res, 503, errorBody('10011', 'Service unavailable', 'Please retry later.'));
  }
  const form = isMultipart(req) ? await parseForm(req, body) : undefined;
  const params = form ? formToParams(form) : parseJson(body);
  const contents = form?.get('contents');
  const invalid = validateFaxParams(state, params, contents instanceof Blob);
  if (invalid) return send(res, 422, invalid);

  const fax: ReceivedFax = {
    id: randomUUID(),
    connectionId: params.connection_id as string,
    from: params.from as string,
    to: params.to as string,
    clientState: optionalString(params.client_state),
    mediaName: optionalString(params.media_name),
    mediaUrl: optionalString(params.media_url),
    createdAt: new Date(),
  };
  if (contents instanceof Blob) fax.pdf = Buffer.from(await contents.arrayBuffer());
  state.faxes.push(fax);
  state.faxesById.set(fax.id, fax);

  if (state.pending.after503 > 0) {
    state.pending.after503--;
    return send(res, 503, errorBody('10011', 'Service unavailable', 'Please retry later.'));
  }
  send(res, 202, { data: faxResource(state, fax) });
}

function validateFaxParams(state: SandboxState, params: Record<string, unknown>, hasContents: boolean): ErrorBody | undefined {
  for (const field of ['connection_id', 'from', 'to']) {
    if (typeof params[field] !== 'string' || params[field] === '') {
      return errorBody('10015', 'Invalid parameter', `The '${field}' parameter is required.`, `/${field}`);
    }
  }
  const to = params.to as string;
  if ((!E164.test(to) && !to.startsWith('sip:')) || state.script.rejectNumbers.has(to)) {
    return errorBody('10002', 'Invalid phone number', 'The phone number is invalid.', '/to');
  }
  if (!E164.test(params.from as string)) {
    return errorBody('10002', 'Invalid phone number', 'The phone number is invalid.', '/from');
  }
  const mediaName = optionalString(params.media_name);
  const mediaUrl = optionalString(params.media_url);
  if ([mediaName, mediaUrl, hasContents].filter(Boolean).length !== 1) {
    return errorBody('10015', 'Invalid parameter', 'Exactly one of media_url, media_name and contents is required.', '/media_name');
  }
  if (mediaName) {
    // The sandbox keeps no Media Storage, so no media_name can point anywhere.
    return errorBody('10015', 'Invalid parameter', 'No media with this media_name exists.', '/media_name');
  }
  const clientState = optionalString(params.client_state);
  if (clientState !== undefined && !isBase64(clientState)) {
    return errorBody('10015', 'Invalid parameter', 'client_state must be a valid Base-64 encoded string.', '/client_state');
  }
  return undefined;
}

/** GET /v2/faxes with filter[to][eq], filter[from][eq], filter[direction][eq], filter[created_at][...]. */
function listFaxes(state: SandboxState, query: URLSearchParams, res: ServerResponse): void {
  const pageNumber = Math.max(1, Number(query.get('page[number]') ?? 1));
  const pageSize = Math.min(250, Math.max(1, Number(query.get('page[size]') ?? 20)));
  const matching = state.faxes
    .filter((fax) => matchesFilter(fax, query))
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const page = matching.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
  send(res, 200, {
    data: page.map((fax) => faxResource(state, fax)),
    meta: {
      page_number: pageNumber,
      page_size: pageSize,
      total_pages: Math.max(1, Math.ceil(matching.length / pageSize)),
      total_results: matching.length,
    },
  });
}

function matchesFilter(fax: ReceivedFax, query: URLSearchParams): boolean {
  const eq = (field: string) => query.get(`filter[${field}][eq]`);
  const created = fax.createdAt.getTime();
  const bound = (op: string) => {
    const value = query.get(`filter[created_at][${op}]`);
    return value === null ? undefined : Date.parse(value);
  };
  const [gte, gt, lte, lt] = ['gte', 'gt', 'lte', 'lt'].map(bound);
  return (
    (eq('to') === null || eq('to') === fax.to) &&
    (eq('from') === null || eq('from') === fax.from) &&
    (eq('direction') === null || eq('direction') === 'outbound') &&
    (gte === undefined || created >= gte) &&
    (gt === undefined || created > gt) &&
    (lte === undefined || created <= lte) &&
    (lt === undefined || created < lt)
  );
}

function retrieveFax(state: SandboxState, id: string, res: ServerResponse): void {
  const fax = state.faxesById.get(id);
  if (!fax) return send(res, 404, errorBody('10005', 'Resource not found', 'The requested fax could not be found.'));
  send(res, 200, { data: faxResource(state, fax) });
}

const STEPS = ['queued', 'media.processed', 'sending'] as const;

/** The fax as Telnyx shows it, with the status it has reached by now. */
function faxResource(state: SandboxState, fax: ReceivedFax): Record<string, unknown> {
  const { script } = state;
  const elapsed = Date.now() - fax.createdAt.getTime();
  const step = script.stepMs <= 0 ? STEPS.length : Math.min(STEPS.length, Math.floor(elapsed / script.stepMs));
  const failed = script.failNumbers.has(fax.to);
  const status = STEPS[step] ?? (failed ? 'failed' : 'delivered');
  const isFailed = status === 'failed';
  return {
    record_type: 'fax',
    id: fax.id,
    connection_id: fax.connectionId,
    direction: 'outbound',
    from: fax.from,
    from_display_name: fax.from,
    to: fax.to,
    media_name: fax.mediaName,
    media_url: fax.mediaUrl,
    client_state: fax.clientState,
    quality: 'high',
    store_media: false,
    status,
    failure_reason: isFailed ? script.failureReason : null,
    internal_failure_reason: isFailed ? script.failureReason : null,
    created_at: fax.createdAt.toISOString(),
    updated_at: new Date(fax.createdAt.getTime() + step * Math.max(script.stepMs, 0)).toISOString(),
  };
}

interface ErrorBody {
  errors: { code: string; title: string; detail: string; source?: { pointer: string } }[];
}

function errorBody(code: string, title: string, detail: string, pointer?: string): ErrorBody {
  return { errors: [{ code, title, detail, ...(pointer ? { source: { pointer } } : {}) }] };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function isMultipart(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').startsWith('multipart/form-data');
}

/** Parses multipart/form-data with the platform's own parser (the Fetch API's Response). */
function parseForm(req: IncomingMessage, body: Buffer): Promise<FormData> {
  return new Response(body, { headers: { 'content-type': req.headers['content-type'] ?? '' } }).formData();
}

function formToParams(form: FormData): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  form.forEach((value, key) => {
    if (typeof value === 'string') params[key] = value;
  });
  return params;
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isBase64(value: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0;
}
