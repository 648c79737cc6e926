import { createHash } from 'node:crypto';
import { Configuration, LettersApi, type LetterEditable } from '@lob/lob-typescript-sdk';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchOptions } from '../activities/batch-sender';
import { noticeInRequest } from '../activities/notice-source';
import { createPostalActivities, type PostalActivities, type PostalChannelConfig } from '../activities/channels/postal';
import type { SendBatchRequest, SendBatchResult } from '../domain/batch';
import { noticeId } from '../domain/ids';
import type { LoadSubjects, NoticeContent, PostalAddress, RenderNotice, Subject } from '../domain/individuals';
import type { BreachNotice } from '../domain/notice';
import { startLobSandbox, type LobSandbox } from '../sandbox/lob-sandbox';

const API_KEY_ENV = 'TEST_LOB_API_KEY';
const COHORT = 2;

const FROM: PostalChannelConfig['from'] = {
  name: 'Acme Privacy Office',
  address_line1: '185 Berry St',
  address_line2: 'Ste 6100',
  address_city: 'San Francisco',
  address_state: 'CA',
  address_zip: '94107',
  address_country: 'US',
};

const US_ADDRESS: PostalAddress = { lines: ['210 King St', 'Apt 5'], city: 'San Francisco', region: 'CA', postalCode: '94107', country: 'US' };

/** Letters one at a time, so that the order of the sandbox's requests is the order of the items. */
const batch: BatchOptions = { concurrency: 1, perSecond: 1000, maxDeferrals: 3 };

let sandbox: LobSandbox;
let breachCounter = 0;

beforeAll(async () => {
  sandbox = await startLobSandbox();
});

afterAll(async () => {
  await sandbox?.stop();
});

/** Each test mails for its own breach, so letters and keys never mix between tests. */
function breachNotice(): BreachNotice {
  breachCounter++;
  return {
    breachId: `2026-PST-${breachCounter}`,
    title: 'Customer DB exposed',
    description: 'Backup bucket was public for 3 days',
    contactPoint: 'dpo@company.example',
    likelyConsequences: 'Phishing',
    measures: 'Bucket closed, keys rotated',
  };
}

function subjectWith(postal: PostalAddress | undefined, subjectId = 'subj-0042'): Subject {
  return { subjectId, fullName: 'Jane Q. Roe', postal, language: 'en' };
}

function request(notice: BreachNotice, people: Subject[]): SendBatchRequest {
  return {
    notice,
    cohort: COHORT,
    roster: { path: '/rosters/2026.csv', sha256: 'f'.repeat(64), format: 'csv' },
    items: people.map((person, i) => ({ subjectId: person.subjectId, rowOffset: 128 * (i + 1) })),
  };
}

/** The letter's idempotency key and `notice_id` metadata: the notice id of this breach, cohort and subject. */
function keyOf(notice: BreachNotice, person: Subject): string {
  return noticeId({ breachId: notice.breachId, cohort: COHORT, subjectId: person.subjectId });
}

/** A small renderer: the HTML a person would receive, and its real SHA-256. */
const renderNotice: RenderNotice = async (notice, subject, channel) => {
  const html = `<html><body><h1>${notice.title}</h1><p>Dear ${subject.fullName},</p><p>${notice.description}.</p><p>Contact: ${notice.contactPoint} (${channel})</p></body></html>`;
  const content: NoticeContent = {
    subject: `Notice of a personal data breach (${notice.breachId})`,
    text: `${notice.title}: ${notice.description}`,
    html,
    contentSha256: createHash('sha256').update(html, 'utf8').digest('hex'),
  };
  return content;
};

