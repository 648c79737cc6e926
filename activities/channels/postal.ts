/**
 * The postal channel, last in the individual-notification cascade: verify a US address with Lob,
 * then have Lob print and mail the notice as a first-class letter.
 *
 * Contact data is personal data. It goes to Lob and nowhere else: failure messages carry HTTP
 * status codes, Lob error codes and deliverability values only, and nothing is logged here.
 */
import {
  Configuration,
  LettersApi,
  UsVerificationsApi,
  type AddressEditable,
  type LetterEditable,
  type UsVerificationsWritable,
} from '@lob/lob-typescript-sdk';
import { ApplicationFailure } from '@temporalio/activity';
import type { SendBatchRequest, SendBatchResult } from '../../domain/batch';
import { noticeId } from '../../domain/ids';
import type { LoadSubjects, PostalAddress, RenderNotice, Subject } from '../../domain/individuals';
import type { ReadNotice } from '../notice-source';
import { letterDocument } from './letter-document';
import { sendBatch, type BatchOptions } from '../batch-sender';
import { LETTER_REJECTED, NO_CONTACT_DATA, POSTAL_NOT_CONFIGURED, UNDELIVERABLE_ADDRESS } from '../../domain/failures';

export interface PostalChannelConfig {
  /** Name of the environment variable that holds the Lob API key. */
  apiKeyEnv: string;
  /** Lob's API root; defaults to https://api.lob.com/v1. */
  baseUrl?: string;
  /** The return address printed on every letter. */
  from: {
    name: string;
    address_line1: string;
    address_line2?: string;
    address_city: string;
    address_state: string;
    address_zip: string;
    address_country?: string;
  };
}

export interface PostalActivityDeps {
  config: PostalChannelConfig;
  env?: NodeJS.ProcessEnv;
  loadSubjects: LoadSubjects;
  renderNotice: RenderNotice;
  readNotice: ReadNotice;
  batch: BatchOptions;
}

const LOB_API = 'https://api.lob.com/v1';

/** Lob's limit for `name`. A longer name is shortened: a letter with a cut name still reaches the person, a refused one does not. */
const MAX_NAME = 40;

/**
 * Which US verification results we mail to. `deliverable` and `deliverable_unnecessary_unit`
 * (the unit is superfluous) reach the person. `deliverable_missing_unit` and
 * `deliverable_incorrect_unit` reach the building but not a known door: a breach notice left in
 * a shared mailroom or with a neighbour discloses the breach to the wrong person, so those are
 * refused as undeliverable and the roster's address has to be corrected instead.
 */
const MAILABLE = new Set(['deliverable', 'deliverable_unnecessary_unit']);

/** The client errors a later attempt can change: a request timeout and a rate limit. Other 4xx are final. */
const RETRYABLE_STATUS = new Set([408, 429]);

/**
 * Letters in batches. Each letter's Idempotency-Key is its notice id, so whatever a crash or a
 * retry makes us send again, Lob returns the letter it already made instead of mailing a second.
 */
export function createPostalActivities(deps: PostalActivityDeps) {
  return {
    async sendLetterBatch(request: SendBatchRequest): Promise<SendBatchResult> {
      const lob = lobClients(deps.config, deps.env ?? process.env);
      const notice = await deps.readNotice(request);
      return sendBatch(request, deps.loadSubjects, deps.batch, async (subject, ref) => {
        const address = postalAddressOf(subject);
        if (isUnitedStates(address)) await verifyUsAddress(lob.verifications, address);
        // Lob's international verification is a separate product with its own contract; addresses
        // outside the US are mailed as given and Lob's own checks on letter creation apply.
        const { file, contentSha256 } = letterDocument(await deps.renderNotice(notice, subject, 'postal'));
        const letter = await createLetter(lob.letters, { to: recipientOf(subject.fullName, address), from: deps.config.from, file, correlationId: noticeId(ref), breachId: ref.breachId });
        return { providerId: letter.letterId, expectedDeliveryDate: letter.expectedDeliveryDate, contentSha256 };
      });
    },
  };
}

export type PostalActivities = ReturnType<typeof createPostalActivities>;

interface LobClients {
  letters: LettersApi;
  verifications: UsVerificationsApi;
}

/**
 * The API key is read when a letter is due, like the fax channel's: a missing key must not stop
 * the worker (and with it the authority clock), and retrying cannot make it appear. The message
 * names the variable, never its value.
 */
function lobClients(config: PostalChannelConfig, env: NodeJS.ProcessEnv): LobClients {
  const apiKey = env[config.apiKeyEnv];
  if (!apiKey) throw ApplicationFailure.nonRetryable(`The environment variable ${config.apiKeyEnv} (the Lob API key) is not set`, POSTAL_NOT_CONFIGURED);
  // Axios waits forever by default; a bounded wait lets the activity retry a stuck connection.
  const configuration = new Configuration({ username: apiKey, basePath: config.baseUrl ?? LOB_API, baseOptions: { timeout: 30_000 } });
  return { letters: new LettersApi(configuration), verifications: new UsVerificationsApi(configuration) };
}

function postalAddressOf(subject: Subject): PostalAddress {
  const address = subject.postal;
  if (!address || address.lines.every((line) => line.trim() === '')) {
    throw ApplicationFailure.nonRetryable('subject has no postal address', NO_CONTACT_DATA);
  }
  return address;
}

function isUnitedStates(address: PostalAddress): boolean {
  return address.country.trim().toUpperCase() === 'US';
}

function streetLines(address: PostalAddress): { line1: string; line2?: string } {
  const [line1 = '', ...rest] = address.lines.map((line) => line.trim()).filter((line) => line !== '');
  return { line1, line2: rest.length > 0 ? rest.join(', ') : undefined };
}

