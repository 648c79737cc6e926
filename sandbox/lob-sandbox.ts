/**
 * A local stand-in for Lob's print-and-mail API, so that the official Lob SDK runs unchanged
 * against it: the same paths, HTTP basic auth with the API key as username, request bodies
 * validated against Lob's own OpenAPI spec, Lob's error shape, Lob's idempotency semantics and
 * response objects that pass the SDK's model checks (ids, signed asset URLs).
 *
 * Only what the postal channel uses is implemented: POST /v1/letters, GET /v1/letters/{id} and
 * POST /v1/us_verifications.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

const SPEC_PATH = path.join(__dirname, 'vendor-specs', 'lob-api-bundled.yml');
const SPEC_ID = 'https://lob-sandbox.local/lob-api-bundled.json';

export type Deliverability =
  | 'deliverable'
  | 'deliverable_unnecessary_unit'
  | 'deliverable_incorrect_unit'
  | 'deliverable_missing_unit'
  | 'undeliverable';

/** An address as the client sent it inline (Lob's inline_address). */
export type SentAddress = Record<string, unknown>;

/** Everything a test may want to assert about a letter the sandbox accepted. */
export interface CreatedLetter {
  id: string;
  to: SentAddress;
  from: SentAddress;
  /** The `file` field exactly as received (inline HTML, template id or URL). */
  file: string;
  fileSha256: string;
  idempotencyKey?: string;
  useType: unknown;
  mailType: string;
  color: unknown;
  addressPlacement: string;
  metadata: Record<string, string>;
  expectedDeliveryDate: string;
  createdAt: string;
}

/** One HTTP exchange, in arrival order; `replayed` marks a create answered from an idempotency key. */
export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  idempotencyKey?: string;
  replayed?: boolean;
  /** What the sandbox did with the response: sent it, reset the socket, or answered 500 instead. */
  response: 'sent' | 'socket-destroyed' | 'status-500';
}

export interface LoseResponseOptions {
  /** Only letters to this recipient (address line or ZIP code) lose their response. */
  recipient?: string;
  /** Reset the connection (default) or answer 500 after the letter was created. */
  mode?: 'destroy-socket' | 'status-500';
}

/** How the sandbox answers, per recipient. Tests change it between calls. */
export interface LobScript {
  /** Address lines or ZIP codes that US verification reports as `undeliverable` (no match). */
  undeliverable: Set<string>;
  /** Other scripted verification results, keyed by address line or ZIP code. */
  deliverability: Map<string, Deliverability>;
  /** The next `times` created letters (matching `recipient`) are stored but their response is lost. */
  loseResponseAfterCreate(times: number, options?: LoseResponseOptions): void;
  /** The next `times` letter creations are refused with this status before anything is created. */
  failCreate(times: number, status: number, code: string): void;
}

export interface LobSandbox {
  /** Pass as the SDK's `basePath`; it ends in /v1 like https://api.lob.com/v1. */
  baseUrl: string;
  apiKey: string;
  letters: CreatedLetter[];
  requests: RecordedRequest[];
  script: LobScript;
  stop(): Promise<void>;
}

interface LobErrorBody {
  error: { message: string; status_code: number; code: string };
}

class LobHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  body(): LobErrorBody {
    return { error: { message: this.message, status_code: this.status, code: this.code } };
  }
}

interface RequestValidators {
  letterCreate: ValidateFunction;
  usVerification: ValidateFunction;
}

/**
 * Compiles the request schemas of the two write operations from Lob's spec. The spec is OpenAPI
 * 3.0 (`nullable`, `example`, vendor keywords), which Ajv accepts with strict mode off; the
 * component schemas are registered under one id so that their internal $refs resolve.
 */
function compileRequestValidators(): RequestValidators {
  const spec = parseYaml(readFileSync(SPEC_PATH, 'utf8')) as { components: { schemas: Record<string, unknown> } };
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: SPEC_ID, components: { schemas: spec.components.schemas } });
  const schema = (name: string) => ajv.compile({ $ref: `${SPEC_ID}#/components/schemas/${name}` });
  return { letterCreate: schema('letter_editable'), usVerification: schema('us_verifications_writable') };
}

let validators: RequestValidators | undefined;

/** The spec is 1 MB of YAML; it is parsed and compiled once per process. */
function requestValidators(): RequestValidators {
  validators ??= compileRequestValidators();
  return validators;
}

