import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchOptions } from '../activities/batch-sender';
import { noticeInRequest } from '../activities/notice-source';
import { createFaxActivities, faxCover, faxDocument, type FaxActivities } from '../activities/channels/fax';
import { renderNoticePdf } from '../activities/channels/notice-pdf';
import type { BatchItem, FaxStatus, SendBatchRequest, SendBatchResult } from '../domain/batch';
import { faxClientState, noticeOfFaxClientState, type NoticeRef } from '../domain/ids';
import type { LoadSubjects, NoticeContent, RenderNotice, Subject } from '../domain/individuals';
import type { BreachNotice } from '../domain/notice';
import { startTelnyxSandbox, type TelnyxSandbox } from '../sandbox/telnyx-sandbox';

const KEY_ENV = 'BREACH_TEST_TELNYX_KEY';
const CONNECTION_ID = '1684641123236054244';
const FROM = '+13125550100';
const COHORT = 7;

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

/** Each subject's row sits at its own byte offset, as in a roster file. */
function rowOffsetOf(subjectId: string): number {
  return 200 * (subjects.indexOf(subject(subjectId)) + 1);
}

function ref(subjectId: string): NoticeRef {
  return { breachId: notice.breachId, cohort: COHORT, subjectId };
}

function request(subjectIds: string[], mayExist = false): SendBatchRequest {
  const items: BatchItem[] = subjectIds.map((subjectId) => ({ subjectId, rowOffset: rowOffsetOf(subjectId), ...(mayExist ? { mayExist } : {}) }));
  return { notice, cohort: COHORT, roster: { path: 'test-roster.csv', sha256: '0'.repeat(64), format: 'csv' }, items };
}

/** The roster read: the rows the workflow named, checked as the real reader checks them. */
const loadSubjects: LoadSubjects = async (_roster, rows) => {
  for (const row of rows) expect(row.rowOffset).toBe(rowOffsetOf(row.subjectId));
  return new Map(rows.map((row) => [row.subjectId, subject(row.subjectId)]));
};

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

/** The fax worker's batch settings: one fax at a time. */
const batch: BatchOptions = { concurrency: 1, perSecond: 1000, maxDeferrals: 3 };

let sandbox: TelnyxSandbox;

beforeEach(async () => {
  sandbox = await startTelnyxSandbox();
});

afterEach(async () => {
  await sandbox.stop();
});

function faxActivities(env: NodeJS.ProcessEnv = { [KEY_ENV]: sandbox.apiKey }, baseUrl = sandbox.baseUrl): FaxActivities {
  return createFaxActivities({ config: { apiKeyEnv: KEY_ENV, connectionId: CONNECTION_ID, from: FROM, baseUrl }, env, loadSubjects, renderNotice, readNotice: noticeInRequest, batch });
}

const quietLogger = new DefaultLogger('ERROR');

interface AttemptInfo {
  attempt: number;
  heartbeatDetails?: unknown;
  /** Called with each heartbeat, and the environment, to cancel the activity or script the sandbox mid-batch. */
  onHeartbeat?: (details: unknown, env: MockActivityEnvironment) => void;
}

type Outcome = { result: SendBatchResult; error?: undefined; heartbeat: unknown } | { result?: undefined; error: Error; heartbeat: unknown };

/**
 * Runs one attempt of the batch activity as Temporal's worker would. The last heartbeat is kept
 * as the server keeps it (serialised when sent), to hand to a retry as its heartbeat details.
 */
async function attempt(activities: FaxActivities, req: SendBatchRequest, info: AttemptInfo): Promise<Outcome> {
  // The failures are expected; the worker's WARN line for each would only clutter the output.
  const env = new MockActivityEnvironment({ attempt: info.attempt, heartbeatDetails: info.heartbeatDetails }, { logger: quietLogger });
  let heartbeat = info.heartbeatDetails;
  env.on('heartbeat', (details: unknown) => {
    heartbeat = structuredClone(details);
    info.onHeartbeat?.(heartbeat, env);
  });
  try {
    const result: SendBatchResult = await env.run(activities.sendFaxBatch, req);
    return { result, heartbeat };
  } catch (err) {
    return { error: err as Error, heartbeat };
  }
}

/** One attempt that must complete. */
async function sent(activities: FaxActivities, req: SendBatchRequest, info: AttemptInfo = { attempt: 1 }): Promise<SendBatchResult> {
  const outcome = await attempt(activities, req, info);
  if (outcome.error) throw outcome.error;
  return outcome.result;
}

/** One attempt that must fail. */
async function failed(activities: FaxActivities, req: SendBatchRequest, info: AttemptInfo = { attempt: 1 }): Promise<Error> {
  const outcome = await attempt(activities, req, info);
  expect(outcome.error).toBeInstanceOf(Error);
  return outcome.error!;
}