/**
 * Asks Lob whether USPS can deliver to the address. The recipient's name is not sent: the
 * verification does not need it, and data minimisation says not to share it twice.
 */
async function verifyUsAddress(api: UsVerificationsApi, address: PostalAddress): Promise<void> {
  const { line1, line2 } = streetLines(address);
  let deliverability: string | undefined;
  try {
    const result = await api.verifySingle(
      sdkModel<UsVerificationsWritable>({ primary_line: line1, secondary_line: line2, city: address.city, state: address.region, zip_code: address.postalCode }),
    );
    deliverability = result.deliverability;
  } catch (err) {
    throw lobFailure(err, 'address verification');
  }
  if (!deliverability || !MAILABLE.has(deliverability)) {
    throw ApplicationFailure.nonRetryable(`US address verification: ${deliverability ?? 'no result'}`, UNDELIVERABLE_ADDRESS);
  }
}

/**
 * Lob's inline address. US addresses use Lob's US fields. For other countries Lob's spec accepts
 * either city and state or a postal code, not all three, so the region is printed on the city
 * line ("Toronto ON"), as most countries write it anyway.
 */
function recipientOf(fullName: string, address: PostalAddress): AddressEditable {
  const { line1, line2 } = streetLines(address);
  const country = address.country.trim().toUpperCase();
  const name = fullName.trim().slice(0, MAX_NAME).trim();
  const region = address.region.trim();
  if (country === 'US') {
    return sdkModel<AddressEditable>({
      name,
      address_line1: line1,
      address_line2: line2,
      address_city: address.city,
      address_state: region,
      address_zip: address.postalCode,
      address_country: 'US',
    });
  }
  const postalCode = address.postalCode.trim();
  const city = postalCode && region ? `${address.city} ${region}` : address.city;
  return sdkModel<AddressEditable>({
    name,
    address_line1: line1,
    address_line2: line2,
    address_city: city,
    address_state: postalCode ? undefined : region,
    address_zip: postalCode || undefined,
    address_country: country,
  });
}

interface LetterOrder {
  to: AddressEditable;
  from: PostalChannelConfig['from'];
  file: string;
  correlationId: string;
  breachId: string;
}

/**
 * Creates the letter. The Idempotency-Key is the notice's correlation id, so a retry after a lost
 * response gets the letter Lob already made instead of a second one. Lob keeps keys for 24 hours:
 * the activity's schedule-to-close timeout must stay below that for the guarantee to hold.
 *
 * The address goes on an extra blank first page (`insert_blank_page`): the rendered notice does
 * not reserve Lob's address block, and the envelope window must never hide any of its text.
 */
async function createLetter(api: LettersApi, order: LetterOrder): Promise<{ letterId: string; expectedDeliveryDate?: string }> {
  const letter = sdkModel<LetterEditable>({
    to: order.to,
    from: order.from,
    file: order.file,
    color: false,
    mail_type: 'usps_first_class',
    use_type: 'operational',
    address_placement: 'insert_blank_page',
    metadata: { notice_id: order.correlationId, breach_id: order.breachId },
  });
  try {
    const created = await api.create(letter, order.correlationId);
    return { letterId: created.id, expectedDeliveryDate: created.expected_delivery_date };
  } catch (err) {
    throw lobFailure(err, 'letter');
  }
}

interface HttpFailure {
  status?: number;
  lobCode?: string;
  networkCode?: string;
}

/**
 * Reads only the status, Lob's error code and the socket error code. Lob's error message may
 * quote the address, and the SDK copies it into `err.message`, so neither is used.
 */
function httpFailureOf(err: unknown): HttpFailure {
  const e = err as { response?: { status?: unknown; data?: { error?: { code?: unknown } } }; code?: unknown };
  const status = typeof e.response?.status === 'number' ? e.response.status : undefined;
  const lobCode = e.response?.data?.error?.code;
  return {
    status,
    lobCode: typeof lobCode === 'string' && /^[a-z_]{1,64}$/.test(lobCode) ? lobCode : undefined,
    networkCode: typeof e.code === 'string' && /^[A-Z_]{1,32}$/.test(e.code) ? e.code : undefined,
  };
}

/**
 * Refusals (4xx) are final: retrying the same request cannot change Lob's answer. A refused
 * verification (422) means the address itself is malformed, so it counts as undeliverable.
 * Rate limits, timeouts, Lob's own errors and lost connections are thrown as plain errors so that
 * the activity's retry policy applies; the idempotency key makes the retry safe.
 */
function lobFailure(err: unknown, step: 'address verification' | 'letter'): Error {
  if (err instanceof ApplicationFailure) return err;
  const { status, lobCode, networkCode } = httpFailureOf(err);
  const detail = [status !== undefined ? `HTTP ${status}` : undefined, lobCode].filter(Boolean).join(', ');
  if (status === undefined) return new Error(`Lob ${step} request failed without a response (${networkCode ?? 'no HTTP status'})`);
  if (status >= 500 || RETRYABLE_STATUS.has(status)) return new Error(`Lob ${step} request failed (${detail})`);
  if (step === 'address verification' && status === 422) {
    return ApplicationFailure.nonRetryable(`US address verification refused the address (${detail})`, UNDELIVERABLE_ADDRESS);
  }
  return ApplicationFailure.nonRetryable(`Lob refused the ${step} request (${detail})`, LETTER_REJECTED);
}

/**
 * The SDK's request models are classes whose setters check some fields (a ZIP pattern, say) and
 * throw a bare Error that would look like a lost connection. Plain objects serialise to the same
 * JSON and leave validation to Lob, whose refusals are classified above.
 */
function sdkModel<T>(fields: Record<string, unknown>): T {
  return fields as unknown as T;
}
