/**
 * `breach audit`: the timeline of a scripted breach, rebuilt from Temporal's own history, in every
 * format; agreement with the official Temporal CLI; export verification.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { subHours } from 'date-fns';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { archivePath } from '../audit/archive';
import type { AuditExport } from '../audit/export-schema';
import { subjectWorkflowId } from '../domain/cascade';
import { temporalCliPath } from '../scripts/temporal-binaries';
import {
  assessUpdate,
  closeUpdate,
  placeHoldUpdate,
  provideLateReasonUpdate,
  releaseHoldUpdate,
  statusQuery,
  supplementAuthorityReportUpdate,
} from '../workflows/breach';
import { attemptsQuery, reportDeliveryUpdate } from '../workflows/notify-individual';
import { cascadePolicy } from '../config/load';
import { breachNotice } from '../domain/notice';
import { NotifyIndividual } from '../workflows/notify-individual';
import { ROSTER_HEADER, writeRoster } from './support/cascade';
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
      config.individuals = { ...config.individuals, channels: ['email'], bounceWindow: '3 seconds' };
    },
  });
  configFile = path.join(dir, 'temporal.yaml');
  writeFileSync(configFile, stringify(engine.config));

  // The scripted breach: late from the start, two holds, a reason for the delay, a supplement,
  // three subjects of whom one bounces.
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
  const ben = engine.client.workflow.getHandle(subjectWorkflowId(breachId, 'a-2'));
  await eventually(() => ben.query(attemptsQuery), (a) => a.attempts.some((x) => x.outcome === 'accepted'));
  await ben.executeUpdate(reportDeliveryUpdate, { args: [{ channel: 'email', reason: '550 mailbox unknown' }] });
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
  // The subjects report back in whatever order their cascades end; they are checked below.
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

it('agrees with the official Temporal CLI: every update and signal in the history is in the timeline, and nothing else', async () => {
  const workflowId = `breach-${breachId}`;
  const shown = JSON.parse(
    execFileSync(temporalCliPath(), ['workflow', 'show', '--workflow-id', workflowId, '--address', engine.config.temporal.address, '--output', 'json']).toString(),
  ) as { events: { eventId: string; eventType: string; workflowExecutionSignaledEventAttributes?: { signalName: string } }[] };
  const updateEventIds = shown.events.filter((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED').map((e) => e.eventId);
  const report = JSON.parse((await breach('audit', breachId, '--format', 'json')).stdout) as AuditExport;
  const fromUpdates = report.entries.filter((e) => ['hold-placed', 'hold-released', 'request-refused', 'assessed', 'late-reason', 'supplement', 'closed'].includes(e.kind));
  expect(fromUpdates.map((e) => e.eventId).sort()).toEqual(updateEventIds.sort());
  const signalEventIds = shown.events.filter((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED').map((e) => e.eventId);
  expect(signalEventIds).toHaveLength(3);
  const fromSignals = report.entries.filter((e) => e.kind === 'subject-notified' || e.kind === 'subject-unreachable');
  expect(fromSignals.map((e) => e.eventId).sort()).toEqual(signalEventIds.sort());
  expect(report.entries.find((e) => e.kind === 'individual-totals')?.summary).toContain('3 subjects started');
  // Every entry but the closing totals points at an event the official CLI shows.
  const shownIds = new Set(shown.events.map((e) => e.eventId));
  expect(report.entries.filter((e) => e.eventId !== 'totals' && !shownIds.has(e.eventId))).toEqual([]);
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

it("lists every attempt for one person with the providers' evidence", async () => {
  const result = await breach('audit', breachId, '--subject', 'a-2', '--format', 'json');
  expect(result.stderr).toBe('');
  const report = JSON.parse(result.stdout) as AuditExport;
  expect(report.workflowId).toBe(subjectWorkflowId(breachId, 'a-2'));
  expect(report.entries.map((e) => e.kind)).toEqual(['email-accepted', 'email-report', 'final']);
  expect(report.entries[0]!.summary).toMatch(new RegExp(`^Message-ID <notice\\.${breachId}\\.a-2@company\\.test>; SMTP reply "250 .*"; content SHA-256 [0-9a-f]{64}$`));
  expect(report.entries[1]!.summary).toBe('delivery report: 550 mailbox unknown');
  expect(report.entries[2]!.summary).toBe('unreachable');
  expect((await breach('audit', breachId, '--subject', 'nobody')).stderr).toContain(`no subject 'nobody' in breach '${breachId}'`);
});

it('raises no finding for a complete breach, and each finding for a breach with the defect', async () => {
  const clean = JSON.parse((await breach('audit', breachId, '--format', 'json')).stdout) as AuditExport;
  expect(clean.findings).toEqual([]);

  const flawedId = `${breachId}-flawed`;
  const people = await writeRoster(dir, 'flawed', ['f-1,Fay,fay@example.org,,,,,,,,en']);
  const handle = await startBreach(engine.client, engine.config, breachFacts(flawedId, { measures: ' ' }));
  await handle.executeUpdate(placeHoldUpdate, {
    args: [{ agency: 'City Police', caseRef: 'CP-9', reason: 'Suspect at large', by: 'Lena Legal', reviewAt: new Date(Date.now() + 1500).toISOString() }],
  });
  // A subject workflow started behind the breach's back, while its hold is active.
  const rogue = await engine.client.workflow.start(NotifyIndividual, {
    workflowId: subjectWorkflowId(flawedId, 'f-1'),
    taskQueue: engine.config.temporal.taskQueue,
    args: [{ notice: breachNotice(breachFacts(flawedId)), subject: { subjectId: 'f-1', rowOffset: Buffer.byteLength(ROSTER_HEADER) + 1, roster: people.ref }, reachable: ['email'], policy: cascadePolicy(engine.config), holdActive: false, parentWorkflowId: handle.workflowId }],
  });
  expect((await rogue.result()).state).toBe('notified-email');
  await new Promise((resolve) => setTimeout(resolve, 1500));

  const flawed = await eventually(
    async () => JSON.parse((await breach('audit', flawedId, '--format', 'json')).stdout) as AuditExport,
    (r) => r.findings.some((f) => f.code === 'contacted-during-hold'),
  );
  expect(flawed.findings.map((f) => f.code).sort()).toEqual(['contacted-during-hold', 'hold-past-review', 'missing-art33-element']);
  expect(flawed.findings.find((f) => f.code === 'missing-art33-element')?.detail).toBe('the authority report lacks: measures taken or proposed');
  expect(flawed.findings.find((f) => f.code === 'contacted-during-hold')?.detail).toMatch(/^subject f-1 was contacted by email at .* while hold-1 was active$/);
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
