/**
 * Notifying individuals end to end on the dev server: the roster is planned into cohorts, each
 * NotifyCohort runs the email → fax → postal cascade in batches through the real SDKs
 * (nodemailer, telnyx, Lob) against a real SMTP server and the local vendor sandboxes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cohortWorkflowId, faxClientState, noticeMessageId } from '../domain/ids';
import type { BreachStatus } from '../domain/status';
import { startLobSandbox, type LobSandbox } from '../sandbox/lob-sandbox';
import { startTelnyxSandbox, type TelnyxSandbox } from '../sandbox/telnyx-sandbox';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { buildAudit } from '../audit/build-audit';
import { assessUpdate, closeUpdate, noticeQuery, placeHoldUpdate, releaseHoldUpdate, statusQuery } from '../workflows/messages/breach';
import { reportDeliveryUpdate, subjectQuery } from '../workflows/messages/cohort';
import { ROSTER_HEADER, sandboxChannels, sandboxEnv, writeRoster } from './support/cascade';
import { HEARTBEAT_EVERY_MS } from '../activities/batch-sender';
import { HoldWatch } from '../activities/hold-watch';
import { breachFacts, eventually, expectHistoryReplays, startBreach, startDevEngine, type DevEngine } from './support/engine';

const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-cascade-'));
const run = Date.now();
const BOUNCE_WINDOW_MS = 4000;
const FALLBACK_DELAY_MS = 300;
let telnyx: TelnyxSandbox;
let lob: LobSandbox;
let engine: DevEngine;

const roster = (name: string, rows: string[]) => writeRoster(dir, name, rows);
const high = { risk: 'high' as const, rationale: 'Bank details exposed', by: 'Ines Responder' };
const notices = (breachId: string) => engine.sink.messages.filter((m) => m.messageId.startsWith(`<notice.${breachId}~`));

beforeAll(async () => {
  telnyx = await startTelnyxSandbox({ stepMs: 50 });
  lob = await startLobSandbox();
  engine = await startDevEngine('cascade', {
    env: sandboxEnv(telnyx, lob),
    configure(config) {
      config.individuals = {
        ...config.individuals,
        channels: ['email', 'fax', 'postal'],
        bounceWindow: `${BOUNCE_WINDOW_MS} ms`,
        faxPollInterval: '200ms',
        fallbackDelay: `${FALLBACK_DELAY_MS} ms`,
        cohortSize: 3,
        batchSize: 2,
        sendingCohorts: 2,
      };
      config.channels = sandboxChannels(telnyx, lob);
      config.controller = { name: 'Acme Payroll Ltd', address: '1 Quay Street, Dublin 2, Ireland', dpo: 'Dana DPO, dpo@company.test', replyTo: 'privacy@company.test', timeZone: 'Europe/Dublin' };
    },
  });
});

afterAll(async () => {
  await engine?.stop();
  await telnyx?.stop();
  await lob?.stop();
});

const subject = (breachId: string, cohort: number, subjectId: string) => engine.client.workflow.getHandle(cohortWorkflowId(breachId, cohort)).query(subjectQuery, subjectId);

describe('the email → fax → postal cascade in cohorts', () => {
  it('fails the email channel at once on SMTP 550, and retries a 451 until the mail is accepted', async () => {
    const breachId = `cascade-smtp-${run}`;
    const people = await roster('smtp', ['rejected,Rae Rejected,rae@example.org,+13125550140,,,,,,,en', 'deferred,Dee Deferred,dee@example.org,,,,,,,,en']);
    engine.sink.script.refusals.push({ code: 550, when: (to) => to.includes('rae@example.org') });
    engine.sink.script.refusals.push({ code: 451, when: (to) => to.includes('dee@example.org'), times: 1 });
    const handle = await startBreach(engine.client, engine.config, breachFacts(breachId), undefined, people);
    await handle.executeUpdate(assessUpdate, { args: [high] });
    const rae = await eventually(() => subject(breachId, 0, 'rejected'), (v) => v?.attempts.some((x) => x.channel === 'fax') ?? false, 30_000);
    expect(rae!.attempts[0]).toMatchObject({ channel: 'email', outcome: 'failed', reason: 'SMTP server refused the message permanently (reply 550)' });
    const dee = await eventually(() => subject(breachId, 0, 'deferred'), (v) => (v?.attempts.length ?? 0) > 0, 30_000);
    expect(dee!.attempts[0]).toMatchObject({ channel: 'email', outcome: 'accepted', smtpReply: expect.stringMatching(/^250/) });
    expect(engine.sink.messages.filter((m) => m.to.includes('dee@example.org'))).toHaveLength(1);
    engine.sink.script.refusals.length = 0;
    await eventually(() => handle.query(statusQuery), (s) => s.individuals.notifiedByEmail === 1 && s.individuals.notifiedByFax === 1, 30_000);
  });

  it('stops the fan-out with a clear reason when the roster changed after the start, and closes only once that is accepted', async () => {
    const breachId = `cascade-changed-${run}`;
    const people = await roster('changed', ['ch-1,Ada,ada@example.org,,,,,,,,en']);
    const handle = await startBreach(engine.client, engine.config, breachFacts(breachId), undefined, people);
    writeFileSync(people.ref.path, `${ROSTER_HEADER}\nch-1,Eve,eve@evil.example,,,,,,,,en\n`);
    await handle.executeUpdate(assessUpdate, { args: [high] });
    const status = await eventually(() => handle.query(statusQuery), (s) => s.fanOutError !== undefined);
    expect(status.fanOutError).toContain('the roster changed after the breach started');
    expect(engine.sink.messages.some((m) => m.to.includes('eve@evil.example'))).toBe(false);
    const stopped = await eventually(() => handle.query(statusQuery), (s) => s.phase === 'notification-stopped');
    expect(stopped.individuals.notifiedByEmail).toBe(0);

    // Nobody was told: closing needs someone to accept that, with a reason.
    const refused = await handle.executeUpdate(closeUpdate, { args: [{ by: 'Ines Responder' }] }).catch((err: unknown) => err as WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause?.message).toContain('notifying individuals stopped (');
    const summary = await handle.executeUpdate(closeUpdate, { args: [{ by: 'Ines Responder', incompleteReason: 'Roster replaced by mistake; a new breach notifies them' }] });
    expect(summary.phase).toBe('closed');
    const audit = (await buildAudit(engine.client, breachId))!;
    expect(audit.entries.find((e) => e.kind === 'closed')?.summary).toBe('breach closed, accepting that individuals were not all notified: Roster replaced by mistake; a new breach notifies them');
    expect(audit.findings).toContainEqual({
      code: 'notification-stopped',
      detail: expect.stringMatching(/^notifying individuals stopped: the roster changed after the breach started.*; the breach was closed accepting it: Roster replaced by mistake/),
    });
  });

  it('notifies by email, by fax after a bounce, and by letter after a failed fax, with evidence of each attempt', async () => {
    const breachId = `cascade-${run}`;
    telnyx.script.failNumbers.add('+13125550177');
    const people = await roster('three', [
      's-email,Ada Email,ada@example.org,,,,,,,,en',
      's-bounce,Ben Bounce,ben@example.org,+13125550123,,,,,,,en',
      's-postal,Cy Postal,,+13125550177,210 King St,,San Francisco,CA,94107,US,en',
    ]);
    const facts = breachFacts(breachId, { occurredFrom: '2026-10-30T22:30:00Z', occurredUntil: '2026-10-31T08:00:00Z' });
    const handle = await startBreach(engine.client, engine.config, facts, undefined, people);
    await handle.executeUpdate(assessUpdate, { args: [high] });

    // Ben's email is accepted; a bounce report arrives within the bounce window.
    const cohort = engine.client.workflow.getHandle(cohortWorkflowId(breachId, 0));
    await eventually(() => cohort.query(subjectQuery, 's-bounce'), (v) => v?.state === 'awaiting-report' && v.channel === 'email');
    await cohort.executeUpdate(reportDeliveryUpdate, { args: [{ subjectId: 's-bounce', channel: 'email', reason: '550 5.1.1 mailbox unknown', source: 'test' }] });

    const status: BreachStatus = await eventually(() => handle.query(statusQuery), (s) => s.phase === 'individuals-notified', 60_000);
    expect(status.individuals).toEqual({ pending: 0, inProgress: 0, sending: 0, awaitingReports: 0, notifiedByEmail: 1, notifiedByFax: 1, notifiedByPostal: 1, unreachable: 0 });

    // The mail went to the right people, one recipient each, with the notice content.
    const mails = notices(breachId);
    expect(mails.map((m) => m.to).sort()).toEqual([['ada@example.org'], ['ben@example.org']]);
    const ada = mails.find((m) => m.to[0] === 'ada@example.org')!;
    expect(ada.messageId).toBe(noticeMessageId({ breachId, cohort: 0, subjectId: 's-email' }, 'company.test'));
    expect(ada.noticeId).toBe(`${breachId}~0~s-email`);
    expect(ada.text).toContain('Dear Ada Email');
    expect(ada.text).not.toContain('We delayed this notice');
    expect((await handle.query(noticeQuery)).lawEnforcementDelay).toBeUndefined();
    expect(ada.text).toContain(breachFacts(breachId).measures);
    // The notice names the company, comes from it, and answers go to its privacy mailbox.
    expect(ada).toMatchObject({ from: '"Acme Payroll Ltd" <engine@company.test>', replyTo: 'privacy@company.test', subject: 'Notice of Data Breach from Acme Payroll Ltd' });
    // Dates in the company's zone: the breach period, when the company learned of it, and the notice's own date.
    const day = (iso: string) => new Intl.DateTimeFormat('en', { dateStyle: 'long', timeZone: 'Europe/Dublin' }).format(new Date(iso));
    for (const element of [
      `${day(new Date().toISOString())}\n\nDear Ada Email`,
      `The breach began on ${day(facts.occurredFrom!)} and ended on ${day(facts.occurredUntil!)}. We learned of it on ${day(facts.awareAt)}.`,
      'a personal data breach at Acme Payroll Ltd',
      'What information was involved\nnames, bank account numbers, salaries',
      'Data protection officer: Dana DPO, dpo@company.test',
      'You have the right to lodge a complaint with the supervisory authority, Test Authority.',
      'Yours sincerely,\nAcme Payroll Ltd, 1 Quay Street, Dublin 2, Ireland',
    ]) {
      expect(ada.text).toContain(element);
    }

    // The fax sandbox received Ben's fax and Cy's (which failed); Lob one letter, for Cy.
    const faxes = telnyx.faxes.filter((f) => [faxClientState({ breachId, cohort: 0, subjectId: 's-bounce' }), faxClientState({ breachId, cohort: 0, subjectId: 's-postal' })].includes(f.clientState ?? ''));
    expect(faxes.map((f) => f.to).sort()).toEqual(['+13125550123', '+13125550177']);
    const letters = lob.letters.filter((l) => l.idempotencyKey?.startsWith(`${breachId}~`));
    expect(letters).toHaveLength(1);
    expect(letters[0]!.to).toMatchObject({ address_line1: '210 King St', address_zip: '94107' });
    expect(letters[0]!.useType).toBe('operational');
    expect(letters[0]!.file).toContain('Dear Cy Postal');
    // A letter, not a web page: page size and margins, the company's letterhead, a title, a signature.
    for (const part of ['@page { size: letter; margin: 1in; }', '<div class="letterhead"><strong style="font-size: 13pt;">Acme Payroll Ltd</strong><br>1 Quay Street, Dublin 2, Ireland</div>', '<h1>Notice of a personal data breach</h1>', `<p class="date">${day(new Date().toISOString())}</p>`, '<p class="signature">Yours sincerely,<br><br>Dana DPO, dpo@company.test<br>Acme Payroll Ltd</p>']) {
      expect(letters[0]!.file).toContain(part);
    }

    // The delivered cohort keeps only outcomes; the attempts are the history's (the audit reads them).
    expect(await cohort.query(subjectQuery, 's-bounce')).toMatchObject({ state: 'notified-fax' });
    expect(await cohort.query(subjectQuery, 's-postal')).toMatchObject({ state: 'notified-postal' });
    await expectHistoryReplays(handle, 'cohort-fan-out-three-subjects');
  });

  it('moves a person whose email bounces mid-window to fax within the fallback delay, not after the window', async () => {
    const breachId = `cascade-midwindow-${run}`;
    const handle = await startBreach(engine.client, engine.config, breachFacts(breachId), undefined, await roster('midwindow', ['mw-1,Mia Mid,mia@example.org,+13125550155,,,,,,,en']));
    await handle.executeUpdate(assessUpdate, { args: [high] });
    const cohort = engine.client.workflow.getHandle(cohortWorkflowId(breachId, 0));
    await eventually(() => cohort.query(subjectQuery, 'mw-1'), (v) => v?.state === 'awaiting-report');
    const reportedAt = Date.now();
    await cohort.executeUpdate(reportDeliveryUpdate, { args: [{ subjectId: 'mw-1', channel: 'email', reason: '550 5.1.1', source: 'test' }] });
    await eventually(async () => telnyx.faxes.filter((f) => f.clientState === faxClientState({ breachId, cohort: 0, subjectId: 'mw-1' })), (f) => f.length === 1, 10_000);
    // The fax went out well before the bounce window would have ended.
    expect(Date.now() - reportedAt).toBeLessThan(BOUNCE_WINDOW_MS);
    await expectHistoryReplays(cohort, 'cohort-bounce-then-fax');
  });

  it("gives a cohort's sending slot to the next once its last first notice has begun: a fax queue that does not move holds back nobody's email", async () => {
    const breachId = `cascade-fax-queue-${run}`;
    // Two cohorts send at once; the first two each have someone reachable only by fax.
    const people = await roster('fax-queue', [
      'fq-1,Fay Fax,,+13125550161,,,,,,,en',
      'fq-2,Sam Mail,sam@example.org,,,,,,,,en',
      'fq-3,Sue Mail,sue@example.org,,,,,,,,en',
      'fq-4,Fred Fax,,+13125550164,,,,,,,en',
      'fq-5,Tom Mail,tom@example.org,,,,,,,,en',
      'fq-6,Uma Mail,uma@example.org,,,,,,,,en',
      'fq-7,Eve Mail,eve@example.org,,,,,,,,en',
    ]);
    const faxStates = [faxClientState({ breachId, cohort: 0, subjectId: 'fq-1' }), faxClientState({ breachId, cohort: 1, subjectId: 'fq-4' })];
    const ours = () => telnyx.faxes.filter((f) => faxStates.includes(f.clientState ?? ''));
    const handle = await startBreach(engine.client, engine.config, breachFacts(breachId), undefined, people);
    const release = telnyx.script.holdCreates();
    try {
      await handle.executeUpdate(assessUpdate, { args: [high] });
      // The third cohort is emailed while the first two cohorts' faxes cannot be created.
      await eventually(async () => notices(breachId).flatMap((m) => m.to), (to) => to.includes('eve@example.org'), 20_000);
      expect(ours()).toHaveLength(0);
    } finally {
      release();
    }
    const status = await eventually(() => handle.query(statusQuery), (s) => s.phase === 'individuals-notified', 60_000);
    expect(status.individuals).toMatchObject({ notifiedByEmail: 5, notifiedByFax: 2, unreachable: 0 });
    expect(ours()).toHaveLength(2);
    // The run that sent, before the cohort continued as new with its outcomes.
    const workflowId = cohortWorkflowId(breachId, 0);
    const continued = async () => {
      for await (const execution of engine.client.workflow.list({ query: `WorkflowId = '${workflowId}' AND ExecutionStatus = 'ContinuedAsNew'` })) return execution.runId;
      return undefined;
    };
    const sendingRun = await eventually(continued, (runId) => runId !== undefined);
    await expectHistoryReplays(engine.client.workflow.getHandle(workflowId, sendingRun), 'cohort-slot-freed-while-fax-queued', sendingRun);
  });

  it('shows people notified by fax in the breach status while others still wait out a long bounce window', async () => {
    const waiting = await startDevEngine('cascade-report', {
      env: sandboxEnv(telnyx, lob),
      configure(config) {
        config.individuals = { ...config.individuals, channels: ['email', 'fax'], bounceWindow: '5 minutes', faxPollInterval: '200ms', cohortSize: 10, batchSize: 10 };
        config.channels = { fax: sandboxChannels(telnyx, lob).fax };
      },
    });
    try {
      const breachId = `cascade-report-${run}`;
      const people = await roster('report', ['r-email,Ria Email,ria@example.org,,,,,,,,en', 'r-fax,Rob Fax,,+13125550166,,,,,,,en']);
      const handle = await startBreach(waiting.client, waiting.config, breachFacts(breachId), undefined, people);
      await handle.executeUpdate(assessUpdate, { args: [high] });
      // The cohort changes stage only when everyone is final, five minutes from now; its counts reach the breach before that.
      const status = await eventually(() => handle.query(statusQuery), (s) => s.individuals.notifiedByFax === 1, 30_000);
      expect(status.individuals).toMatchObject({ inProgress: 1, notifiedByEmail: 0, notifiedByFax: 1 });
    } finally {
      await waiting.stop();
    }
  });

  it("lets a worker's batches see a hold within a read interval of its acceptance, long before their next heartbeat", async () => {
    const breachId = `cascade-watch-${run}`;
    const handle = await startBreach(engine.client, engine.config, breachFacts(breachId));
    const followed = await HoldWatch.ofBreaches(engine.client).follow(breachId);
    try {
      expect(followed.held()).toBe(false);
      await handle.executeUpdate(placeHoldUpdate, { args: [{ agency: 'FBI', caseRef: 'FBI-10', reason: 'Covert', by: 'Lena Legal' }] });
      const placedAt = Date.now();
      await eventually(async () => followed.held(), (held) => held, 5_000);
      // Batches heartbeat once a second; the hold reaches them through the watch well before that.
      expect(Date.now() - placedAt).toBeLessThan(HEARTBEAT_EVERY_MS / 2);
      await handle.executeUpdate(releaseHoldUpdate, { args: [{ holdId: 'hold-1', reason: 'Cleared', by: 'Lena Legal' }] });
      await eventually(async () => followed.held(), (held) => !held, 5_000);
    } finally {
      followed.unfollow();
    }
  });

  it('contacts nobody while a hold placed during the fan-out is active, and everyone once, after release', async () => {
    const breachId = `cascade-hold-${run}`;
    const rows = Array.from({ length: 12 }, (_, i) => `h-${i},Person ${i},p${i}@example.org,,,,,,,,en`);
    engine.sink.script.acceptDelayMs = 150;
    const handle = await startBreach(engine.client, engine.config, breachFacts(breachId), undefined, await roster('hold', rows));
    await handle.executeUpdate(assessUpdate, { args: [high] });
    await eventually(async () => notices(breachId).length, (n) => n > 0);
    const asked = Date.now();
    await handle.executeUpdate(placeHoldUpdate, { args: [{ agency: 'FBI', caseRef: 'FBI-9', reason: 'Covert', by: 'Lena Legal' }] });
    // The request completes once the sending cohort has stopped: no message begins after that,
    // and those begun while it travelled are at most one per pooled SMTP connection.
    const placedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const sent = notices(breachId);
    expect(sent.filter((m) => m.beganAt.getTime() > placedAt)).toEqual([]);
    expect(sent.filter((m) => m.beganAt.getTime() > asked).length).toBeLessThanOrEqual(engine.config.smtp.maxConnections);
    const heldStatus = await handle.query(statusQuery);
    expect(heldStatus.individuals.pending + heldStatus.individuals.inProgress).toBeGreaterThan(0);
    engine.sink.script.acceptDelayMs = 0;

    await handle.executeUpdate(releaseHoldUpdate, { args: [{ holdId: 'hold-1', reason: 'Cleared', by: 'Lena Legal' }] });
    await eventually(async () => notices(breachId).length, (n) => n === 12, 60_000);
    // Each person once: twelve distinct Message-IDs for twelve people.
    expect(new Set(notices(breachId).map((m) => m.messageId)).size).toBe(12);
    // Those told before the hold read no delay; those told after it read that law enforcement delayed their notice.
    const delayed = 'We delayed this notice at the request of law enforcement';
    expect(sent.every((m) => !m.text.includes(delayed))).toBe(true);
    const after = notices(breachId).filter((m) => !sent.some((s) => s.messageId === m.messageId));
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((m) => m.text.includes(delayed))).toBe(true);
    // `breach notice preview` reads the breach's notice: from now on it carries the sentence too.
    expect((await handle.query(noticeQuery)).lawEnforcementDelay).toBe(true);
    const done = await eventually(() => handle.query(statusQuery), (s) => s.individuals.notifiedByEmail === 12, 60_000);
    expect(done.individuals.unreachable).toBe(0);
    await expectHistoryReplays(handle, 'breach-hold-during-fan-out');
    // The run of the last cohort that sent its notices, batches delayed by the hold among them.
    const cohortId = cohortWorkflowId(breachId, 3);
    const runs: { runId: string; startTime: Date }[] = [];
    for await (const run of engine.client.workflow.list({ query: `WorkflowId = '${cohortId}'` })) runs.push(run);
    const sending = runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime())[0]!.runId;
    await expectHistoryReplays(engine.client.workflow.getHandle(cohortId, sending), 'cohort-delayed-by-hold', sending);
  });
});
