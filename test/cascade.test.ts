/**
 * Notifying individuals end to end on the dev server: the roster is read in pages, one
 * NotifyIndividual per subject runs the email → fax → postal cascade through the real SDKs
 * (nodemailer, telnyx, Lob) against a real SMTP server and the local vendor sandboxes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjectWorkflowId } from '../domain/cascade';
import type { BreachStatus } from '../domain/status';
import { startLobSandbox, type LobSandbox } from '../sandbox/lob-sandbox';
import { startTelnyxSandbox, type TelnyxSandbox } from '../sandbox/telnyx-sandbox';
import { assessUpdate, placeHoldUpdate, releaseHoldUpdate, statusQuery } from '../workflows/breach';
import { attemptsQuery, reportDeliveryUpdate } from '../workflows/notify-individual';
import { ROSTER_HEADER, sandboxChannels, sandboxEnv, writeRoster } from './support/cascade';
import { breachFacts, eventually, expectHistoryReplays, startBreach, startDevEngine, type DevEngine } from './support/engine';

const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-cascade-'));
const run = Date.now();
let telnyx: TelnyxSandbox;
let lob: LobSandbox;
let engine: DevEngine;


const roster = (name: string, rows: string[]) => writeRoster(dir, name, rows);

const high = { risk: 'high' as const, rationale: 'Bank details exposed', by: 'Ines Responder' };

beforeAll(async () => {
  telnyx = await startTelnyxSandbox({ stepMs: 50 });
  lob = await startLobSandbox();
  engine = await startDevEngine('cascade', {
    env: sandboxEnv(telnyx, lob),
    configure(config) {
      config.individuals = { ...config.individuals, channels: ['email', 'fax', 'postal'], bounceWindow: '4 seconds', faxPollInterval: '200ms', window: 2, pageSize: 2 };
      config.channels = sandboxChannels(telnyx, lob);
    },
  });
});

afterAll(async () => {
  await engine?.stop();
  await telnyx?.stop();
  await lob?.stop();
});

describe('the email → fax → postal cascade', () => {
  it('fails the email channel at once on SMTP 550, and retries a 451 until the mail is accepted', async () => {
    const breachId = `cascade-smtp-${run}`;
    const people = await roster('smtp', ['rejected,Rae Rejected,rae@example.org,+13125550140,,,,,,,en', 'deferred,Dee Deferred,dee@example.org,,,,,,,,en']);
    engine.sink.script.refusals.push({ code: 550, when: (to) => to.includes('rae@example.org') });
    engine.sink.script.refusals.push({ code: 451, when: (to) => to.includes('dee@example.org'), times: 1 });
    const handle = await startBreach(engine.client, engine.config, breachFacts(breachId), undefined, people);
    await handle.executeUpdate(assessUpdate, { args: [high] });
    const rae = engine.client.workflow.getHandle(subjectWorkflowId(breachId, 'rejected'));
    const raeAttempts = await eventually(() => rae.query(attemptsQuery), (a) => a.attempts.some((x) => x.channel === 'fax'), 30_000);
    expect(raeAttempts.attempts[0]).toMatchObject({ channel: 'email', outcome: 'failed', reason: 'SMTP server refused the message permanently (reply 550)' });
    // One refusal, no retries: the 550 is final.
    const dee = engine.client.workflow.getHandle(subjectWorkflowId(breachId, 'deferred'));
    const deeAttempts = await eventually(() => dee.query(attemptsQuery), (a) => a.attempts.length > 0, 30_000);
    expect(deeAttempts.attempts[0]).toMatchObject({ channel: 'email', outcome: 'accepted', smtpReply: expect.stringMatching(/^250/) });
    expect(engine.sink.messages.filter((m) => m.to.includes('dee@example.org'))).toHaveLength(1);
    const history = await rae.fetchHistory();
    const emailAttempts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
    expect(emailAttempts[0]).toBe(1);
    engine.sink.script.refusals.length = 0;
    await eventually(() => handle.query(statusQuery), (s) => s.individuals.notifiedByEmail === 1 && s.individuals.notifiedByFax === 1, 30_000);
  });

  it('stops the fan-out with a clear reason when the roster changed after the start', async () => {
    const breachId = `cascade-changed-${run}`;
    const people = await roster('changed', ['ch-1,Ada,ada@example.org,,,,,,,,en']);
    const handle = await startBreach(engine.client, engine.config, breachFacts(breachId), undefined, people);
    writeFileSync(people.ref.path, `${ROSTER_HEADER}\nch-1,Eve,eve@evil.example,,,,,,,,en\n`);
    await handle.executeUpdate(assessUpdate, { args: [high] });
    const status = await eventually(() => handle.query(statusQuery), (s) => s.fanOutError !== undefined);
    expect(status.fanOutError).toContain('the roster changed after the breach started');
    expect(engine.sink.messages.some((m) => m.to.includes('eve@evil.example'))).toBe(false);
  });

  it('notifies by email, by fax after a bounce, and by letter after a failed fax, with evidence of each attempt', async () => {
    const breachId = `cascade-${run}`;
    telnyx.script.failNumbers.add('+13125550177');
    const people = await roster('three', [
      's-email,Ada Email,ada@example.org,,,,,,,,en',
      's-bounce,Ben Bounce,ben@example.org,+13125550123,,,,,,,en',
      's-postal,Cy Postal,,+13125550177,210 King St,,San Francisco,CA,94107,US,en',
    ]);
    const handle = await startBreach(engine.client, engine.config, breachFacts(breachId), undefined, people);
    await handle.executeUpdate(assessUpdate, { args: [high] });

    // Ben's email is accepted; a bounce report arrives within the bounce window.
    const ben = engine.client.workflow.getHandle(subjectWorkflowId(breachId, 's-bounce'));
    await eventually(() => ben.query(attemptsQuery), (a) => a.waitingFor === 'email');
    await ben.executeUpdate(reportDeliveryUpdate, { args: [{ channel: 'email', reason: '550 5.1.1 mailbox unknown' }] });

    const status: BreachStatus = await eventually(
      () => handle.query(statusQuery),
      (s) => s.individuals.pending + s.individuals.inProgress === 0,
      60_000,
    );
    expect(status.individuals).toEqual({ pending: 0, inProgress: 0, notifiedByEmail: 1, notifiedByFax: 1, notifiedByPostal: 1, unreachable: 0 });
    expect(status.phase).toBe('individuals-notified');

    // The mail went to the right people, one recipient each, with the notice content.
    const notices = engine.sink.messages.filter((m) => m.subject.includes(breachId) && m.subject.startsWith('Important'));
    expect(notices.map((m) => m.to).sort()).toEqual([['ada@example.org'], ['ben@example.org']]);
    const ada = notices.find((m) => m.to[0] === 'ada@example.org')!;
    expect(ada.messageId).toBe(`<notice.${breachId}.s-email@company.test>`);
    expect(ada.noticeId).toBe(`${breachId}.s-email`);
    expect(ada.text).toContain('Dear Ada Email');
    expect(ada.text).toContain(breachFacts(breachId).measures);

    // The fax sandbox received Ben's fax and Cy's (which failed); Lob one letter, for Cy.
    const faxes = telnyx.faxes.filter((f) => Buffer.from(f.clientState ?? '', 'base64').toString().startsWith(breachId));
    expect(faxes.map((f) => f.to).sort()).toEqual(['+13125550123', '+13125550177']);
    const letters = lob.letters.filter((l) => l.idempotencyKey?.startsWith(breachId));
    expect(letters).toHaveLength(1);
    expect(letters[0]!.to).toMatchObject({ address_line1: '210 King St', address_zip: '94107' });
    expect(letters[0]!.useType).toBe('operational');
    expect(letters[0]!.file).toContain('Dear Cy Postal');

    const attempts = async (subjectId: string) =>
      (await engine.client.workflow.getHandle(subjectWorkflowId(breachId, subjectId)).query(attemptsQuery)).attempts.map((a) => [a.channel, a.outcome]);
    expect(await attempts('s-email')).toEqual([['email', 'accepted']]);
    expect(await attempts('s-bounce')).toEqual([
      ['email', 'accepted'],
      ['email', 'bounced'],
      ['fax', 'accepted'],
      ['fax', 'delivered'],
    ]);
    expect(await attempts('s-postal')).toEqual([
      ['email', 'skipped'],
      ['fax', 'accepted'],
      ['fax', 'failed'],
      ['postal', 'accepted'],
    ]);
    const evidence = (await engine.client.workflow.getHandle(subjectWorkflowId(breachId, 's-postal')).query(attemptsQuery)).attempts;
    expect(evidence.find((a) => a.channel === 'postal')).toMatchObject({ providerId: letters[0]!.id, contentSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    await expectHistoryReplays(ben, 'notify-individual-bounce-then-fax');
    await expectHistoryReplays(handle, 'fan-out-three-subjects');
  });

  it('contacts nobody while a hold placed during the fan-out is active, and everyone once it is released', async () => {
    const breachId = `cascade-hold-${run}`;
    const rows = Array.from({ length: 6 }, (_, i) => `h-${i},Person ${i},p${i}@example.org,,,,,,,,en`);
    const handle = await startBreach(engine.client, engine.config, breachFacts(breachId), undefined, await roster('hold', rows));
    await handle.executeUpdate(assessUpdate, { args: [high] });
    await eventually(() => handle.query(statusQuery), (s) => s.individuals.inProgress > 0);
    await handle.executeUpdate(placeHoldUpdate, { args: [{ agency: 'FBI', caseRef: 'FBI-9', reason: 'Covert', by: 'Lena Legal' }] });

    const sentBefore = () => engine.sink.messages.filter((m) => m.subject.includes(breachId) && m.subject.startsWith('Important')).length;
    // A send already under way when the hold was placed may still complete; nothing after it may.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const atHold = sentBefore();
    const heldStatus = await handle.query(statusQuery);
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(sentBefore()).toBe(atHold);
    const stillHeld = await handle.query(statusQuery);
    expect(stillHeld.individuals.pending).toBe(heldStatus.individuals.pending);
    expect(stillHeld.individuals.pending).toBeGreaterThan(0);

    await handle.executeUpdate(releaseHoldUpdate, { args: [{ holdId: 'hold-1', reason: 'Cleared', by: 'Lena Legal' }] });
    const done = await eventually(() => handle.query(statusQuery), (s) => s.individuals.notifiedByEmail === 6, 60_000);
    expect(done.individuals.unreachable).toBe(0);
    expect(sentBefore()).toBe(6);
  });
});
