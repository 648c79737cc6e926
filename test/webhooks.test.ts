/**
 * The webhook receiver end to end on the dev server: a real breach notifies its subjects through
 * the Telnyx and Lob sandboxes, and signed provider events (built in the providers' webhook
 * shapes, signed with a real Ed25519 key pair and a real HMAC secret) reach the workflows as
 * updates through the receiver's HTTP endpoints.
 */
import { createHmac, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSubjectCohort } from '../client/subject-cohort';
import type { SubjectView } from '../domain/cascade';
import { breachWorkflowId, cohortWorkflowId, faxClientState, noticeId } from '../domain/ids';
import { startLobSandbox, type CreatedLetter, type LobSandbox } from '../sandbox/lob-sandbox';
import { startTelnyxSandbox, type ReceivedFax, type TelnyxSandbox } from '../sandbox/telnyx-sandbox';
import { startWebhookServer, type WebhookServer } from '../webhooks/server';
import { assessUpdate, closeUpdate, statusQuery } from '../workflows/messages/breach';
import { sandboxChannels, sandboxEnv, writeRoster } from './support/cascade';
import { breachFacts, eventually, expectHistoryReplays, startBreach, startDevEngine, type DevEngine } from './support/engine';

const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-webhooks-'));
const run = Date.now();
// Dots in both ids: the notice id separates its parts with `~`, so dots must not confuse it.
const faxBreachId = `wh.fax.${run}`;
const postBreachId = `wh.post.${run}`;

const telnyxKeys = generateKeyPairSync('ed25519');
const lobSecret = randomBytes(24).toString('hex');
const logLines: string[] = [];

let telnyx: TelnyxSandbox;
let lob: LobSandbox;
let engine: DevEngine;
let receiver: WebhookServer;

const high = { risk: 'high' as const, rationale: 'Bank details exposed', by: 'Ines Responder' };
const ADDRESS = '210 King St,,San Francisco,CA,94107,US';
const FAX_SUBJECTS = { fax: '+13125550123', forged: '+13125550124', stale: '+13125550125', replay: '+13125550126' };

const roster = (name: string, rows: string[]) => writeRoster(dir, name, rows);

/** The SDK expects what Mission Control shows: the raw 32-byte Ed25519 key, base64. */
function telnyxPublicKeyBase64(publicKey: KeyObject): string {
  return Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
}

beforeAll(async () => {
  // Faxes stay pending for minutes however often the cohort polls: only a webhook can tell the
  // cohort within the test that a fax failed.
  telnyx = await startTelnyxSandbox({ stepMs: 60_000 });
  lob = await startLobSandbox();
  engine = await startDevEngine('webhooks', {
    env: sandboxEnv(telnyx, lob),
    configure(config) {
      // Four fax subjects in cohorts of three: the reports must find the second cohort too.
      config.individuals = {
        ...config.individuals,
        channels: ['email', 'fax', 'postal'],
        bounceWindow: '4 seconds',
        faxPollInterval: '200ms',
        cohortSize: 3,
        batchSize: 2,
        sendingCohorts: 2,
        fallbackDelay: '200ms',
      };
      config.channels = sandboxChannels(telnyx, lob);
    },
  });
  receiver = await startWebhookServer({
    client: engine.client,
    port: 0,
    host: '127.0.0.1',
    telnyxPublicKey: telnyxPublicKeyBase64(telnyxKeys.publicKey),
    lobSecret,
    log: (line) => logLines.push(line),
  });

  const faxPeople = await roster(
    'fax',
    Object.entries(FAX_SUBJECTS).map(([name, number]) => `s.${name},Fay ${name},,${number},${ADDRESS},en`),
  );
  const faxBreach = await startBreach(engine.client, engine.config, breachFacts(faxBreachId), undefined, faxPeople);
  await faxBreach.executeUpdate(assessUpdate, { args: [high] });
  const postBreach = await startBreach(engine.client, engine.config, breachFacts(postBreachId), undefined, await roster('post', [`s.post,Pat Post,,,${ADDRESS},en`]));
  await postBreach.executeUpdate(assessUpdate, { args: [high] });
});

afterAll(async () => {
  await receiver?.stop();
  await engine?.stop();
  await telnyx?.stop();
  await lob?.stop();
});

// --- Telnyx -------------------------------------------------------------------------------------

