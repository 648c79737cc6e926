/**
 * 1,000 subjects through the fan-out on the dev server: the breach continues-as-new on the way,
 * every subject reaches a final state, nobody is notified twice, and the audit reads every run.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildAudit } from '../audit/build-audit';
import { validateRosterFile } from '../roster/roster-file';
import { assessUpdate, statusQuery } from '../workflows/breach';
import { breachFacts, eventually, expectHistoryReplays, startBreach, startDevEngine, type DevEngine } from './support/engine';

const SUBJECTS = 1000;
let engine: DevEngine;

beforeAll(async () => {
  engine = await startDevEngine('scale', {
    configure(config) {
      config.individuals = { ...config.individuals, channels: ['email'], bounceWindow: '1 second', window: 100, pageSize: 100, continueAsNewAfterEvents: 1000 };
    },
  });
});

afterAll(async () => {
  await engine?.stop();
});

it('notifies 1,000 subjects exactly once each across continue-as-new runs', async () => {
  const breachId = `scale-${Date.now()}`;
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'breach-scale-')), 'roster.jsonl');
  writeFileSync(
    file,
    Array.from({ length: SUBJECTS }, (_, i) => JSON.stringify({ subjectId: `s${i}`, fullName: `Person ${i}`, email: `p${i}@example.org` })).join('\n') + '\n',
  );
  const { ref, valid } = await validateRosterFile(file);
  const handle = await startBreach(engine.client, engine.config, breachFacts(breachId), undefined, { ref, total: valid });
  await handle.executeUpdate(assessUpdate, { args: [{ risk: 'high', rationale: 'Credentials exposed', by: 'Ines Responder' }] });

  const status = await eventually(() => handle.query(statusQuery), (s) => s.phase === 'individuals-notified', 240_000);
  expect(status.individuals).toEqual({ pending: 0, inProgress: 0, notifiedByEmail: SUBJECTS, notifiedByFax: 0, notifiedByPostal: 0, unreachable: 0 });

  const notices = engine.sink.messages.filter((m) => m.messageId.startsWith(`<notice.${breachId}.`));
  expect(notices).toHaveLength(SUBJECTS);
  expect(new Set(notices.map((m) => m.messageId)).size).toBe(SUBJECTS);

  const runs: string[] = [];
  for await (const execution of engine.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) runs.push(execution.status.name);
  expect(runs.filter((s) => s === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(1);
  expect(runs.filter((s) => s === 'RUNNING')).toHaveLength(1);
  await expectHistoryReplays(handle, 'fan-out-after-continue-as-new');

  // The audit reads every run: one entry per subject, the hand-over between runs, nothing raised.
  const audit = (await buildAudit(engine.client, breachId))!;
  expect(audit.runIds).toHaveLength(runs.length);
  const handovers = audit.entries.filter((e) => e.kind === 'continued-as-new');
  expect(handovers).toHaveLength(runs.length - 1);
  expect(handovers[0]!.summary).toMatch(/^run 2 continues the breach with its state carried over; individuals so far: \d+ of 1000 started, \d+ in a final state$/);
  const notified = audit.entries.filter((e) => e.kind === 'subject-notified').map((e) => e.summary);
  expect(new Set(notified)).toEqual(new Set(Array.from({ length: SUBJECTS }, (_, i) => `subject s${i} notified by email`)));
  expect(notified).toHaveLength(SUBJECTS);
  expect(audit.entries.at(-1)!.summary).toBe('1000 subjects started; notified by email 1000, by fax 0, by post 0; unreachable 0');
  expect(audit.findings).toEqual([]);
}, 300_000);