/** Retries like the activity retry policy: again with the last heartbeat after a retryable error, never after a non-retryable one. */
async function sendWithRetries(activities: FaxActivities, req: SendBatchRequest, maxAttempts = 3) {
  const errors: Error[] = [];
  let heartbeatDetails: unknown;
  for (let n = 1; n <= maxAttempts; n++) {
    const outcome = await attempt(activities, req, { attempt: n, heartbeatDetails });
    if (!outcome.error) return { result: outcome.result, errors };
    if (outcome.error instanceof ApplicationFailure && outcome.error.nonRetryable) throw outcome.error;
    errors.push(outcome.error);
    heartbeatDetails = outcome.heartbeat;
  }
  throw new Error(`still failing after ${maxAttempts} attempts: ${errors.map((e) => e.message).join('; ')}`);
}

function evidenceOf(result: SendBatchResult, index: number) {
  const item = result.results[index];
  if (!item || !('sent' in item)) throw new Error(`item ${index} was not sent: ${JSON.stringify(item)}`);
  return item.sent;
}

function refusalOf(result: SendBatchResult, index: number): string {
  const item = result.results[index];
  if (!item || !('failed' in item)) throw new Error(`item ${index} was not refused: ${JSON.stringify(item)}`);
  return item.failed;
}

function faxStatuses(activities: FaxActivities, faxIds: string[]): Promise<FaxStatus[]> {
  return new MockActivityEnvironment({}, { logger: quietLogger }).run(activities.faxStatuses, { faxIds });
}

