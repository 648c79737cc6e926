import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFaxActivities, type FaxActivities, type SendNoticeFaxRequest, type SendNoticeFaxResult } from '../activities/channels/fax';
import { renderNoticePdf } from '../activities/channels/notice-pdf';
import { noticeId, type NoticeContent, type RenderNotice, type Subject, type SubjectRef } from '../domain/individuals';
import type { BreachNotice } from '../domain/notice';
import { startTelnyxSandbox, type TelnyxSandbox } from '../sandbox/telnyx-sandbox';

const KEY_ENV = 'BREACH_TEST_TELNYX_KEY';
const CONNECTION_ID = '1684641123236054244';
const FROM = '+13125550100';

const notice: BreachNotice = {
  breachId: '2026-031',
  title: 'Customer DB exposed',
  description: 'A backup bucket was public for three days.',
  contactPoint: 'dpo@company.example',
  likelyConsequences: 'Phishing emails that look like ours.',
  measures: 'The bucket is closed and all keys are rotated.',
};

const subjects: Subject[] = [
  { subjectId: 's-0001', fullName: 'Erika Mustermann', fax: '+13125550123', language: 'en' },
  { subjectId: 's-0002', fullName: 'Max Mustermann', fax: '+13125550124', language: 'en' },
  { subjectId: 's-0003', fullName: 'Jane Roe', fax: '+13125550125', language: 'en' },
  { subjectId: 's-0004', fullName: 'John Roe', email: 'john@example.org', language: 'en' },
];

function subject(subjectId: string): Subject {
  const found = subjects.find((candidate) => candidate.subjectId === subjectId);
  if (!found) throw new Error(`no test subject ${subjectId}`);
  return found;
}

function ref(subjectId: string): SubjectRef {
  return { subjectId, rowOffset: 0, roster: { path: 'test-roster.csv', sha256: '0'.repeat(64), format: 'csv' } };
}

function request(subjectId: string): SendNoticeFaxRequest {
  return { notice, subject: ref(subjectId) };
}

/** Test data: a small plain-text notice with a real content hash. */
const renderNotice: RenderNotice = async (breach, person, _channel): Promise<NoticeContent> => {
  const subjectLine = `Important: your personal data was affected (${breach.breachId})`;
  const text = [
    `Dear ${person.fullName},`,
    `What happened: ${breach.description}`,
    `Likely consequences: ${breach.likelyConsequences}`,
    `What we did: ${breach.measures}`,
    `Questions: ${breach.contactPoint}`,
  ].join('\n');
  const contentSha256 = createHash('sha256').update(`${subjectLine}\n${text}`).digest('hex');
  return { subject: subjectLine, text, html: `<p>${text}</p>`, contentSha256 };
};

let sandbox: TelnyxSandbox;

beforeEach(async () => {
  sandbox = await startTelnyxSandbox();
});

afterEach(async () => {
  await sandbox.stop();
});

function faxActivities(env: NodeJS.ProcessEnv = { [KEY_ENV]: sandbox.apiKey }, baseUrl = sandbox.baseUrl): FaxActivities {
  return createFaxActivities({
    config: { apiKeyEnv: KEY_ENV, connectionId: CONNECTION_ID, from: FROM, baseUrl },
    env,
    loadSubject: async (subjectRef) => subject(subjectRef.subjectId),
    renderNotice,
  });
}

const quietLogger = new DefaultLogger('ERROR');

/** Runs the activity as Temporal's worker would run this attempt of it. */
function attempt(activities: FaxActivities, req: SendNoticeFaxRequest, attemptNumber: number): Promise<SendNoticeFaxResult> {
  // The failures are expected; the worker's WARN line for each would only clutter the output.
  return new MockActivityEnvironment({ attempt: attemptNumber }, { logger: quietLogger }).run(activities.sendNoticeFax, req);
}

/** Retries like an activity retry policy: again after a retryable error, never after a non-retryable one. */
async function sendWithRetries(activities: FaxActivities, req: SendNoticeFaxRequest, maxAttempts = 3) {
  const errors: Error[] = [];
  for (let n = 1; n <= maxAttempts; n++) {
    try {
      return { result: await attempt(activities, req, n), errors };
    } catch (err) {
      if (err instanceof ApplicationFailure && err.nonRetryable) throw err;
      errors.push(err as Error);
    }
  }
  throw new Error(`still failing after ${maxAttempts} attempts: ${errors.map((e) => e.message).join('; ')}`);
}

