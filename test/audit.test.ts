/**
 * `breach audit`: the timeline of a scripted breach, rebuilt from Temporal's own history (the
 * breach's and its cohorts'), in every format; agreement with the official Temporal CLI; export
 * verification; every channel's evidence for one person.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { subHours } from 'date-fns/subHours';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { archivePath } from '../audit/archive';
import { buildAudit } from '../audit/build-audit';
import type { AuditExport } from '../audit/export-schema';
import { cascadePolicy } from '../config/load';
import { cohortOfWorkflowId, cohortWorkflowId, cohortWorkflowIdPrefix } from '../domain/ids';
import { breachNotice } from '../domain/notice';
import { temporalCliPath } from '../scripts/temporal-binaries';
import {
  assessUpdate,
  closeUpdate,
  cohortReportSignal,
  placeHoldUpdate,
  provideLateReasonUpdate,
  releaseHoldUpdate,
  statusQuery,
  supplementAuthorityReportUpdate,
} from '../workflows/messages/breach';
import { cohortStatusQuery, reportDeliveryUpdate, subjectQuery } from '../workflows/messages/cohort';
import { NotifyCohort } from '../workflows/notify-cohort';
import { startLobSandbox, type LobSandbox } from '../sandbox/lob-sandbox';
import { startTelnyxSandbox, type TelnyxSandbox } from '../sandbox/telnyx-sandbox';
import { ROSTER_HEADER, sandboxChannels, sandboxEnv, writeRoster } from './support/cascade';
import { breachFacts, eventually, expectHistoryReplays, startBreach, startDevEngine, type DevEngine } from './support/engine';

const root = path.resolve(__dirname, '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-audit-'));
const breachId = `audit-${Date.now()}`;
let engine: DevEngine;
let configFile: string;

function breach(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(path.join(root, 'bin', 'breach'), ['--config', configFile, ...args], { cwd: dir }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    ),
  );
}

beforeAll(async () => {
  engine = await startDevEngine('audit', {
    configure(config) {
      // Three subjects in two cohorts, both sending at once, one batch each.
      config.individuals = { ...config.individuals, channels: ['email'], bounceWindow: '3 seconds', cohortSize: 2, batchSize: 2, fallbackDelay: '200ms', sendingCohorts: 2 };
    },
  });
  configFile = path.join(dir, 'temporal.yaml');
  writeFileSync(configFile, stringify(engine.config));

  // The scripted breach: late from the start, two holds, a reason for the delay, a supplement,
  // three subjects in two cohorts, of whom one bounces.
  const people = await writeRoster(dir, 'roster', ['a-1,Ada,ada@example.org,,,,,,,,en', 'a-2,Ben,ben@example.org,,,,,,,,en', 'a-3,Cy,cy@example.org,,,,,,,,en']);
  const handle = await startBreach(engine.client, engine.config, breachFacts(breachId, { awareAt: subHours(new Date(), 80).toISOString() }), undefined, people);
  await handle.executeUpdate(placeHoldUpdate, { args: [{ agency: 'City Police', caseRef: 'CP-7', reason: 'Suspect at large', by: 'Lena Legal' }] });
  await handle.executeUpdate(placeHoldUpdate, { args: [{ agency: 'FBI', caseRef: 'FBI-22', reason: 'Covert operation', by: 'Sam Counsel' }] });
  // A refused request belongs to the record as much as a granted one.
  await expect(handle.executeUpdate(releaseHoldUpdate, { args: [{ holdId: 'hold-9', reason: 'Wrong case', by: 'Sam Counsel' }] })).rejects.toThrow();
  await handle.executeUpdate(assessUpdate, { args: [{ risk: 'high', rationale: 'Bank details', by: 'Ines Responder' }] });
  await handle.executeUpdate(provideLateReasonUpdate, { args: [{ reason: 'Found by a contractor on day four', by: 'Dana DPO' }] });
  await eventually(() => handle.query(statusQuery), (s) => s.authorityNotice !== undefined);
  await handle.executeUpdate(supplementAuthorityReportUpdate, { args: [{ information: 'Twelve more records', by: 'Dana DPO' }] });
  await handle.executeUpdate(releaseHoldUpdate, { args: [{ holdId: 'hold-1', reason: 'Arrest made', by: 'Lena Legal' }] });
  await handle.executeUpdate(releaseHoldUpdate, { args: [{ holdId: 'hold-2', reason: 'Operation over', by: 'Sam Counsel' }] });
  // Ben's email bounces inside its bounce window; his cohort takes the report.
  const cohort = engine.client.workflow.getHandle(cohortWorkflowId(breachId, 0));
  await eventually(() => cohort.query(subjectQuery, 'a-2'), (ben) => ben?.state === 'awaiting-report');
  await cohort.executeUpdate(reportDeliveryUpdate, { args: [{ subjectId: 'a-2', channel: 'email', reason: '550 mailbox unknown' }] });
  await eventually(() => handle.query(statusQuery), (s) => s.phase === 'individuals-notified', 60_000);
  await handle.executeUpdate(closeUpdate, { args: [{ by: 'Ines Responder' }] });
  await handle.result();
});

afterAll(async () => {
  await engine?.stop();
});

it('rebuilds the timeline in order, with actors and reasons, from the history', async () => {
  const result = await breach('audit', breachId, '--format', 'json');
  expect(result.stderr).toBe('');
  const report = JSON.parse(result.stdout) as AuditExport;
  const timeline = report.entries.map((e) => [e.kind, e.actor ?? '']);
  // Each subject's entry comes from their cohort's history; they are checked below.
  const bySubject = ['subject-notified', 'subject-unreachable'];
  expect(timeline.filter(([kind]) => kind !== 'escalation' && kind !== 'overdue' && !bySubject.includes(kind!))).toEqual([
    ['opened', 'Ines Responder'],
    ['hold-placed', 'Lena Legal'],
    ['hold-placed', 'Sam Counsel'],
    ['request-refused', 'Sam Counsel'],
    ['assessed', 'Ines Responder'],
    ['late-reason', 'Dana DPO'],
    ['authority-notified', ''],
    ['supplement', 'Dana DPO'],
    ['hold-released', 'Lena Legal'],
    ['hold-released', 'Sam Counsel'],
    ['fan-out-started', ''],
    ['closed', 'Ines Responder'],
    ['workflow-completed', ''],
    ['individual-totals', ''],
  ]);
  // Past its deadline from the start, the breach escalated at once.
  expect(report.entries.find((e) => e.kind === 'escalation')?.summary).toContain('responders reminded');
  const find = (kind: string) => report.entries.find((e) => e.kind === kind)!;
  expect(find('authority-notified').summary).toMatch(/by email, Message-ID <authority-report\..*LATE; reason: Found by a contractor on day four/);
  expect(find('hold-placed').summary).toBe('hold-1: City Police, case CP-7: Suspect at large');
  expect(find('hold-placed').identity).toBe('test audit');
  expect(find('request-refused').summary).toBe(`releaseHold refused: no hold 'hold-9' on this breach; asked: holdId="hold-9", reason="Wrong case"`);
  expect(find('request-refused').identity).toBe('test audit');
  expect(find('hold-released').summary).toMatch(/^hold-1: City Police, case CP-7, after \d+\.\d h: Arrest made$/);
  const subjects = report.entries.filter((e) => bySubject.includes(e.kind));
  expect(subjects.map((e) => e.summary).sort()).toEqual([
    'subject a-1 notified by email',
    'subject a-2 unreachable: email: 550 mailbox unknown',
    'subject a-3 notified by email',
  ]);
  const fanOutAt = find('fan-out-started').at;
  const closedAt = find('closed').at;
  for (const subject of subjects) expect(subject.at >= fanOutAt && subject.at <= closedAt, `${subject.summary} between fan-out and closure`).toBe(true);
  expect(find('individual-totals').summary).toBe('3 subjects started; notified by email 2, by fax 0, by post 0; unreachable 1');
  // The same facts as data, for tools that should not parse the words.
  expect(find('hold-placed').fields).toEqual({ holdId: 'hold-1', agency: 'City Police', caseRef: 'CP-7' });
  expect(find('authority-notified').fields).toMatchObject({ onTime: false, lateReason: 'Found by a contractor on day four', messageId: expect.stringMatching(/^<authority-report\./) });
  expect(subjects.map((e) => e.fields).sort((a, b) => a!.subjectId!.localeCompare(b!.subjectId!))).toEqual([
    { subjectId: 'a-1', cohort: 0, channel: 'email' },
    { subjectId: 'a-2', cohort: 0, reasons: ['email: 550 mailbox unknown'] },
    { subjectId: 'a-3', cohort: 1, channel: 'email' },
  ]);
  const rows = parseCsv((await breach('audit', breachId, '--format', 'csv')).stdout, { columns: true }) as Record<string, string>[];
  expect(rows.find((r) => r.kind === 'hold-placed')).toMatchObject({ holdId: 'hold-1', agency: 'City Police', caseRef: 'CP-7', subjectId: '' });
  expect(rows.find((r) => r.kind === 'subject-unreachable')).toMatchObject({ subjectId: 'a-2', cohort: '0', reasons: 'email: 550 mailbox unknown' });

  for (const format of ['table', 'csv', 'md']) {
    const text = (await breach('audit', breachId, '--format', format)).stdout;
    for (const expected of ['hold-1: City Police, case CP-7: Suspect at large', 'Found by a contractor on day four', 'Lena Legal', report.sha256]) {
      if (format === 'csv' && expected === report.sha256) continue;
      expect(text, `${format} contains ${expected}`).toContain(expected);
    }
  }
});

it('replays its history, the refused request included, against the current workflow code', async () => {
  await expectHistoryReplays(engine.client.workflow.getHandle(`breach-${breachId}`), 'audited-breach-with-refusal');
});

/** A workflow's history as the official Temporal CLI shows it. */
function shownHistory(workflowId: string, runId?: string) {
  const args = ['workflow', 'show', '--workflow-id', workflowId, ...(runId ? ['--run-id', runId] : []), '--address', engine.config.temporal.address, '--output', 'json'];
  return JSON.parse(execFileSync(temporalCliPath(), args).toString()) as {
    events: {
      eventId: string;
      eventType: string;
      workflowExecutionSignaledEventAttributes?: { signalName: string };
      workflowExecutionStartedEventAttributes?: { input: { payloads: { data: string }[] } };
    }[];
  };
}