function postalActivities(people: Subject[], env: NodeJS.ProcessEnv = { [API_KEY_ENV]: sandbox.apiKey }, from = FROM): PostalActivities {
  const loadSubjects: LoadSubjects = async (_roster, rows) => new Map(rows.map((row) => [row.subjectId, people.find((p) => p.subjectId === row.subjectId)!]));
  return createPostalActivities({ config: { apiKeyEnv: API_KEY_ENV, baseUrl: sandbox.baseUrl, from }, env, loadSubjects, renderNotice, readNotice: noticeInRequest, batch });
}

const quietLogger = new DefaultLogger('ERROR');

type Outcome = { result: SendBatchResult; error?: undefined; heartbeat: unknown } | { result?: undefined; error: Error; heartbeat: unknown };

/**
 * Runs one attempt of the batch activity as Temporal's worker would. The last heartbeat is kept
 * as the server keeps it (serialised when sent), to hand to a retry as its heartbeat details.
 */
async function attempt(activities: PostalActivities, req: SendBatchRequest, info: { attempt: number; heartbeatDetails?: unknown } = { attempt: 1 }): Promise<Outcome> {
  const env = new MockActivityEnvironment(info, { logger: quietLogger });
  let heartbeat = info.heartbeatDetails;
  env.on('heartbeat', (details: unknown) => (heartbeat = structuredClone(details)));
  try {
    const result: SendBatchResult = await env.run(activities.sendLetterBatch, req);
    return { result, heartbeat };
  } catch (err) {
    return { error: err as Error, heartbeat };
  }
}

async function sent(activities: PostalActivities, req: SendBatchRequest, info?: { attempt: number; heartbeatDetails?: unknown }): Promise<SendBatchResult> {
  const outcome = await attempt(activities, req, info);
  if (outcome.error) throw outcome.error;
  return outcome.result;
}

async function failed(activities: PostalActivities, req: SendBatchRequest): Promise<Error> {
  const outcome = await attempt(activities, req);
  expect(outcome.error).toBeInstanceOf(Error);
  return outcome.error!;
}

function evidenceOf(result: SendBatchResult, index = 0) {
  const item = result.results[index];
  if (!item || !('sent' in item)) throw new Error(`item ${index} was not mailed: ${JSON.stringify(item)}`);
  return item.sent;
}

function refusalOf(result: SendBatchResult, index = 0): string {
  const item = result.results[index];
  if (!item || !('failed' in item)) throw new Error(`item ${index} was not refused: ${JSON.stringify(item)}`);
  return item.failed;
}

function lettersFor(key: string) {
  return sandbox.letters.filter((letter) => letter.idempotencyKey === key);
}