async function pollStatus(activities: FaxActivities, faxId: string): Promise<FaxStatus> {
  for (let i = 0; i < 100; i++) {
    const [status] = await faxStatuses(activities, [faxId]);
    if (status!.status !== 'pending') return status!;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the fax never reached a final status');
}

function faxesTo(subjectId: string) {
  return sandbox.faxes.filter((fax) => fax.to === subject(subjectId).fax);
}

function creates() {
  return sandbox.requests.filter((r) => r.method === 'POST' && r.path === '/v2/faxes');
}

function expectNoPersonalData(text: string, ...people: Subject[]): void {
  for (const person of people) {
    expect(text).not.toContain(person.fax ?? '<no fax>');
    expect(text).not.toContain(person.fax?.slice(2) ?? '<no fax>');
    expect(text).not.toContain(person.fullName);
  }
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
  it('sends one fax per item with the connection, numbers, correlation id and the notice as PDF', async () => {
    const activities = faxActivities();

    const result = await sent(activities, request(['s-0001', 's-0002']));

    expect(result.stopped).toBe(false);
    expect(sandbox.faxes).toHaveLength(2);
    for (const [index, subjectId] of ['s-0001', 's-0002'].entries()) {
      const person = subject(subjectId);
      const fax = sandbox.faxes[index]!;
      const evidence = evidenceOf(result, index);
      expect(fax.id).toBe(evidence.providerId);
      expect(fax.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(fax.connectionId).toBe(CONNECTION_ID);
      expect(fax.from).toBe(FROM);
      expect(fax.to).toBe(person.fax);
      expect(fax.clientState).toBe(faxClientState(ref(subjectId)));
      expect(noticeOfFaxClientState(fax.clientState)).toEqual(ref(subjectId));

      // The PDF went with the create request: neither a public URL nor a copy in Media Storage.
      expect(fax.mediaUrl).toBeUndefined();
      expect(fax.mediaName).toBeUndefined();
      const pdf = fax.pdf!;
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      const content = await renderNotice(notice, person, 'fax');
      const drawn = pdfText(pdf);
      expect(drawn).toContain(normalize(content.subject));
      expect(drawn).toContain(normalize(content.text));
      expect(evidence.contentSha256).toBe(createHash('sha256').update(pdf).digest('hex'));
      expect(evidence.activityAttempt).toBe(1);
      expect(Date.parse(evidence.at)).not.toBeNaN();
    }
    // The evidence that goes into the workflow history names no one.
    expectNoPersonalData(JSON.stringify(result), subject('s-0001'), subject('s-0002'));
  });

  it('reports pending until Telnyx reports the fax delivered', async () => {
    const activities = faxActivities();
    sandbox.script.stepMs = 60_000;
    const faxId = evidenceOf(await sent(activities, request(['s-0001'])), 0).providerId;

    expect(await faxStatuses(activities, [faxId])).toEqual([{ faxId, status: 'pending', providerStatus: 'queued' }]);

    sandbox.script.stepMs = 5;
    expect(await pollStatus(activities, faxId)).toEqual({ faxId, status: 'delivered', providerStatus: 'delivered' });
  });

  it("reports a failed fax with Telnyx's failure reason, each fax of a poll by its id", async () => {
    const activities = faxActivities();
    sandbox.script.failNumbers.add(subject('s-0002').fax!);
    const result = await sent(activities, request(['s-0001', 's-0002']));
    const [delivered, failing] = [evidenceOf(result, 0).providerId, evidenceOf(result, 1).providerId];

    expect(await pollStatus(activities, failing)).toEqual({ faxId: failing, status: 'failed', providerStatus: 'failed', failureReason: 'receiver_no_answer' });
    expect(await faxStatuses(activities, [delivered, failing])).toEqual([
      { faxId: delivered, status: 'delivered', providerStatus: 'delivered' },
      { faxId: failing, status: 'failed', providerStatus: 'failed', failureReason: 'receiver_no_answer' },
    ]);
  });

  it('sends exactly one fax when the create succeeded but its response was lost (503)', async () => {
    const activities = faxActivities();
    sandbox.script.createThen503(1);

    const { result, errors } = await sendWithRetries(activities, request(['s-0001']));

    expect(errors).toHaveLength(1);
    expect(errors[0]).not.toBeInstanceOf(ApplicationFailure);
    expect(errors[0]!.message).toContain('HTTP 503');
    expectNoPersonalData(errors[0]!.message, subject('s-0001'));
    expect(sandbox.faxes).toHaveLength(1);
    expect(evidenceOf(result, 0)).toMatchObject({ providerId: sandbox.faxes[0]!.id, activityAttempt: 2 });
    expect(creates()).toHaveLength(1);
  });

  it('sends on the retry when the 503 came before anything was created', async () => {
    const activities = faxActivities();
    sandbox.script.failCreatesWith503(1);

    const { result, errors } = await sendWithRetries(activities, request(['s-0001']));

    expect(errors).toHaveLength(1);
    expect(sandbox.faxes).toHaveLength(1);
    expect(evidenceOf(result, 0).providerId).toBe(sandbox.faxes[0]!.id);
  });

  it('does not fax again a notice that may exist, found by its client_state; a new send of it is a new fax', async () => {
    const activities = faxActivities();
    const first = evidenceOf(await sent(activities, request(['s-0001'])), 0);

    // An item the cohort marked: an earlier batch was cancelled or crashed after this fax.
    const marked = evidenceOf(await sent(activities, request(['s-0001'], true)), 0);
    expect(marked.providerId).toBe(first.providerId);
    expect(marked.contentSha256).toBe(first.contentSha256);
    expect(sandbox.faxes).toHaveLength(1);

    // A retried attempt looks first, whether or not the item is marked.
    const retried = evidenceOf(await sent(activities, request(['s-0001']), { attempt: 2 }), 0);
    expect(retried).toMatchObject({ providerId: first.providerId, activityAttempt: 2 });
    expect(sandbox.faxes).toHaveLength(1);
    expect(creates()).toHaveLength(1);

    const resent = evidenceOf(await sent(activities, request(['s-0001'])), 0);
    expect(resent.providerId).not.toBe(first.providerId);
    expect(sandbox.faxes).toHaveLength(2);
  });

  it('resumes a retried batch from its heartbeat, skipping the items already answered', async () => {
    const activities = faxActivities();
    const req = request(['s-0001', 's-0002', 's-0003']);
    let heartbeats = 0;
    // Telnyx becomes unavailable once the first fax is out.
    const crashed = await attempt(activities, req, {
      attempt: 1,
      onHeartbeat: () => {
        if (heartbeats++ === 0) sandbox.script.failCreatesWith503(1);
      },
    });
    expect(crashed.error?.message).toContain('HTTP 503');
    expect(crashed.heartbeat).toMatchObject({ results: [{ sent: { providerId: sandbox.faxes[0]!.id } }, null, null] });
    const requestsBefore = sandbox.requests.length;

    const resumed = await sent(activities, req, { attempt: 2, heartbeatDetails: crashed.heartbeat });

    expect(resumed.results[0]).toEqual((crashed.heartbeat as { results: unknown[] }).results[0]);
    expect(evidenceOf(resumed, 1).activityAttempt).toBe(2);
    expect(evidenceOf(resumed, 2).activityAttempt).toBe(2);
    expect(['s-0001', 's-0002', 's-0003'].map((id) => faxesTo(id).length)).toEqual([1, 1, 1]);
    // The answered item cost no request at all: a lookup and a create for each of the other two.
    expect(sandbox.requests.slice(requestsBefore).map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual(['GET /v2/faxes', 'POST /v2/faxes', 'GET /v2/faxes', 'POST /v2/faxes']);
  });

  it('stops before the next fax when the batch is cancelled, returning the evidence of those sent', async () => {
    const activities = faxActivities();

    const result = await sent(activities, request(['s-0001', 's-0002', 's-0003']), { attempt: 1, onHeartbeat: (_details, env) => env.cancel() });

    expect(result.stopped).toBe(true);
    expect(result.results).toEqual([{ sent: expect.objectContaining({ providerId: sandbox.faxes[0]!.id, activityAttempt: 1 }) }, null, null]);
    expect(sandbox.faxes).toHaveLength(1);
    expect(faxesTo('s-0001')).toHaveLength(1);
  });

  it('refuses a fax Telnyx refuses (422) for that item only, naming no contact data', async () => {
    const activities = faxActivities();
    const person = subject('s-0003');
    sandbox.script.rejectNumbers.add(person.fax!);

    const result = await sent(activities, request(['s-0003', 's-0001']));

    const refusal = refusalOf(result, 0);
    expect(refusal).toContain('HTTP 422');
    expect(refusal).toContain('10002');
    expectNoPersonalData(refusal, person);
    expect(evidenceOf(result, 1).providerId).toBe(sandbox.faxes[0]!.id);
    expect(faxesTo('s-0003')).toHaveLength(0);
  });

  it('refuses a subject without a fax number without calling Telnyx', async () => {
    const result = await sent(faxActivities(), request(['s-0004']));

    expect(refusalOf(result, 0)).toBe('The subject has no fax number');
    expect(sandbox.requests).toHaveLength(0);
  });

  it('reads the API key only from the configured environment variable', async () => {
    const ok = await sent(faxActivities({ [KEY_ENV]: sandbox.apiKey }), request(['s-0001']));
    expect(evidenceOf(ok, 0).providerId).toBe(sandbox.faxes[0]!.id);

    // The SDK's own default variable is not a fallback, and no retry can make the key appear.
    const previous = process.env['TELNYX_API_KEY'];
    process.env['TELNYX_API_KEY'] = sandbox.apiKey;
    try {
      const missing = await failed(faxActivities({ TELNYX_API_KEY: sandbox.apiKey }), request(['s-0001']));
      expect(missing).toBeInstanceOf(ApplicationFailure);
      expect((missing as ApplicationFailure).type).toBe('FaxNotConfigured');
      expect((missing as ApplicationFailure).nonRetryable).toBe(true);
      expect(missing.message).toContain(KEY_ENV);
      expect(missing.message).not.toContain(sandbox.apiKey);
    } finally {
      if (previous === undefined) delete process.env['TELNYX_API_KEY'];
      else process.env['TELNYX_API_KEY'] = previous;
    }

    const wrong = await sent(faxActivities({ [KEY_ENV]: 'KEY-NOT-VALID' }), request(['s-0001']));
    expect(refusalOf(wrong, 0)).toContain('HTTP 401');
    expect(sandbox.faxes).toHaveLength(1);
  });

  it('fails the attempt, to be retried, when Telnyx cannot be reached', async () => {
    const unreachable = await startTelnyxSandbox();
    await unreachable.stop();
    const activities = faxActivities({ [KEY_ENV]: unreachable.apiKey }, unreachable.baseUrl);

    const err = await failed(activities, request(['s-0001']), { attempt: 2 });

    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(err.message).toBe('Telnyx list failed: no response (APIConnectionError)');
    expectNoPersonalData(err.message, subject('s-0001'));
  });
});

describe('notice PDF', () => {
  it('renders the same notice to the same bytes', async () => {
    const content = await renderNotice(notice, subject('s-0001'), 'fax');
    const [a, b] = await Promise.all([renderNoticePdf(content), renderNoticePdf(content)]);
    expect(a.equals(b)).toBe(true);
    expect(pdfText(a)).toContain(normalize(content.text));
  });

  it('puts a cover sheet first: to whom, from whom and the number to call back', async () => {
    const person = subject('s-0001');
    const content = await renderNotice(notice, person, 'fax');
    const { pdf } = await faxDocument(content, faxCover(person, '+13125550100', 'Acme Payroll Ltd'));
    expect(pdf.toString('latin1').match(/\/Type \/Page\b(?!s)/g)!.length).toBeGreaterThanOrEqual(2);
    const text = pdfText(pdf);
    expect(text.indexOf('FAX')).toBeLessThan(text.indexOf(normalize(content.text).slice(0, 20)));
    expect(text).toContain(normalize(`From: Acme Payroll Ltd, fax +13125550100`));
    expect(text).toContain(normalize(`Subject: ${content.subject}`));
  });
});