/** A Telnyx fax webhook as Telnyx sends it: `{ data: { event_type, id, payload, ... }, meta }`. */
function faxEvent(eventType: string, fax: Pick<ReceivedFax, 'id' | 'to' | 'from' | 'connectionId' | 'clientState' | 'mediaName'>, extra: Record<string, unknown> = {}) {
  return {
    data: {
      event_type: eventType,
      id: randomUUID(),
      occurred_at: new Date().toISOString(),
      payload: {
        client_state: fax.clientState,
        connection_id: fax.connectionId,
        direction: 'outbound',
        fax_id: fax.id,
        from: fax.from,
        media_name: fax.mediaName,
        original_media_url: null,
        status: eventType.slice('fax.'.length),
        to: fax.to,
        user_id: randomUUID(),
        ...extra,
      },
      record_type: 'event',
    },
    meta: { attempt: 1, delivered_to: 'https://receiver.company.test/webhooks/telnyx' },
  };
}

function failedEvent(fax: ReceivedFax) {
  return faxEvent('fax.failed', fax, { failure_reason: 'receiver_no_answer', internal_failure_reason: 'receiver_no_answer' });
}

interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/** Signs like Telnyx: Ed25519 over `${timestamp}|${body}`, both headers base64 / Unix seconds. */
function signTelnyx(event: unknown, options: { at?: Date; key?: KeyObject } = {}): SignedRequest {
  const body = JSON.stringify(event);
  const timestamp = String(Math.floor((options.at ?? new Date()).getTime() / 1000));
  const signature = sign(null, Buffer.from(`${timestamp}|${body}`, 'utf8'), options.key ?? telnyxKeys.privateKey).toString('base64');
  return { body, headers: { 'content-type': 'application/json', 'telnyx-timestamp': timestamp, 'telnyx-signature-ed25519': signature } };
}