function expectNoPersonalData(text: string, subject: Subject): void {
  const personal = [subject.fullName, ...(subject.postal?.lines ?? []), subject.postal?.postalCode ?? '', subject.postal?.city ?? ''].filter(Boolean);
  for (const value of personal) expect(text).not.toContain(value);
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

function expectNonRetryable(err: Error, type: string): void {
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect((err as ApplicationFailure).type).toBe(type);
  expect((err as ApplicationFailure).nonRetryable).toBe(true);
}

function expectRetryable(err: Error): void {
  expect(err).toBeInstanceOf(Error);
  expect(err instanceof ApplicationFailure && err.nonRetryable).toBe(false);
}

describe('postal channel', () => {
  it('verifies a deliverable US address and mails the notice as an operational first-class letter', async () => {
    const notice = breachNotice();
    const subject = subjectWith(US_ADDRESS);
    const requestsBefore = sandbox.requests.length;

    const result = await sent(postalActivities([subject]), request(notice, [subject]));

    const key = keyOf(notice, subject);
    const [letter, ...others] = lettersFor(key);
    expect(others).toHaveLength(0);
    expect(letter).toBeDefined();
    if (!letter) return;
    const evidence = evidenceOf(result);
    expect(result.stopped).toBe(false);
    expect(evidence.providerId).toMatch(/^ltr_[a-z0-9]{16}$/);
    expect(evidence.providerId).toBe(letter.id);
    expect(evidence.expectedDeliveryDate).toBe(letter.expectedDeliveryDate);
    expect(evidence.activityAttempt).toBe(1);
    expect(letter.useType).toBe('operational');
    expect(letter.mailType).toBe('usps_first_class');
    // Lob prints the addresses on a page of its own: nothing of the notice under the envelope's windows.
    expect(letter.addressPlacement).toBe('insert_blank_page');
    expect(letter.color).toBe(false);
    expect(letter.metadata).toEqual({ notice_id: key, breach_id: notice.breachId });

    const content = await renderNotice(notice, subject, 'postal');
    expect(letter.file).toBe(content.html);
    expect(evidence.contentSha256).toBe(content.contentSha256);
    expect(evidence.contentSha256).toBe(letter.fileSha256);

    expect(letter.from).toEqual(FROM);
    expect(letter.to).toEqual({
      name: 'Jane Q. Roe',
      address_line1: '210 King St',
      address_line2: 'Apt 5',
      address_city: 'San Francisco',
      address_state: 'CA',
      address_zip: '94107',
      address_country: 'US',
    });

    // The address was verified before the letter was ordered.
    const calls = sandbox.requests.slice(requestsBefore).map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(calls).toEqual(['POST /v1/us_verifications 200', 'POST /v1/letters 200']);
    // The evidence that goes into the workflow history names no one.
    expectNoPersonalData(JSON.stringify(result), subject);
  });

  it('refuses an undeliverable US address without creating a letter, and mails the rest of the batch', async () => {
    const notice = breachNotice();
    const subject = subjectWith({ ...US_ADDRESS, lines: ['1 Nowhere Rd'] }, 'subj-0043');
    const other = subjectWith(US_ADDRESS, 'subj-0043b');
    sandbox.script.undeliverable.add('1 Nowhere Rd');

    const result = await sent(postalActivities([subject, other]), request(notice, [subject, other]));

    expect(refusalOf(result, 0)).toBe('US address verification: undeliverable');
    expectNoPersonalData(refusalOf(result, 0), subject);
    expect(lettersFor(keyOf(notice, subject))).toHaveLength(0);
    expect(lettersFor(keyOf(notice, other)).map((l) => l.id)).toEqual([evidenceOf(result, 1).providerId]);
  });

  it('refuses an address that lacks its unit, and mails one whose unit is merely unnecessary', async () => {
    const missingUnit = subjectWith({ ...US_ADDRESS, lines: ['500 Tower Ave'], postalCode: '94110' }, 'subj-0044');
    const extraUnit = subjectWith({ ...US_ADDRESS, lines: ['12 Single Family Ln', 'Unit 9'], postalCode: '94111' }, 'subj-0045');
    sandbox.script.deliverability.set('500 Tower Ave', 'deliverable_missing_unit');
    sandbox.script.deliverability.set('12 Single Family Ln', 'deliverable_unnecessary_unit');
    const notice = breachNotice();

    const result = await sent(postalActivities([missingUnit, extraUnit]), request(notice, [missingUnit, extraUnit]));

    expect(refusalOf(result, 0)).toBe('US address verification: deliverable_missing_unit');
    expect(lettersFor(keyOf(notice, missingUnit))).toHaveLength(0);
    expect(lettersFor(keyOf(notice, extraUnit)).map((l) => l.id)).toEqual([evidenceOf(result, 1).providerId]);
  });

  it('refuses a subject without a postal address, without calling Lob', async () => {
    const subject = subjectWith(undefined, 'subj-0046');
    const requestsBefore = sandbox.requests.length;

    const result = await sent(postalActivities([subject]), request(breachNotice(), [subject]));

    expect(refusalOf(result)).toBe('subject has no postal address');
    expect(sandbox.requests.length).toBe(requestsBefore);
  });

  it.each(['destroy-socket', 'status-500'] as const)(
    'returns the same letter on the retry after the creation response was lost (%s), and mails only once',
    async (mode) => {
      const notice = breachNotice();
      const subject = subjectWith({ ...US_ADDRESS, lines: [`77 Lost Reply Way ${mode}`] }, `subj-lost-${mode}`);
      const key = keyOf(notice, subject);
      sandbox.script.loseResponseAfterCreate(1, { recipient: `77 Lost Reply Way ${mode}`, mode });
      const activities = postalActivities([subject]);

      const firstAttempt = await attempt(activities, request(notice, [subject]));
      expectRetryable(firstAttempt.error!);
      expectNoPersonalData(firstAttempt.error!.message, subject);
      expect(lettersFor(key)).toHaveLength(1);

      // Temporal retries the activity with the same input and the last heartbeat.
      const retry = await sent(activities, request(notice, [subject]), { attempt: 2, heartbeatDetails: firstAttempt.heartbeat });

      const letters = lettersFor(key);
      expect(letters).toHaveLength(1);
      expect(evidenceOf(retry)).toMatchObject({ providerId: letters[0]?.id, expectedDeliveryDate: letters[0]?.expectedDeliveryDate, activityAttempt: 2 });
      const creates = sandbox.requests.filter((r) => r.path === '/v1/letters' && r.idempotencyKey === key);
      expect(creates.map((r) => r.replayed ?? false)).toEqual([false, true]);
    },
  );

  it('fails the attempt on rate limits and Lob server errors, and refuses the item on a refusal', async () => {
    const notice = breachNotice();
    const subject = subjectWith(US_ADDRESS, 'subj-0047');
    const activities = postalActivities([subject]);

    sandbox.script.failCreate(1, 429, 'rate_limit_exceeded');
    const limited = await failed(activities, request(notice, [subject]));
    expectRetryable(limited);
    expect(limited.message).toContain('429');

    sandbox.script.failCreate(1, 503, 'service_unavailable');
    expectRetryable(await failed(activities, request(notice, [subject])));
    expect(lettersFor(keyOf(notice, subject))).toHaveLength(0);

    sandbox.script.failCreate(1, 403, 'feature_limit_reached');
    const refused = await sent(activities, request(notice, [subject]));
    expect(refusalOf(refused)).toBe('Lob refused the letter request (HTTP 403, feature_limit_reached)');
    expect(lettersFor(keyOf(notice, subject))).toHaveLength(0);
  });

  it('reports a letter Lob refuses by status and error code only', async () => {
    const notice = breachNotice();
    const subject = subjectWith(US_ADDRESS, 'subj-0048');
    // A return address whose state is spelled out violates Lob's spec (two letters).
    const from = { ...FROM, address_state: 'California' };

    const result = await sent(postalActivities([subject], undefined, from), request(notice, [subject]));

    expect(refusalOf(result)).toBe('Lob refused the letter request (HTTP 422, invalid)');
    expectNoPersonalData(refusalOf(result), subject);
    expect(lettersFor(keyOf(notice, subject))).toHaveLength(0);
  });

  it('mails an address outside the US without US verification', async () => {
    const notice = breachNotice();
    const subject = subjectWith({ lines: ['10 Downing St'], city: 'London', region: 'Greater London', postalCode: 'SW1A 2AA', country: 'GB' }, 'subj-0049');
    const requestsBefore = sandbox.requests.length;

    const result = await sent(postalActivities([subject]), request(notice, [subject]));

    const [letter] = lettersFor(keyOf(notice, subject));
    expect(letter?.id).toBe(evidenceOf(result).providerId);
    expect(letter?.to).toMatchObject({ address_line1: '10 Downing St', address_zip: 'SW1A 2AA', address_country: 'GB' });
    expect(sandbox.requests.slice(requestsBefore).map((r) => r.path)).toEqual(['/v1/letters']);
  });

  describe('API key', () => {
    it('is read from the environment variable the configuration names', async () => {
      const notice = breachNotice();
      const subject = subjectWith(US_ADDRESS, 'subj-0050');

      const wrongKey = await sent(postalActivities([subject], { [API_KEY_ENV]: 'test_not_the_key' }), request(notice, [subject]));
      expect(refusalOf(wrongKey)).toContain('401');

      // No retry can make a missing key appear: the whole batch fails for good.
      const missing = await failed(postalActivities([subject], { OTHER: sandbox.apiKey }), request(notice, [subject]));
      expectNonRetryable(missing, 'PostalNotConfigured');
      expect(missing.message).toContain(API_KEY_ENV);
      expect(missing.message).not.toContain(sandbox.apiKey);

      expect(lettersFor(keyOf(notice, subject))).toHaveLength(0);
    });
  });
});

describe('Lob sandbox', () => {
  const letter = {
    to: { name: 'Jane Q. Roe', address_line1: '210 King St', address_city: 'San Francisco', address_state: 'CA', address_zip: '94107' },
    from: { name: 'Acme Privacy Office', address_line1: '185 Berry St', address_city: 'San Francisco', address_state: 'CA', address_zip: '94107' },
    file: '<html><body>Notice</body></html>',
    color: false,
    use_type: 'operational',
  };

  function post(path: string, body: unknown): Promise<Response> {
    return fetch(`${sandbox.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${sandbox.apiKey}:`).toString('base64')}` },
      body: JSON.stringify(body),
    });
  }

  it('rejects a letter without a required field with 422 in Lob’s error shape, creating nothing', async () => {
    const lettersBefore = sandbox.letters.length;
    const { use_type: _omitted, ...withoutUseType } = letter;

    const response = await post('/letters', withoutUseType);

    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { message: string; status_code: number; code: string } };
    expect(body).toEqual({ error: { message: expect.stringContaining('use_type'), status_code: 422, code: 'invalid' } });
    expect(sandbox.letters.length).toBe(lettersBefore);
  });

  it('rejects what the spec forbids even when it comes through the official SDK', async () => {
    const lettersBefore = sandbox.letters.length;
    const api = new LettersApi(new Configuration({ username: sandbox.apiKey, basePath: sandbox.baseUrl }));
    const { file: _omitted, ...withoutFile } = letter;

    const err = (await failureOf(api.create(withoutFile as unknown as LetterEditable))) as Error & { response?: { status: number; data: unknown } };

    expect(err.response?.status).toBe(422);
    expect(err.response?.data).toMatchObject({ error: { status_code: 422, code: 'invalid' } });
    expect(sandbox.letters.length).toBe(lettersBefore);
  });

  it('rejects a US verification with neither city and state nor ZIP code', async () => {
    const response = await post('/us_verifications', { primary_line: '210 King St' });
    expect(response.status).toBe(422);
  });

  it('accepts the same letter through the SDK and answers a repeated idempotency key with the first letter', async () => {
    const api = new LettersApi(new Configuration({ username: sandbox.apiKey, basePath: sandbox.baseUrl }));
    const key = `sandbox-idempotency-${Date.now()}`;

    const first = await api.create(letter as unknown as LetterEditable, key);
    const second = await api.create({ ...letter, file: '<html><body>Other</body></html>' } as unknown as LetterEditable, key);
    const fetched = await api.get(first.id);

    expect(second.id).toBe(first.id);
    expect(fetched.id).toBe(first.id);
    expect(first.url).toMatch(/^https:\/\/lob-assets\.com\/letters\/ltr_/);
    expect(first.to.id).toMatch(/^adr_/);
    expect(lettersFor(key)).toHaveLength(1);
  });

  it('requires the API key as the basic-auth username', async () => {
    const response = await fetch(`${sandbox.baseUrl}/us_verifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('test_wrong:').toString('base64')}` },
      body: JSON.stringify({ primary_line: '210 King St', zip_code: '94107' }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { status_code: 401, code: 'invalid_api_key' } });
  });
});
