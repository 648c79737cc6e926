import { createHash } from 'node:crypto';
import { Configuration, LettersApi, type LetterEditable } from '@lob/lob-typescript-sdk';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostalActivities, type PostalChannelConfig } from '../activities/channels/postal';
import { noticeId, type NoticeContent, type PostalAddress, type RenderNotice, type Subject, type SubjectRef } from '../domain/individuals';
import type { BreachNotice } from '../domain/notice';
import { startLobSandbox, type LobSandbox } from '../sandbox/lob-sandbox';

const API_KEY_ENV = 'TEST_LOB_API_KEY';

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

function refOf(subject: Subject): SubjectRef {
  return { subjectId: subject.subjectId, rowOffset: 128, roster: { path: '/rosters/2026.csv', sha256: 'f'.repeat(64), format: 'csv' } };
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

function postalActivities(subject: Subject, env: NodeJS.ProcessEnv = { [API_KEY_ENV]: sandbox.apiKey }, from = FROM) {
  return createPostalActivities({
    config: { apiKeyEnv: API_KEY_ENV, baseUrl: sandbox.baseUrl, from },
    env,
    loadSubject: async (ref) => {
      expect(ref.subjectId).toBe(subject.subjectId);
      return subject;
    },
    renderNotice,
  });
}

function lettersFor(key: string) {
  return sandbox.letters.filter((letter) => letter.idempotencyKey === key);
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

function expectNoPersonalData(err: Error, subject: Subject): void {
  const personal = [subject.fullName, ...(subject.postal?.lines ?? []), subject.postal?.postalCode ?? '', subject.postal?.city ?? ''].filter(Boolean);
  for (const value of personal) expect(err.message).not.toContain(value);
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

    const result = await postalActivities(subject).sendNoticeLetter({ notice, subject: refOf(subject) });

    const key = noticeId(notice.breachId, subject.subjectId);
    const [letter, ...others] = lettersFor(key);
    expect(others).toHaveLength(0);
    expect(letter).toBeDefined();
    if (!letter) return;
    expect(result.letterId).toMatch(/^ltr_[a-z0-9]{16}$/);
    expect(result.letterId).toBe(letter.id);
    expect(result.expectedDeliveryDate).toBe(letter.expectedDeliveryDate);
    expect(letter.useType).toBe('operational');
    expect(letter.mailType).toBe('usps_first_class');
    expect(letter.color).toBe(false);
    expect(letter.metadata).toEqual({ notice_id: key, breach_id: notice.breachId });

    const content = await renderNotice(notice, subject, 'postal');
    expect(letter.file).toBe(content.html);
    expect(result.contentSha256).toBe(content.contentSha256);
    expect(result.contentSha256).toBe(letter.fileSha256);

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
  });

  it('refuses an undeliverable US address without creating a letter', async () => {
    const notice = breachNotice();
    const subject = subjectWith({ ...US_ADDRESS, lines: ['1 Nowhere Rd'] }, 'subj-0043');
    sandbox.script.undeliverable.add('1 Nowhere Rd');

    const err = await failureOf(postalActivities(subject).sendNoticeLetter({ notice, subject: refOf(subject) }));

    expectNonRetryable(err, 'UndeliverableAddress');
    expect(err.message).toContain('undeliverable');
    expectNoPersonalData(err, subject);
    expect(lettersFor(noticeId(notice.breachId, subject.subjectId))).toHaveLength(0);
  });

  it('refuses an address that lacks its unit, and mails one whose unit is merely unnecessary', async () => {
    const missingUnit = subjectWith({ ...US_ADDRESS, lines: ['500 Tower Ave'], postalCode: '94110' }, 'subj-0044');
    const extraUnit = subjectWith({ ...US_ADDRESS, lines: ['12 Single Family Ln', 'Unit 9'], postalCode: '94111' }, 'subj-0045');
    sandbox.script.deliverability.set('500 Tower Ave', 'deliverable_missing_unit');
    sandbox.script.deliverability.set('12 Single Family Ln', 'deliverable_unnecessary_unit');
    const notice = breachNotice();

    const err = await failureOf(postalActivities(missingUnit).sendNoticeLetter({ notice, subject: refOf(missingUnit) }));
    expectNonRetryable(err, 'UndeliverableAddress');
    expect(lettersFor(noticeId(notice.breachId, missingUnit.subjectId))).toHaveLength(0);

    const sent = await postalActivities(extraUnit).sendNoticeLetter({ notice, subject: refOf(extraUnit) });
    expect(lettersFor(noticeId(notice.breachId, extraUnit.subjectId)).map((l) => l.id)).toEqual([sent.letterId]);
  });

  it('fails for good when the subject has no postal address, without calling Lob', async () => {
    const subject = subjectWith(undefined, 'subj-0046');
    const requestsBefore = sandbox.requests.length;

    const err = await failureOf(postalActivities(subject).sendNoticeLetter({ notice: breachNotice(), subject: refOf(subject) }));

    expectNonRetryable(err, 'NoContactData');
    expect(sandbox.requests.length).toBe(requestsBefore);
  });

  it.each(['destroy-socket', 'status-500'] as const)(
    'returns the same letter on the retry after the creation response was lost (%s), and mails only once',
    async (mode) => {
      const notice = breachNotice();
      const subject = subjectWith({ ...US_ADDRESS, lines: [`77 Lost Reply Way ${mode}`] }, `subj-lost-${mode}`);
      const key = noticeId(notice.breachId, subject.subjectId);
      sandbox.script.loseResponseAfterCreate(1, { recipient: `77 Lost Reply Way ${mode}`, mode });
      const activities = postalActivities(subject);

      const firstAttempt = await failureOf(activities.sendNoticeLetter({ notice, subject: refOf(subject) }));
      expectRetryable(firstAttempt);
      expectNoPersonalData(firstAttempt, subject);
      expect(lettersFor(key)).toHaveLength(1);

      // Temporal retries the activity with the same input.
      const retry = await activities.sendNoticeLetter({ notice, subject: refOf(subject) });

      const letters = lettersFor(key);
      expect(letters).toHaveLength(1);
      expect(retry.letterId).toBe(letters[0]?.id);
      expect(retry.expectedDeliveryDate).toBe(letters[0]?.expectedDeliveryDate);
      const creates = sandbox.requests.filter((r) => r.path === '/v1/letters' && r.idempotencyKey === key);
      expect(creates.map((r) => r.replayed ?? false)).toEqual([false, true]);
    },
  );

  it('treats rate limits and Lob server errors as retryable, and refusals as final', async () => {
    const notice = breachNotice();
    const subject = subjectWith(US_ADDRESS, 'subj-0047');
    const activities = postalActivities(subject);

    sandbox.script.failCreate(1, 429, 'rate_limit_exceeded');
    const limited = await failureOf(activities.sendNoticeLetter({ notice, subject: refOf(subject) }));
    expectRetryable(limited);
    expect(limited.message).toContain('429');

    sandbox.script.failCreate(1, 503, 'service_unavailable');
    expectRetryable(await failureOf(activities.sendNoticeLetter({ notice, subject: refOf(subject) })));
    expect(lettersFor(noticeId(notice.breachId, subject.subjectId))).toHaveLength(0);

    sandbox.script.failCreate(1, 403, 'feature_limit_reached');
    const refused = await failureOf(activities.sendNoticeLetter({ notice, subject: refOf(subject) }));
    expectNonRetryable(refused, 'LetterRejected');
    expect(refused.message).toContain('feature_limit_reached');
    expect(lettersFor(noticeId(notice.breachId, subject.subjectId))).toHaveLength(0);
  });

  it('reports a letter Lob refuses by status and error code only', async () => {
    const notice = breachNotice();
    const subject = subjectWith(US_ADDRESS, 'subj-0048');
    // A return address whose state is spelled out violates Lob's spec (two letters).
    const from = { ...FROM, address_state: 'California' };

    const err = await failureOf(postalActivities(subject, undefined, from).sendNoticeLetter({ notice, subject: refOf(subject) }));

    expectNonRetryable(err, 'LetterRejected');
    expect(err.message).toBe('Lob refused the letter request (HTTP 422, invalid)');
    expectNoPersonalData(err, subject);
    expect(lettersFor(noticeId(notice.breachId, subject.subjectId))).toHaveLength(0);
  });

  it('mails an address outside the US without US verification', async () => {
    const notice = breachNotice();
    const subject = subjectWith({ lines: ['10 Downing St'], city: 'London', region: 'Greater London', postalCode: 'SW1A 2AA', country: 'GB' }, 'subj-0049');
    const requestsBefore = sandbox.requests.length;

    const result = await postalActivities(subject).sendNoticeLetter({ notice, subject: refOf(subject) });

    const [letter] = lettersFor(noticeId(notice.breachId, subject.subjectId));
    expect(letter?.id).toBe(result.letterId);
    expect(letter?.to).toMatchObject({ address_line1: '10 Downing St', address_zip: 'SW1A 2AA', address_country: 'GB' });
    expect(sandbox.requests.slice(requestsBefore).map((r) => r.path)).toEqual(['/v1/letters']);
  });

  describe('API key', () => {
    it('is read from the environment variable the configuration names', async () => {
      const notice = breachNotice();
      const subject = subjectWith(US_ADDRESS, 'subj-0050');

      const wrongKey = await failureOf(postalActivities(subject, { [API_KEY_ENV]: 'test_not_the_key' }).sendNoticeLetter({ notice, subject: refOf(subject) }));
      expectNonRetryable(wrongKey, 'LetterRejected');
      expect(wrongKey.message).toContain('401');

      const missing = await failureOf(postalActivities(subject, { OTHER: sandbox.apiKey }).sendNoticeLetter({ notice, subject: refOf(subject) }));
      expectNonRetryable(missing, 'PostalNotConfigured');
      expect(missing.message).toContain(API_KEY_ENV);
      expect(missing.message).not.toContain(sandbox.apiKey);

      expect(lettersFor(noticeId(notice.breachId, subject.subjectId))).toHaveLength(0);
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