async function post(route: 'telnyx' | 'lob', request: SignedRequest): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${receiver.port}/webhooks/${route}`, { method: 'POST', headers: request.headers, body: request.body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** One fax subject as its cohort shows them; the cohort is found from the subject id, as the CLI finds it. */
async function subject(subjectId: string): Promise<SubjectView> {
  const view = await findSubjectCohort(engine.client, faxBreachId, subjectId);
  if (!view) throw new Error(`no cohort of breach ${faxBreachId} knows subject ${subjectId}`);
  return view;
}

const waitingForFax = (view: SubjectView) => view.state === 'awaiting-report' && view.channel === 'fax';

/** Waits until the subject's fax is sent and the cohort waits for its outcome. */
async function pendingFax(subjectId: keyof typeof FAX_SUBJECTS): Promise<ReceivedFax & { cohort: number }> {
  const view = await eventually(
    () => subject(`s.${subjectId}`),
    (v) => waitingForFax(v) && v.attempts.some((x) => x.channel === 'fax' && x.outcome === 'accepted'),
    60_000,
  );
  const fax = telnyx.faxes.find((f) => f.to === FAX_SUBJECTS[subjectId]);
  expect(fax).toBeDefined();
  expect(Buffer.from(fax!.clientState!, 'base64').toString('utf8')).toBe(noticeId({ breachId: faxBreachId, cohort: view.cohort, subjectId: `s.${subjectId}` }));
  return { ...fax!, cohort: view.cohort };
}

const outcomes = async (subjectId: string) => (await subject(subjectId)).attempts.map((a) => [a.channel, a.outcome, a.reason]);

describe('Telnyx fax events', () => {
  it('a signed fax.failed moves the subject on to postal, with the failure reason as evidence', async () => {
    const fax = await pendingFax('fax');
    const reply = await post('telnyx', signTelnyx(failedEvent(fax)));
    expect(reply).toEqual({ status: 200, body: { delivered: true } });

    const { attempts } = await eventually(
      () => subject('s.fax'),
      (v) => v.attempts.some((attempt) => attempt.channel === 'postal'),
      60_000,
    );
    expect(attempts.map((a) => [a.channel, a.outcome])).toEqual([
      ['email', 'skipped'],
      ['fax', 'accepted'],
      ['fax', 'failed'],
      ['postal', 'accepted'],
    ]);
    expect(attempts[1]).toMatchObject({ providerId: fax.id });
    expect(attempts[2]).toMatchObject({ reason: 'receiver_no_answer (telnyx)' });
    expect(logLines).toContain(`webhook telnyx fax.failed breach=${faxBreachId} subject=s.fax -> 200`);
    expectNoContactData(logLines);
  });

  it('refuses a forged signature with 401 and changes nothing', async () => {
    const fax = await pendingFax('forged');
    const before = await outcomes('s.forged');

    const otherKey = generateKeyPairSync('ed25519').privateKey;
    expect((await post('telnyx', signTelnyx(failedEvent(fax), { key: otherKey }))).status).toBe(401);
    // A genuine signature over a different body is just as forged.
    const genuine = signTelnyx(failedEvent(fax));
    expect((await post('telnyx', { ...genuine, body: genuine.body.replace('receiver_no_answer', 'user_busy') })).status).toBe(401);
    expect((await post('telnyx', { body: genuine.body, headers: { 'content-type': 'application/json' } })).status).toBe(401);

    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await outcomes('s.forged')).toEqual(before);
    expect(waitingForFax(await subject('s.forged'))).toBe(true);
  });

  it('refuses a correctly signed event whose timestamp is more than 5 minutes old or ahead with 401', async () => {
    const fax = await pendingFax('stale');
    const before = await outcomes('s.stale');

    const stale = await post('telnyx', signTelnyx(failedEvent(fax), { at: new Date(Date.now() - 6 * 60_000) }));
    expect(stale.status).toBe(401);
    expect(stale.body.error).toMatch(/timestamp/);
    const future = await post('telnyx', signTelnyx(failedEvent(fax), { at: new Date(Date.now() + 6 * 60_000) }));
    expect(future.status).toBe(401);

    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await outcomes('s.stale')).toEqual(before);
  });

  it('answers a correctly signed body that is not JSON, or not an event, with 400', async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    for (const body of ['{"data": {', 'null', '[1, 2]', JSON.stringify({ data: { id: 42 } })]) {
      const signature = sign(null, Buffer.from(`${timestamp}|${body}`, 'utf8'), telnyxKeys.privateKey).toString('base64');
      const answer = await post('telnyx', { body, headers: { 'content-type': 'application/json', 'telnyx-timestamp': timestamp, 'telnyx-signature-ed25519': signature } });
      expect(answer.status).toBe(400);
    }
    for (const body of ['{"id": ', 'true', JSON.stringify({ id: 'evt_1', event_type: 7 })]) {
      const at = String(Date.now());
      const signature = createHmac('sha256', lobSecret).update(`${at}.${body}`).digest('hex');
      const answer = await post('lob', { body, headers: { 'content-type': 'application/json', 'lob-signature': signature, 'lob-signature-timestamp': at } });
      expect(answer.status).toBe(400);
    }
  });

  it('answers a replayed event with 409', async () => {
    // s.replay is the fourth subject: the only one in the second cohort.
    const fax = await pendingFax('replay');
    expect(fax.cohort).toBe(1);
    const request = signTelnyx(failedEvent(fax));
    expect((await post('telnyx', request)).status).toBe(200);
    const replayed = await post('telnyx', request);
    expect(replayed.status).toBe(409);
    expect(replayed.body.error).toBeDefined();
  });

  it('answers 404 when no cohort workflow matches the correlation id, and ignores a subject its cohort does not know', async () => {
    const fax = (await eventually(async () => telnyx.faxes[0], (f) => f !== undefined, 60_000))!;
    const unknown = { ...fax, clientState: faxClientState({ breachId: faxBreachId, cohort: 99, subjectId: 's.nobody' }) };
    const reply = await post('telnyx', signTelnyx(failedEvent(unknown)));
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ error: expect.stringContaining('no breach cohort') });

    const stranger = { ...fax, clientState: faxClientState({ breachId: faxBreachId, cohort: 0, subjectId: 's.nobody' }) };
    expect(await post('telnyx', signTelnyx(failedEvent(stranger)))).toEqual({ status: 200, body: { ignored: "subject 's.nobody' is not in this cohort" } });
  });

  it('acknowledges fax.delivered without acting, and a fax.failed the workflow no longer waits for with 200 ignored', async () => {
    const fax = telnyx.faxes.find((f) => f.to === FAX_SUBJECTS.fax)!;
    expect(await post('telnyx', signTelnyx(faxEvent('fax.delivered', fax)))).toEqual({ status: 200, body: { ignored: 'no action on fax.delivered' } });
    // s.fax has moved on to postal (first test): the cohort's validator refuses the report.
    const late = await post('telnyx', signTelnyx(failedEvent(fax)));
    expect(late.status).toBe(200);
    expect(late.body.ignored).toEqual(expect.any(String));
  });
});

// --- Lob ----------------------------------------------------------------------------------------

/** A Lob event object: `{ id: evt_…, body: <letter>, reference_id, event_type: { id, … }, object: 'event' }`. */
function letterEvent(eventType: string, letter: CreatedLetter) {
  return {
    id: `evt_${randomBytes(12).toString('hex')}`,
    body: {
      id: letter.id,
      description: null,
      metadata: letter.metadata,
      to: letter.to,
      from: letter.from,
      color: false,
      double_sided: true,
      address_placement: letter.addressPlacement,
      mail_type: letter.mailType,
      use_type: 'operational',
      expected_delivery_date: letter.expectedDeliveryDate,
      date_created: letter.createdAt,
      date_modified: new Date().toISOString(),
      send_date: letter.createdAt,
      object: 'letter',
    },
    reference_id: letter.id,
    event_type: { id: eventType, enabled_for_test: true, resource: 'letters', object: 'event_type' },
    date_created: new Date().toISOString(),
    object: 'event',
  };
}

/** Signs like Lob: hex HMAC-SHA256 of `${timestamp}.${body}`, the timestamp in milliseconds. */
function signLob(event: unknown, secret = lobSecret, at = new Date()): SignedRequest {
  const body = JSON.stringify(event);
  const timestamp = String(at.getTime());
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return { body, headers: { 'content-type': 'application/json', 'lob-signature': signature, 'lob-signature-timestamp': timestamp } };
}

describe('Lob letter events', () => {
  it('a signed letter.returned_to_sender makes the subject unreachable; a forged one is refused', async () => {
    const breach = engine.client.workflow.getHandle(breachWorkflowId(postBreachId));
    const before = await eventually(() => breach.query(statusQuery), (s) => s.individuals.notifiedByPostal === 1, 60_000);
    expect(before.individuals.unreachable).toBe(0);
    const letter = lob.letters.find((l) => l.metadata.notice_id === noticeId({ breachId: postBreachId, cohort: 0, subjectId: 's.post' }));
    expect(letter?.metadata.breach_id).toBe(postBreachId);

    expect((await post('lob', signLob(letterEvent('letter.returned_to_sender', letter!), 'not-the-secret'))).status).toBe(401);
    const genuine = signLob(letterEvent('letter.returned_to_sender', letter!));
    expect((await post('lob', { ...genuine, headers: { ...genuine.headers, 'lob-signature-timestamp': String(Date.now() + 1) } })).status).toBe(401);
    const stale = await post('lob', signLob(letterEvent('letter.returned_to_sender', letter!), lobSecret, new Date(Date.now() - 6 * 60_000)));
    expect(stale.status).toBe(401);
    expect(stale.body.error).toMatch(/timestamp/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await breach.query(statusQuery)).individuals).toEqual(before.individuals);

    expect(await post('lob', signLob(letterEvent('letter.in_transit', letter!)))).toEqual({ status: 200, body: { ignored: 'no action on letter.in_transit' } });
    expect(await post('lob', genuine)).toEqual({ status: 200, body: { delivered: true } });

    // The cohort tells the breach with a signal, which the breach takes in its own time.
    const after = await eventually(() => breach.query(statusQuery), (s) => s.individuals.unreachable === 1);
    expect(after.individuals).toEqual({ ...before.individuals, notifiedByPostal: 0, unreachable: 1 });
    expect(after.unreachableSubjects).toMatchObject([{ subjectId: 's.post', reasons: [expect.stringContaining('returned to sender')] }]);
    expect(logLines).toContain(`webhook lob letter.returned_to_sender breach=${postBreachId} subject=s.post -> 200`);
    expectNoContactData(logLines);
    await expectHistoryReplays(engine.client.workflow.getHandle(cohortWorkflowId(postBreachId, 0)), 'cohort-returned-letter');
  });

  it('answers 404 for a returned letter of an unknown breach, 422 for metadata naming another breach', async () => {
    const letter = lob.letters.find((l) => l.metadata.breach_id === postBreachId)!;
    const gone = `${postBreachId}-gone`;
    const unknown = { ...letter, metadata: { notice_id: noticeId({ breachId: gone, cohort: 0, subjectId: 's.post' }), breach_id: gone } };
    const reply = await post('lob', signLob(letterEvent('letter.returned_to_sender', unknown)));
    expect(reply.status).toBe(404);
    const mismatched = { ...letter, metadata: { ...letter.metadata, breach_id: gone } };
    expect((await post('lob', signLob(letterEvent('letter.returned_to_sender', mismatched)))).status).toBe(422);
  });

  it('ignores a returned letter once the breach is closed', async () => {
    const letter = lob.letters.find((l) => l.metadata.breach_id === postBreachId)!;
    await engine.client.workflow.getHandle(breachWorkflowId(postBreachId)).executeUpdate(closeUpdate, { args: [{ by: 'Ines Responder' }] });
    const cohort = engine.client.workflow.getHandle(cohortWorkflowId(postBreachId, 0));
    await eventually(() => cohort.describe(), (d) => d.status.name === 'COMPLETED');
    expect(await post('lob', signLob(letterEvent('letter.returned_to_sender', letter)))).toEqual({ status: 200, body: { ignored: 'the breach is closed' } });
  });
});

/** The receiver's log names event types, ids and status codes, never a number, name or address. */
function expectNoContactData(lines: string[]): void {
  const all = lines.join('\n');
  for (const personal of [...Object.values(FAX_SUBJECTS), '210 King St', '94107', 'Fay ', 'Pat Post']) expect(all).not.toContain(personal);
}
