/**
 * A worker keeps at most `temporal.maxCachedWorkflows` workflows in memory, while a breach's
 * cohorts all stay open until it closes. With more open cohorts than the cache holds, the least
 * recently used are evicted and replayed from their histories when they next have work. Here 45
 * one-person cohorts and their breach (46 open workflows) run on a worker that caches 40: the
 * worker holds no more than 40, everyone is notified once, the close reaches every cohort,
 * evicted or not, and the audit has each person's entry.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildAudit } from '../audit/build-audit';
import { cohortWorkflowIdPrefix } from '../domain/ids';
import { closeUpdate, statusQuery } from '../workflows/messages/breach';
import { writeRoster } from './support/cascade';
import { breachFacts, eventually, startBreach, startDevEngine, type DevEngine } from './support/engine';

const PEOPLE = 45;
const CACHED = 40;
let engine: DevEngine;

beforeAll(async () => {
  engine = await startDevEngine('cache', {
    configure(config) {
      config.temporal.maxCachedWorkflows = CACHED;
      config.individuals = { ...config.individuals, bounceWindow: '1 second', cohortSize: 1, sendingCohorts: 10 };
    },
  });
});

afterAll(async () => {
  await engine?.stop();
});

it('notifies and closes a breach with more open cohorts than the worker caches', async () => {
  const breachId = `cache-${Date.now()}`;
  const rows = Array.from({ length: PEOPLE }, (_, i) => `c-${i},Person ${i},c${i}@example.org,,,,,,,,en`);
  const roster = await writeRoster(mkdtempSync(path.join(os.tmpdir(), 'breach-cache-')), 'cache', rows);
  const handle = await startBreach(engine.client, engine.config, breachFacts(breachId), { risk: 'high', rationale: 'Passwords exposed', by: 'Ines Responder' }, roster);

  const notified = await eventually(() => handle.query(statusQuery), (s) => s.phase === 'individuals-notified', 120_000);
  expect(notified.individuals).toMatchObject({ notifiedByEmail: PEOPLE, pending: 0, inProgress: 0 });
  expect(new Set(engine.sink.messages.filter((m) => m.messageId.startsWith(`<notice.${breachId}~`)).map((m) => m.to[0])).size).toBe(PEOPLE);

  // Every cohort is open until the close, more than the cache holds; the close reaches them all.
  const cohorts = async (status: string) => {
    let n = 0;
    for await (const _ of engine.client.workflow.list({ query: `WorkflowId STARTS_WITH '${cohortWorkflowIdPrefix(breachId)}' AND ExecutionStatus = '${status}'` })) n++;
    return n;
  };
  expect(await eventually(() => cohorts('Running'), (n) => n === PEOPLE)).toBe(PEOPLE);
  expect(engine.cachedWorkflows()).toBeLessThanOrEqual(CACHED);
  await handle.executeUpdate(closeUpdate, { args: [{ by: 'Ines Responder' }] });
  expect(await eventually(() => cohorts('Completed'), (n) => n === PEOPLE, 60_000)).toBe(PEOPLE);

  const audit = await eventually(() => buildAudit(engine.client, breachId), (a) => a!.entries.some((e) => e.kind === 'workflow-completed'));
  expect(audit!.entries.filter((e) => e.kind === 'subject-notified')).toHaveLength(PEOPLE);
  expect(audit!.findings).toEqual([]);
});
