/**
 * 2,000 people with the production bounce window of 48 hours: every email goes out promptly
 * (sending never waits on a bounce window), the breach continues-as-new on the way, its state
 * stays proportional to its cohorts, and it is listed once, as its latest run.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { validateRosterFile } from '../roster/roster-file';
import { listBreachRuns } from '../client/breach-list';
import { assessUpdate, closeUpdate, placeHoldUpdate, statusQuery } from '../workflows/messages/breach';
import { breachFacts, eventually, expectHistoryReplays, startBreach, startDevEngine, type DevEngine } from './support/engine';

const PEOPLE = 2000;
let engine: DevEngine;

beforeAll(async () => {
  engine = await startDevEngine('scale', {
    configure(config) {
      config.individuals = { ...config.individuals, channels: ['email'], bounceWindow: '48 hours', cohortSize: 50, batchSize: 50, sendingCohorts: 4, continueAsNewAfterEvents: 200, maxPerSecond: { email: 5000, fax: 10, postal: 20 } };
    },
  });
});

afterAll(async () => {
  await engine?.stop();
});

it('sends all 2,000 emails promptly with a 48-hour bounce window, each person once, across continue-as-new runs', async () => {
  const breachId = `scale-${Date.now()}`;
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'breach-scale-')), 'roster.jsonl');
  writeFileSync(file, Array.from({ length: PEOPLE }, (_, i) => JSON.stringify({ subjectId: `s${i}`, fullName: `Person ${i}`, email: `p${i}@example.org` })).join('\n') + '\n');
  const { ref, valid } = await validateRosterFile(file);
  const handle = await startBreach(engine.client, engine.config, breachFacts(breachId), undefined, { ref, total: valid });
  await handle.executeUpdate(assessUpdate, { args: [{ risk: 'high', rationale: 'Credentials exposed', by: 'Ines Responder' }] });

  const notices = () => engine.sink.messages.filter((m) => m.messageId.startsWith(`<notice.${breachId}~`));
  await eventually(async () => notices().length, (n) => n === PEOPLE, 180_000);
  expect(new Set(notices().map((m) => m.messageId)).size).toBe(PEOPLE);

  // Everyone was sent a notice and waits out the bounce window; nobody is pending a send.
  const status = await eventually(() => handle.query(statusQuery), (s) => s.individuals.pending === 0, 30_000);
  expect(status.individuals).toMatchObject({ pending: 0, inProgress: PEOPLE, notifiedByEmail: 0, unreachable: 0 });
  expect(status.phase).toBe('notifying-individuals');
  // The breach's state grows with its 40 cohorts, not its 2,000 people.
  expect(JSON.stringify(status).length).toBeLessThan(20_000);
  await expect(handle.executeUpdate(closeUpdate, { args: [{ by: 'Ines Responder' }] })).rejects.toMatchObject({ cause: { message: 'individuals are still being notified' } });

  const runs: string[] = [];
  for await (const execution of engine.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) runs.push(execution.status.name);
  expect(runs.filter((s) => s === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(1);
  expect(runs.filter((s) => s === 'RUNNING')).toHaveLength(1);

  // `breach list` shows the breach once, as its latest run; a run it continued from no longer speaks for it.
  const listed = async (...filters: string[]) => (await listBreachRuns(engine.client, [`BreachId = '${breachId}'`, ...filters])).map((run) => run.status.name);
  expect(await listed()).toEqual(['RUNNING']);
  await handle.executeUpdate(placeHoldUpdate, { args: [{ agency: 'City Police', caseRef: 'CP-9', reason: 'Suspect at large', by: 'Lena Legal' }] });
  await eventually(() => listed('HoldActive = true'), (found) => found.join() === 'RUNNING');
  expect(await listed('HoldActive = false')).toEqual([]);
  await expectHistoryReplays(handle, 'cohort-fan-out-after-continue-as-new');
}, 300_000);