/** Lob reports the first problem as a sentence; Ajv's messages name fields but never echo values. */
function describeValidationErrors(errors: ErrorObject[] | null | undefined): string {
  const first = errors?.find((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf') ?? errors?.[0];
  if (!first) return 'request body is invalid';
  const field = first.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'body';
  return `${field} ${first.message ?? 'is invalid'}`;
}

function validateBody(validate: ValidateFunction, body: unknown): void {
  if (!validate(body)) throw new LobHttpError(422, 'invalid', describeValidationErrors(validate.errors));
}

function lowerHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** Signed asset URLs in the shape the SDK's Letter model insists on. */
function signedAssetUrl(letterId: string, suffix: string): string {
  const expires = Math.floor(Date.now() / 1000) + 30 * 24 * 3600;
  const signature = randomBytes(24).toString('base64url');
  return `https://lob-assets.com/letters/${letterId}${suffix}?expires=${expires}&signature=${signature}`;
}

/** First-class letters arrive in about five business days after they are sent. */
function expectedDeliveryDate(from: Date, businessDays = 5): string {
  const date = new Date(from);
  let remaining = businessDays;
  while (remaining > 0) {
    date.setUTCDate(date.getUTCDate() + 1);
    const day = date.getUTCDay();
    if (day !== 0 && day !== 6) remaining--;
  }
  return date.toISOString().slice(0, 10);
}

function upper(value: unknown): unknown {
  return typeof value === 'string' ? value.toUpperCase() : (value ?? null);
}

/** Lob answers with a stored, standardised address object, whose id starts with adr_. */
function addressObject(sent: SentAddress | string, now: string): Record<string, unknown> {
  if (typeof sent === 'string') return { id: sent, object: 'address', date_created: now, date_modified: now, deleted: false };
  const country = sent.address_country ?? 'US';
  return {
    id: `adr_${lowerHex(8)}`,
    description: sent.description ?? null,
    name: upper(sent.name),
    company: upper(sent.company),
    phone: sent.phone ?? null,
    email: sent.email ?? null,
    address_line1: upper(sent.address_line1),
    address_line2: upper(sent.address_line2),
    address_city: upper(sent.address_city),
    address_state: upper(sent.address_state),
    address_zip: sent.address_zip ?? null,
    address_country: country === 'US' ? 'UNITED STATES' : country,
    metadata: sent.metadata ?? {},
    date_created: now,
    date_modified: now,
    deleted: false,
    object: 'address',
  };
}

function letterResponse(letter: CreatedLetter, body: Record<string, unknown>): Record<string, unknown> {
  return {
    id: letter.id,
    description: body.description ?? null,
    metadata: letter.metadata,
    to: addressObject(letter.to, letter.createdAt),
    from: addressObject(letter.from, letter.createdAt),
    color: letter.color,
    double_sided: body.double_sided ?? true,
    address_placement: letter.addressPlacement,
    return_envelope: body.return_envelope ?? false,
    perforated_page: body.perforated_page ?? null,
    custom_envelope: null,
    extra_service: body.extra_service ?? null,
    mail_type: letter.mailType,
    use_type: letter.useType,
    url: signedAssetUrl(letter.id, '.pdf'),
    carrier: 'USPS',
    tracking_number: null,
    tracking_events: [],
    thumbnails: [1].map((page) => ({
      small: signedAssetUrl(letter.id, `_thumb_small_${page}.png`),
      medium: signedAssetUrl(letter.id, `_thumb_medium_${page}.png`),
      large: signedAssetUrl(letter.id, `_thumb_large_${page}.png`),
    })),
    merge_variables: body.merge_variables ?? null,
    expected_delivery_date: letter.expectedDeliveryDate,
    date_created: letter.createdAt,
    date_modified: letter.createdAt,
    send_date: letter.createdAt,
    deleted: false,
    object: 'letter',
  };
}

/** The strings a script entry may name for a letter's recipient. */
function recipientKeys(to: unknown): string[] {
  if (typeof to !== 'object' || to === null) return [];
  const address = to as SentAddress;
  return [address.address_line1, address.address_line2, address.address_zip].filter((v): v is string => typeof v === 'string');
}

/** The strings a script entry may name for a verification request. */
function verificationKeys(body: Record<string, unknown>): string[] {
  return [body.primary_line, body.secondary_line, body.zip_code, body.address].filter((v): v is string => typeof v === 'string');
}

function scriptedDeliverability(script: LobScript, keys: string[]): Deliverability {
  const matches = (entry: string) => keys.some((key) => key === entry || key.includes(entry));
  if ([...script.undeliverable].some(matches)) return 'undeliverable';
  for (const [entry, result] of script.deliverability) if (matches(entry)) return result;
  return 'deliverable';
}

function verificationResponse(body: Record<string, unknown>, deliverability: Deliverability): Record<string, unknown> {
  const found = deliverability !== 'undeliverable';
  const zip = typeof body.zip_code === 'string' ? body.zip_code.slice(0, 5) : '';
  const city = String(upper(body.city) ?? '');
  const state = String(upper(body.state) ?? '');
  const zipPlus4 = found ? '1702' : '';
  return {
    id: `us_ver_${lowerHex(6)}`,
    recipient: upper(body.recipient),
    primary_line: upper(body.primary_line ?? body.address),
    secondary_line: String(upper(body.secondary_line) ?? ''),
    urbanization: '',
    last_line: [city, state, found && zip ? `${zip}-${zipPlus4}` : zip].filter(Boolean).join(' '),
    deliverability,
    valid_address: found,
    components: {
      primary_number: '',
      street_predirection: '',
      street_name: '',
      street_suffix: '',
      street_postdirection: '',
      secondary_designator: '',
      secondary_number: '',
      pmb_designator: '',
      pmb_number: '',
      extra_secondary_designator: '',
      extra_secondary_number: '',
      city,
      state,
      zip_code: zip,
      zip_code_plus_4: zipPlus4,
      zip_code_type: found ? 'standard' : '',
      delivery_point_barcode: '',
      address_type: found ? 'residential' : '',
      record_type: found ? 'street' : '',
      default_building_address: false,
      county: '',
      county_fips: '',
      carrier_route: '',
      carrier_route_type: found ? 'city_delivery' : '',
      po_box_only_flag: found ? 'N' : '',
      latitude: null,
      longitude: null,
    },
    deliverability_analysis: {
      dpv_confirmation: found ? (deliverability === 'deliverable_missing_unit' ? 'D' : 'Y') : 'N',
      dpv_cmra: found ? 'N' : '',
      dpv_vacant: found ? 'N' : '',
      dpv_active: found ? 'Y' : '',
      dpv_inactive_reason: '',
      dpv_throwback: '',
      dpv_non_delivery_day_flag: '',
      dpv_non_delivery_day_values: '',
      dpv_no_secure_location: '',
      dpv_door_not_accessible: '',
      dpv_footnotes: found ? ['AA', 'BB'] : ['AA', 'M1'],
      ews_match: false,
      lacs_indicator: '',
      lacs_return_code: '',
      suite_return_code: '',
    },
    lob_confidence_score: { score: found ? 100 : 0, level: found ? 'high' : 'low' },
    object: 'us_verification',
  };
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.startsWith('application/json')) {
    throw new LobHttpError(422, 'bad_request', 'this sandbox accepts application/json request bodies only');
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new LobHttpError(422, 'bad_request', 'request body is not valid JSON');
  }
}

/** Lob takes the API key as the basic-auth username and ignores the password. */
function checkApiKey(req: IncomingMessage, apiKey: string): void {
  const header = req.headers.authorization ?? '';
  const match = /^Basic (.+)$/i.exec(header);
  const username = match?.[1] ? Buffer.from(match[1], 'base64').toString('utf8').split(':')[0] : undefined;
  if (username !== apiKey) {
    throw new LobHttpError(401, 'invalid_api_key', 'Your API key is not valid. Please sign up on lob.com to get a valid api key.');
  }
}

/** The key may come as a header or as a query parameter, but not both (Lob refuses that). */
function idempotencyKeyOf(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers['idempotency-key'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const fromQuery = url.searchParams.get('idempotency_key') ?? undefined;
  if (fromHeader !== undefined && fromQuery !== undefined) {
    throw new LobHttpError(422, 'bad_request', 'provide the idempotency key either as a header or as a query parameter, not both');
  }
  const key = fromHeader ?? fromQuery;
  if (key !== undefined && (key.length === 0 || key.length > 256)) {
    throw new LobHttpError(422, 'invalid', 'Idempotency-Key must be 1 to 256 characters long');
  }
  return key;
}

interface PendingLoss {
  remaining: number;
  recipient?: string;
  mode: 'destroy-socket' | 'status-500';
}

interface PendingFailure {
  remaining: number;
  status: number;
  code: string;
}

/** Starts the sandbox on 127.0.0.1 with a random port and a fresh test API key. */
export async function startLobSandbox(options: { port?: number } = {}): Promise<LobSandbox> {
  const { letterCreate, usVerification } = requestValidators();
  const apiKey = `test_${lowerHex(16)}`;
  const letters: CreatedLetter[] = [];
  const requests: RecordedRequest[] = [];
  const responsesByKey = new Map<string, { letter: CreatedLetter; response: Record<string, unknown> }>();
  const responsesById = new Map<string, Record<string, unknown>>();
  const losses: PendingLoss[] = [];
  const failures: PendingFailure[] = [];

  const script: LobScript = {
    undeliverable: new Set(),
    deliverability: new Map(),
    loseResponseAfterCreate(times, options = {}) {
      losses.push({ remaining: times, recipient: options.recipient, mode: options.mode ?? 'destroy-socket' });
    },
    failCreate(times, status, code) {
      failures.push({ remaining: times, status, code });
    },
  };

  function takeLoss(to: unknown): PendingLoss | undefined {
    const keys = recipientKeys(to);
    const loss = losses.find((l) => l.remaining > 0 && (l.recipient === undefined || keys.includes(l.recipient)));
    if (loss) loss.remaining--;
    return loss;
  }

  function takeFailure(): PendingFailure | undefined {
    const failure = failures.find((f) => f.remaining > 0);
    if (failure) failure.remaining--;
    return failure;
  }

  function createLetter(body: Record<string, unknown>, idempotencyKey: string | undefined): { letter: CreatedLetter; response: Record<string, unknown> } {
    const now = new Date();
    const file = String(body.file);
    const letter: CreatedLetter = {
      id: `ltr_${lowerHex(8)}`,
      to: body.to as SentAddress,
      from: body.from as SentAddress,
      file,
      fileSha256: createHash('sha256').update(file, 'utf8').digest('hex'),
      idempotencyKey,
      useType: body.use_type,
      mailType: (body.mail_type as string | undefined) ?? 'usps_first_class',
      color: body.color,
      addressPlacement: (body.address_placement as string | undefined) ?? 'top_first_page',
      metadata: (body.metadata as Record<string, string> | undefined) ?? {},
      expectedDeliveryDate: expectedDeliveryDate(now),
      createdAt: now.toISOString(),
    };
    const response = letterResponse(letter, body);
    letters.push(letter);
    responsesById.set(letter.id, response);
    if (idempotencyKey !== undefined) responsesByKey.set(idempotencyKey, { letter, response });
    return { letter, response };
  }

  type Outcome = { status: number; body: unknown; idempotencyKey?: string; replayed?: boolean; loss?: PendingLoss };

  async function postLetter(req: IncomingMessage, url: URL): Promise<Outcome> {
    const idempotencyKey = idempotencyKeyOf(req, url);
    const body = await readJsonBody(req);
    validateBody(letterCreate, body);
    // Lob answers a repeated key with the letter it already created, whatever the new body says.
    const existing = idempotencyKey !== undefined ? responsesByKey.get(idempotencyKey) : undefined;
    if (existing) return { status: 200, body: existing.response, idempotencyKey, replayed: true };
    const failure = takeFailure();
    if (failure) throw new LobHttpError(failure.status, failure.code, `scripted failure (${failure.code})`);
    const fields = body as Record<string, unknown>;
    const { response } = createLetter(fields, idempotencyKey);
    return { status: 200, body: response, idempotencyKey, loss: takeLoss(fields.to) };
  }

  function getLetter(id: string): Outcome {
    const response = responsesById.get(id);
    if (!response) throw new LobHttpError(404, 'not_found', 'letter not found');
    return { status: 200, body: response };
  }

  async function postUsVerification(req: IncomingMessage): Promise<Outcome> {
    const body = await readJsonBody(req);
    validateBody(usVerification, body);
    const fields = body as Record<string, unknown>;
    return { status: 200, body: verificationResponse(fields, scriptedDeliverability(script, verificationKeys(fields))) };
  }

  async function route(req: IncomingMessage, url: URL): Promise<Outcome> {
    checkApiKey(req, apiKey);
    const letterPath = /^\/v1\/letters\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'POST' && url.pathname === '/v1/letters') return postLetter(req, url);
    if (req.method === 'GET' && letterPath?.[1]) return getLetter(decodeURIComponent(letterPath[1]));
    if (req.method === 'POST' && url.pathname === '/v1/us_verifications') return postUsVerification(req);
    throw new LobHttpError(404, 'unrecognized_endpoint', 'The requested endpoint does not exist.');
  }

  function respond(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record = (entry: Omit<RecordedRequest, 'method' | 'path'>) => requests.push({ method: req.method ?? '', path: url.pathname, ...entry });
    let outcome: Outcome;
    try {
      outcome = await route(req, url);
    } catch (err) {
      const error = err instanceof LobHttpError ? err : new LobHttpError(500, 'internal_server_error', 'internal server error');
      record({ status: error.status, response: 'sent' });
      respond(res, error.status, error.body());
      return;
    }
    const { status, body, idempotencyKey, replayed, loss } = outcome;
    if (loss?.mode === 'destroy-socket') {
      record({ status, idempotencyKey, replayed, response: 'socket-destroyed' });
      req.socket.destroy();
      return;
    }
    if (loss?.mode === 'status-500') {
      record({ status: 500, idempotencyKey, replayed, response: 'status-500' });
      respond(res, 500, new LobHttpError(500, 'internal_server_error', 'internal server error').body());
      return;
    }
    record({ status, idempotencyKey, replayed, response: 'sent' });
    respond(res, status, body);
  }

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => void handle(req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    apiKey,
    letters,
    requests,
    script,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