async function pollStatus(activities: FaxActivities, faxId: string) {
  for (let i = 0; i < 100; i++) {
    const status = await activities.faxStatus({ faxId });
    if (status.status !== 'pending') return status;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the fax never reached a final status');
}

async function sendFailure(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

function expectNoPersonalData(message: string, person: Subject): void {
  expect(message).not.toContain(person.fax ?? '<no fax>');
  expect(message).not.toContain(person.fax?.slice(2) ?? '<no fax>');
  expect(message).not.toContain(person.fullName);
}

/**
 * The text PDFKit drew: each content stream inflated, each `TJ` array's hex strings decoded
 * (WinAnsi, which is Latin-1 for these characters), lines joined with spaces.
 */
function pdfText(pdf: Buffer): string {
  const streams = [...pdf.toString('latin1').matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)];
  const lines: string[] = [];
  for (const [, raw] of streams) {
    let content: string;
    try {
      content = inflateSync(Buffer.from(raw ?? '', 'latin1')).toString('latin1');
    } catch {
      continue;
    }
    for (const [, array] of content.matchAll(/\[(.*?)\]\s*TJ/g)) {
      const hex = [...(array ?? '').matchAll(/<([0-9a-fA-F]*)>/g)].map(([, h]) => h).join('');
      lines.push(Buffer.from(hex, 'hex').toString('latin1'));
    }
  }
  return normalize(lines.join(' '));
}

const normalize = (text: string) => text.replace(/\s+/g, ' ').trim();

describe('fax channel (official telnyx SDK against the Telnyx sandbox)', () => {
  it('sends one fax with the connection, numbers, correlation id and the notice as PDF', async () => {
    const activities = faxActivities();
    const person = subject('s-0001');

    const result = await attempt(activities, request('s-0001'), 1);

    expect(sandbox.faxes).toHaveLength(1);
    const fax = sandbox.faxes[0]!;
    expect(fax.id).toBe(result.faxId);
    expect(fax.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(fax.connectionId).toBe(CONNECTION_ID);
    expect(fax.from).toBe(FROM);
    expect(fax.to).toBe(person.fax);
    expect(Buffer.from(fax.clientState ?? '', 'base64').toString('utf8')).toBe(noticeId(notice.breachId, 's-0001'));

    // The PDF went through Media Storage, not a public URL.
    expect(fax.mediaUrl).toBeUndefined();
    expect(sandbox.media.get(fax.mediaName ?? '')?.contentType).toBe('application/pdf');
    const pdf = fax.pdf!;
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const content = await renderNotice(notice, person, 'fax');
    const drawn = pdfText(pdf);
    expect(drawn).toContain(normalize(content.subject));
    expect(drawn).toContain(normalize(content.text));
    expect(result.contentSha256).toBe(createHash('sha256').update(pdf).digest('hex'));
  });

  it('reports pending until Telnyx reports the fax delivered', async () => {
    const activities = faxActivities();
    sandbox.script.stepMs = 60_000;
    const { faxId } = await attempt(activities, request('s-0001'), 1);

    expect(await activities.faxStatus({ faxId })).toEqual({ status: 'pending', providerStatus: 'queued' });

    sandbox.script.stepMs = 5;
    expect(await pollStatus(activities, faxId)).toEqual({ status: 'delivered', providerStatus: 'delivered' });
  });

  it("reports a failed fax with Telnyx's failure reason", async () => {
    const activities = faxActivities();
    sandbox.script.failNumbers.add(subject('s-0002').fax!);
    const { faxId } = await attempt(activities, request('s-0002'), 1);

    expect(await pollStatus(activities, faxId)).toEqual({ status: 'failed', providerStatus: 'failed', failureReason: 'receiver_no_answer' });
  });

  it('sends exactly one fax when the create succeeded but its response was lost (503)', async () => {
    const activities = faxActivities();
    sandbox.script.createThen503(1);

    const { result, errors } = await sendWithRetries(activities, request('s-0001'));

    expect(errors).toHaveLength(1);
    expect(errors[0]).not.toBeInstanceOf(ApplicationFailure);
    expect(errors[0]!.message).toContain('HTTP 503');
    expectNoPersonalData(errors[0]!.message, subject('s-0001'));
    expect(sandbox.faxes).toHaveLength(1);
    expect(result.faxId).toBe(sandbox.faxes[0]!.id);
    const creates = sandbox.requests.filter((r) => r.method === 'POST' && r.path === '/v2/faxes');
    expect(creates).toHaveLength(1);
  });

  it('sends on the retry when the 503 came before anything was created', async () => {
    const activities = faxActivities();
    sandbox.script.failCreatesWith503(1);

    const { result, errors } = await sendWithRetries(activities, request('s-0001'));

    expect(errors).toHaveLength(1);
    expect(sandbox.faxes).toHaveLength(1);
    expect(result.faxId).toBe(sandbox.faxes[0]!.id);
  });

  it('looks for an earlier fax only on a retry, so a new send of the notice is a new fax', async () => {
    const activities = faxActivities();
    const first = await attempt(activities, request('s-0001'), 1);
    const retried = await attempt(activities, request('s-0001'), 2);
    expect(retried.faxId).toBe(first.faxId);
    expect(sandbox.faxes).toHaveLength(1);

    const resent = await attempt(activities, request('s-0001'), 1);
    expect(resent.faxId).not.toBe(first.faxId);
    expect(sandbox.faxes).toHaveLength(2);
  });

  it('does not retry a fax Telnyx refuses (422) and names no contact data', async () => {
    const activities = faxActivities();
    const person = subject('s-0003');
    sandbox.script.rejectNumbers.add(person.fax!);

    const err = await sendFailure(attempt(activities, request('s-0003'), 1));

    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('FaxRejected');
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect(err.message).toContain('HTTP 422');
    expect(err.message).toContain('10002');
    expectNoPersonalData(err.message, person);
    expect(sandbox.faxes).toHaveLength(0);
  });

  it('does not retry a subject without a fax number', async () => {
    const err = await sendFailure(attempt(faxActivities(), request('s-0004'), 1));

    expect((err as ApplicationFailure).type).toBe('NoContactData');
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect(sandbox.requests).toHaveLength(0);
  });

  it('reads the API key only from the configured environment variable', async () => {
    const sent = await attempt(faxActivities({ [KEY_ENV]: sandbox.apiKey }), request('s-0001'), 1);
    expect(sent.faxId).toBe(sandbox.faxes[0]!.id);

    // The SDK's own default variable is not a fallback.
    const previous = process.env['TELNYX_API_KEY'];
    process.env['TELNYX_API_KEY'] = sandbox.apiKey;
    try {
      const missing = await sendFailure(attempt(faxActivities({ TELNYX_API_KEY: sandbox.apiKey }), request('s-0001'), 1));
      expect((missing as ApplicationFailure).type).toBe('FaxNotConfigured');
      expect(missing.message).toContain(KEY_ENV);
      expect(missing.message).not.toContain(sandbox.apiKey);
    } finally {
      if (previous === undefined) delete process.env['TELNYX_API_KEY'];
      else process.env['TELNYX_API_KEY'] = previous;
    }

    const wrong = await sendFailure(attempt(faxActivities({ [KEY_ENV]: 'KEY-NOT-VALID' }), request('s-0001'), 1));
    expect(wrong.message).toContain('HTTP 401');
    expect(sandbox.faxes).toHaveLength(1);
  });

  it('retries when Telnyx cannot be reached', async () => {
    const unreachable = await startTelnyxSandbox();
    await unreachable.stop();
    const activities = faxActivities({ [KEY_ENV]: unreachable.apiKey }, unreachable.baseUrl);

    const err = await sendFailure(attempt(activities, request('s-0001'), 2));

    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(err.message).toContain('Telnyx list failed: no response (APIConnectionError)');
  });
});

describe('notice PDF', () => {
  it('renders the same notice to the same bytes', async () => {
    const content = await renderNotice(notice, subject('s-0001'), 'fax');
    const [a, b] = await Promise.all([renderNoticePdf(content), renderNoticePdf(content)]);
    expect(a.equals(b)).toBe(true);
    expect(pdfText(a)).toContain(normalize(content.text));
  });
});