it("agrees with the official Temporal CLI: every update in the breach's history is in the timeline, and each person's entry is their cohort's final word", async () => {
  const workflowId = `breach-${breachId}`;
  const shown = shownHistory(workflowId);
  const updateEventIds = shown.events.filter((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED').map((e) => e.eventId);
  const report = JSON.parse((await breach('audit', breachId, '--format', 'json')).stdout) as AuditExport;
  const fromUpdates = report.entries.filter((e) => ['hold-placed', 'hold-released', 'request-refused', 'assessed', 'late-reason', 'supplement', 'closed'].includes(e.kind));
  expect(fromUpdates.map((e) => e.eventId).sort()).toEqual(updateEventIds.sort());
  // The breach hears from its cohorts in counts, never person by person.
  const signals = shown.events.filter((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED');
  expect(signals.length).toBeGreaterThan(0);
  expect(new Set(signals.map((e) => e.workflowExecutionSignaledEventAttributes!.signalName))).toEqual(new Set([cohortReportSignal.name]));

  // Each person's entry points at the start of their cohort's delivered run, whose input holds their outcome.
  const cohortOfRun = new Map<string, string>();
  for await (const execution of engine.client.workflow.list({ query: `WorkflowId STARTS_WITH '${cohortWorkflowIdPrefix(breachId)}'` })) cohortOfRun.set(execution.runId, execution.workflowId);
  const subjects = report.entries.filter((e) => e.kind === 'subject-notified' || e.kind === 'subject-unreachable');
  const cohortOfSubject: Record<string, number> = {};
  for (const entry of subjects) {
    const subjectId = entry.summary.split(' ')[1]!;
    const cohortId = cohortOfRun.get(entry.runId)!;
    const started = shownHistory(cohortId, entry.runId).events.find((e) => e.eventId === entry.eventId)!;
    expect(started.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    const input = JSON.parse(Buffer.from(started.workflowExecutionStartedEventAttributes!.input.payloads[0]!.data, 'base64').toString()) as { delivered: { subjectId: string }[] };
    expect(input.delivered.map((o) => o.subjectId)).toContain(subjectId);
    cohortOfSubject[subjectId] = cohortOfWorkflowId(cohortId)!.cohort;
  }
  expect(cohortOfSubject).toEqual({ 'a-1': 0, 'a-2': 0, 'a-3': 1 });
  expect(report.entries.find((e) => e.kind === 'individual-totals')?.summary).toContain('3 subjects started');
  // Every other entry but the closing totals points at an event of the breach's history.
  const shownIds = new Set(shown.events.map((e) => e.eventId));
  const breachEntries = report.entries.filter((e) => e.eventId !== 'totals' && !subjects.includes(e));
  expect(breachEntries.filter((e) => !report.runIds.includes(e.runId) || !shownIds.has(e.eventId))).toEqual([]);
});

it('writes an export that verify accepts, and detects a one-byte change', async () => {
  const file = path.join(dir, 'audit.json');
  expect((await breach('audit', breachId, '--format', 'json', '--out', file)).code).toBe(0);
  const again = (await breach('audit', breachId, '--format', 'json')).stdout;
  expect(JSON.parse(again).sha256).toBe(JSON.parse(readFileSync(file, 'utf8')).sha256);
  const ok = await breach('audit', 'verify', file);
  expect(ok.code).toBe(0);
  expect(ok.stdout).toContain('intact');

  const original = readFileSync(file, 'utf8');
  const at = original.indexOf('Suspect at large');
  writeFileSync(file, original.slice(0, at) + 's' + original.slice(at + 1));
  const tampered = await breach('audit', 'verify', file);
  expect(tampered.code).toBe(1);
  expect(tampered.stderr).toContain('was changed');
});

it("lists every attempt for one person with the providers' evidence, from their cohort's history", async () => {
  const result = await breach('audit', breachId, '--subject', 'a-2', '--format', 'json');
  expect(result.stderr).toBe('');
  const report = JSON.parse(result.stdout) as AuditExport;
  expect(report.workflowId).toBe(cohortWorkflowId(breachId, 0));
  expect(report.entries.map((e) => e.kind)).toEqual(['email-accepted', 'email-report', 'final']);
  expect(report.entries[0]!.summary).toMatch(new RegExp(`^Message-ID <notice\\.${breachId}~0~a-2@company\\.test>; SMTP reply "250 .*"; content SHA-256 [0-9a-f]{64}; sent at \\S+$`));
  expect(report.entries[1]!.summary).toBe('delivery report: 550 mailbox unknown');
  expect(report.entries[2]!.summary).toBe('unreachable: email: 550 mailbox unknown');

  // A subject of the second cohort is found from the subject id alone.
  const cy = JSON.parse((await breach('audit', breachId, '--subject', 'a-3', '--format', 'json')).stdout) as AuditExport;
  expect(cy.workflowId).toBe(cohortWorkflowId(breachId, 1));
  expect(cy.entries.map((e) => [e.kind, e.summary.startsWith(`Message-ID <notice.${breachId}~1~a-3@`) || e.summary])).toEqual([
    ['email-accepted', true],
    ['final', 'notified-email'],
  ]);
  expect((await breach('audit', breachId, '--subject', 'nobody')).stderr).toContain(`no subject 'nobody' in breach '${breachId}'`);
});

it('renders an HTML and a PDF report an auditor can hand on, whose summary agrees with the JSON export', async () => {
  const report = JSON.parse((await breach('audit', breachId, '--format', 'json')).stdout) as AuditExport;
  const htmlFile = path.join(dir, 'audit.html');
  expect((await breach('audit', breachId, '--format', 'html', '--out', htmlFile)).code).toBe(0);
  const html = readFileSync(htmlFile, 'utf8');
  const cell = (label: string) => html.split(`data-summary="${label}">`)[1]?.split('<')[0];
  // The figures, worked out here from the JSON export's own entries.
  const opened = report.entries.find((e) => e.kind === 'opened')!;
  const awareAt = /aware at (\S+);/.exec(opened.summary)![1]!;
  const waits = report.entries.filter((e) => e.kind === 'subject-notified').map((e) => Math.round(((Date.parse(e.at) - Date.parse(awareAt)) / 3_600_000) * 10) / 10).sort((a, b) => a - b);
  expect(cell('Became aware')).toBe(awareAt);
  expect(cell('Authority notified')).toMatch(/h after awareness, LATE\)$/);
  expect(cell('Time under a law-enforcement hold')).toMatch(/^\d+(\.\d)? h \(2 holds\)$/);
  expect(cell('Individuals')).toBe('2 notified, 1 unreachable (coverage 66.7%)');
  expect(cell('Time to notify (from awareness)')).toBe(`median ${waits[0]} h, longest ${waits[1]} h`);
  expect(cell('Findings')).toBe(String(report.findings.length));
  expect(html).toContain(`<code id="sha256">${report.sha256}</code>`);
  // The chart: awareness, the deadline and the notice marked, both holds as bars, the notified curve.
  const svg = /<svg id="timeline"[\s\S]*?<\/svg>/.exec(html)![0];
  expect(svg.match(/<rect /g)).toHaveLength(2);
  for (const label of ['aware', 'deadline', 'authority notified', 'people notified']) expect(svg).toContain(label);
  // What people typed is text in the page, never markup.
  expect(html).not.toMatch(/<script/i);

  const pdfFile = path.join(dir, 'audit.pdf');
  expect((await breach('audit', breachId, '--format', 'pdf', '--out', pdfFile)).code).toBe(0);
  const pdf = readFileSync(pdfFile);
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  expect(pdf.toString('latin1')).toContain(`entries-sha256:${report.sha256}`);
  expect((await breach('audit', breachId, '--format', 'pdf')).stderr).toContain('--format pdf needs --out FILE');
});

it('raises no finding for a complete breach, and each finding for a breach with the defect', async () => {
  const clean = JSON.parse((await breach('audit', breachId, '--format', 'json')).stdout) as AuditExport;
  // Complete but for one thing: Ben could not be reached, and the breach closed without a substitute notice for him.
  expect(clean.findings).toEqual([{ code: 'unreachable-without-substitute-notice', detail: '1 subject could not be reached and no substitute or public notice was recorded' }]);

  const flawedId = `${breachId}-flawed`;
  const people = await writeRoster(dir, 'flawed', ['f-1,Fay,fay@example.org,,,,,,,,en']);
  const handle = await startBreach(engine.client, engine.config, breachFacts(flawedId, { measures: ' ' }));
  await handle.executeUpdate(placeHoldUpdate, {
    args: [{ agency: 'City Police', caseRef: 'CP-9', reason: 'Suspect at large', by: 'Lena Legal', reviewAt: new Date(Date.now() + 1500).toISOString() }],
  });
  // A cohort workflow started behind the breach's back, while its hold is active. Its notice names
  // another breach, whose hold the workers' hold watch reads (there is none), so the watch does
  // not pause it: a way past the hold, as an older worker without the watch would have been.
  const rogue = await engine.client.workflow.start(NotifyCohort, {
    workflowId: cohortWorkflowId(flawedId, 0),
    taskQueue: engine.config.temporal.taskQueue,
    args: [
      {
        breachId: flawedId,
        cohort: 0,
        notice: breachNotice(breachFacts(`${flawedId}-elsewhere`)),
        roster: people.ref,
        slice: { offset: Buffer.byteLength(ROSTER_HEADER) + 1, line: 2, rows: 1 },
        policy: cascadePolicy(engine.config),
        holdActive: false,
        parentWorkflowId: handle.workflowId,
      },
    ],
  });
  await eventually(() => rogue.query(subjectQuery, 'f-1'), (fay) => fay?.state === 'notified-email');
  await new Promise((resolve) => setTimeout(resolve, 1500));

  const flawed = await eventually(
    async () => JSON.parse((await breach('audit', flawedId, '--format', 'json')).stdout) as AuditExport,
    (r) => r.findings.some((f) => f.code === 'contacted-during-hold'),
  );
  expect(flawed.findings.map((f) => f.code).sort()).toEqual(['contacted-during-hold', 'hold-past-review', 'missing-art33-element']);
  expect(flawed.findings.find((f) => f.code === 'missing-art33-element')?.detail).toBe('the authority report lacks: measures taken or proposed');
  expect(flawed.findings.find((f) => f.code === 'contacted-during-hold')?.detail).toMatch(/^subject f-1 was contacted by email at \S+ while hold-1 was active$/);
  const table = (await breach('audit', flawedId)).stdout;
  expect(table).toContain('[hold-past-review] hold-1 (City Police) is still active past its review date');
});

it('reads the archived export once Temporal has deleted the history of a closed breach', async () => {
  const live = JSON.parse((await breach('audit', breachId, '--format', 'json')).stdout) as AuditExport;
  const archived = JSON.parse(readFileSync(archivePath(engine.config.audit.archiveDir, breachId), 'utf8')) as AuditExport;
  expect(archived.breachId).toBe(breachId);
  expect(archived.entries.map((e) => e.kind)).toContain('closed');
  expect((await breach('audit', 'verify', archivePath(engine.config.audit.archiveDir, breachId))).code).toBe(0);

  const workflowId = `breach-${breachId}`;
  // What the namespace's retention period does to a closed workflow.
  await engine.client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId } });
  await eventually(
    async () => (await engine.client.workflow.getHandle(workflowId).describe().then(() => 'present', () => 'gone')),
    (state) => state === 'gone',
  );
  const result = await eventually(() => breach('audit', breachId, '--format', 'json'), (r) => r.stderr.includes('from the archive'), 90_000);
  expect(result.code).toBe(0);
  const fromArchive = JSON.parse(result.stdout) as AuditExport;
  expect(fromArchive.sha256).toBe(archived.sha256);
  expect(fromArchive.entries.length).toBeLessThanOrEqual(live.entries.length);
}, 180_000);

describe('a cascade through fax and post', () => {
  let telnyx: TelnyxSandbox;
  let lob: LobSandbox;
  let cascade: DevEngine;
  const cascadeId = `${breachId}-cascade`;

  beforeAll(async () => {
    telnyx = await startTelnyxSandbox({ stepMs: 50 });
    lob = await startLobSandbox();
    cascade = await startDevEngine('audit-cascade', {
      env: sandboxEnv(telnyx, lob),
      configure(config) {
        config.individuals = { ...config.individuals, channels: ['email', 'fax', 'postal'], bounceWindow: '3 seconds', faxPollInterval: '200ms', fallbackDelay: '200ms', batchSize: 2 };
        config.channels = sandboxChannels(telnyx, lob);
      },
    });
    // Pat's email bounces and the fax fails, so a letter goes out, which comes back; Quinn's fax arrives.
    telnyx.script.failNumbers.add('+13125550177');
    const people = await writeRoster(dir, 'cascade', ['p-1,Pat,pat@example.org,+13125550177,210 King St,,San Francisco,CA,94107,US,en', 'q-2,Quinn,,+13125550124,,,,,,,en']);
    const handle = await startBreach(cascade.client, cascade.config, breachFacts(cascadeId), { risk: 'high', rationale: 'Bank details', by: 'Ines Responder' }, people);
    const cohort = cascade.client.workflow.getHandle(cohortWorkflowId(cascadeId, 0));
    await eventually(() => cohort.query(subjectQuery, 'p-1'), (pat) => pat?.state === 'awaiting-report' && pat.channel === 'email');
    await cohort.executeUpdate(reportDeliveryUpdate, { args: [{ subjectId: 'p-1', channel: 'email', reason: '550 mailbox unknown' }] });
    await eventually(() => cohort.query(cohortStatusQuery), (c) => c.delivered, 60_000);
    await cohort.executeUpdate(reportDeliveryUpdate, { args: [{ subjectId: 'p-1', channel: 'postal', reason: 'returned: no such street', source: 'lob' }] });
    await eventually(() => handle.query(statusQuery), (s) => s.individuals.unreachable === 1);
    await handle.executeUpdate(closeUpdate, { args: [{ by: 'Ines Responder' }] });
    await handle.result();
  });

  afterAll(async () => {
    await cascade?.stop();
    await telnyx?.stop();
    await lob?.stop();
  });

  it('gives each person their final state and the returned letter, and counts the letter as not delivered', async () => {
    const read: [number, number][] = [];
    const report = (await buildAudit(cascade.client, cascadeId, undefined, (done, of) => read.push([done, of])))!;
    // The progress line is told of each cohort read, ending at all of them.
    expect(read.at(-1)).toEqual([read.length, read.length]);
    expect(read.length).toBeGreaterThan(0);
    const individuals = report.entries.filter((e) => ['subject-notified', 'subject-unreachable', 'returned-mail', 'individual-totals'].includes(e.kind));
    expect(individuals.map((e) => [e.kind, e.summary, e.actor ?? ''])).toEqual([
      ['subject-notified', 'subject p-1 notified by post', ''],
      ['subject-notified', 'subject q-2 notified by fax', ''],
      ['returned-mail', 'letter to subject p-1 returned: returned: no such street (from lob)', ''],
      ['individual-totals', '2 subjects started; notified by email 0, by fax 1, by post 0; unreachable 1', ''],
    ]);
    expect(report.findings).toEqual([]);
  });

  it("lists each channel's evidence and reports for one person", async () => {
    const pat = (await buildAudit(cascade.client, cascadeId, 'p-1'))!;
    expect(pat.workflowId).toBe(cohortWorkflowId(cascadeId, 0));
    expect(pat.entries.map((e) => e.kind)).toEqual(['email-accepted', 'email-report', 'fax-accepted', 'fax-failed', 'postal-accepted', 'final', 'postal-report']);
    const summary = (kind: string) => pat.entries.find((e) => e.kind === kind)!.summary;
    expect(summary('fax-accepted')).toMatch(/^fax \S+; content SHA-256 [0-9a-f]{64}; sent at \S+$/);
    expect(summary('fax-failed')).toBe('status failed: receiver_no_answer');
    expect(summary('postal-accepted')).toMatch(/^letter ltr_\S+; expected delivery \S+; content SHA-256 [0-9a-f]{64}; sent at \S+$/);
    expect(summary('final')).toBe('notified-postal');
    expect(summary('postal-report')).toBe('delivery report: returned: no such street (from lob)');

    const quinn = (await buildAudit(cascade.client, cascadeId, 'q-2'))!;
    expect(quinn.entries.map((e) => [e.kind, e.kind === 'fax-accepted' || e.summary])).toEqual([
      ['fax-accepted', true],
      ['fax-delivered', 'status delivered'],
      ['final', 'notified-fax'],
    ]);
  });
});
