/**
 * The way out for people whose cohort workflow ended before they had a final state: cohort
 * workflows are terminated for real on the dev server, and `breach subject retry` and
 * `breach subject resolve` (the real CLI) bring every person to a final state, so that the breach
 * closes with a complete audit and nobody is sent a notice twice.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildAudit } from '../audit/build-audit';
import { runIdsOf } from '../audit/read-history';
import { stuckCohorts } from '../client/stuck-cohorts';
import { breachWorkflowId, cohortWorkflowId } from '../domain/ids';
import { closeUpdate, resolveSubjectUpdate, retryCohortUpdate, statusQuery } from '../workflows/messages/breach';
import { subjectQuery } from '../workflows/messages/cohort';
import { writeRoster } from './support/cascade';
import { runBreachCli } from './support/cli';
import { breachFacts, eventually, expectHistoryReplays, startBreach, startDevEngine, type DevEngine } from './support/engine';

const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-stuck-'));
const breachId = `stuck-${Date.now()}`;
let engine: DevEngine;
let configFile: string;

const breach = (...args: string[]) => runBreachCli(configFile, dir, args, 20);

async function refusal(request: Promise<unknown>): Promise<string> {
  const err = await request.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return ((err as WorkflowUpdateFailedError).cause as Error).message;
}

beforeAll(async () => {
  engine = await startDevEngine('stuck', {
    configure(config) {
      // Cohorts of two; the bounce window keeps every notice awaiting its report while cohorts are terminated and retried.
      config.individuals = { ...config.individuals, channels: ['email'], bounceWindow: '30 seconds', cohortSize: 2, sendingCohorts: 3 };
    },
  });
  configFile = path.join(dir, 'temporal.yaml');
  writeFileSync(configFile, stringify(engine.config));
});

afterAll(async () => {
  await engine?.stop();
});

describe('people whose cohort workflow ended before they had a final state', () => {
  it('are brought to a final state by retry and resolve, each notified once, and the breach closes with a clean audit', async () => {
    const rows = ['r-1,Rae,rae@example.org', 'r-2,Sol,sol@example.org', 'r-3,Tam,tam@example.org', 'r-4,Uma,uma@example.org', 'r-5,Vic,vic@example.org'];
    const people = await writeRoster(dir, 'roster', rows.map((r) => `${r},,,,,,,,en`));
    const handle = await startBreach(engine.client, engine.config, breachFacts(breachId), { risk: 'high', rationale: 'Passwords exposed', by: 'Ines Responder' }, people);
    const subject = (cohort: number, subjectId: string) => engine.client.workflow.getHandle(cohortWorkflowId(breachId, cohort)).query(subjectQuery, subjectId);
    for (const [cohort, subjectId] of [[0, 'r-1'], [0, 'r-2'], [1, 'r-3'], [1, 'r-4'], [2, 'r-5']] as const) {
      await eventually(() => subject(cohort, subjectId), (view) => view?.state === 'awaiting-report');
    }
    await engine.client.workflow.getHandle(cohortWorkflowId(breachId, 0)).terminate('stopped by an operator');
    await engine.client.workflow.getHandle(cohortWorkflowId(breachId, 1)).terminate('stopped by an operator');

    // Status names both cohorts and the way out; close is refused while their people have no final state.
    const status = await breach('status', breachId);
    expect(status.stdout).toContain(`cohort 0 (${cohortWorkflowId(breachId, 0)}) was terminated before its people had a final state`);
    expect(status.stdout).toContain(`breach cohort retry ${breachId} 1`);
    expect(await refusal(handle.executeUpdate(closeUpdate, { args: [{ by: 'Ines Responder' }] }))).toBe('individuals are still being notified');

    // Bad requests are refused with what is wrong, and change nothing.
    expect(await refusal(handle.executeUpdate(retryCohortUpdate, { args: [{ cohort: 9, reason: 'x', by: 'Ines' }] }))).toBe('the breach has no cohort 9 (it has started 3)');
    expect(await refusal(handle.executeUpdate(retryCohortUpdate, { args: [{ cohort: 2, reason: 'x', by: 'Ines' }] }))).toMatch(/is still running; its cascade gives its people a final state$/);
    expect(await refusal(handle.executeUpdate(resolveSubjectUpdate, { args: [{ cohort: 1, subjectId: 'r-3', state: 'duplicate', reason: 'x', by: 'Ines' } as never] }))).toBe(
      'state must be one of notified-email, notified-fax, notified-postal, unreachable',
    );
    expect(await refusal(handle.executeUpdate(resolveSubjectUpdate, { args: [{ cohort: 1, subjectId: 'r-1', state: 'unreachable', reason: 'x', by: 'Ines' }] }))).toBe(
      "cohort 1 had not read subject 'r-1' from the roster when its workflow ended; retry the cohort instead",
    );
    expect((await breach('cohort', 'retry', breachId, 'first', '--reason', 'x', '--by', 'Ines')).stderr).toContain("cohort 'first' is not a cohort number");
    expect((await breach('cohort', 'retry', breachId, '9', '--reason', 'x', '--by', 'Ines')).stderr).toContain('the breach has no cohort 9 (it has started 3)');
    const badState = await breach('subject', 'resolve', breachId, 'r-3', '--state', 'banana', '--reason', 'x', '--by', 'Ines');
    expect(badState.code).not.toBe(0);
    expect(badState.stderr).toContain('--state must be one of notified-email, notified-fax, notified-postal, unreachable');
    const resolveRunning = await breach('subject', 'resolve', breachId, 'r-5', '--state', 'unreachable', '--reason', 'x', '--by', 'Ines');
    expect(resolveRunning.stderr).toMatch(/cohort workflow \S+ is still running/);
    expect(await eventually(() => stuckCohorts(engine.client, breachId), (s) => s.length === 2)).toHaveLength(2);

    // Retry by subject: the notices awaiting their reports go on waiting, nobody is emailed again.
    const retried = await breach('subject', 'retry', breachId, 'r-1', '--reason', 'terminated by mistake', '--by', 'Ines Responder');
    expect(retried.stderr).toBe('');
    expect(retried.stdout).toContain(`Cohort 0 of breach ${breachId} started again (its workflow ${cohortWorkflowId(breachId, 0)} had been terminated). Of its 2 row(s): 0 keep the final state they had; 2 go on waiting`);
    expect(await refusal(handle.executeUpdate(retryCohortUpdate, { args: [{ cohort: 0, reason: 'again', by: 'Ines' }] }))).toMatch(/still running/);

    // Resolve by hand, one person after the other; the last one lets the cohort record everyone's outcome.
    const first = await breach('subject', 'resolve', breachId, 'r-3', '--state', 'notified-postal', '--reason', 'letter sent by hand on 1 Dec', '--by', 'Lee Legal');
    expect(first.stdout).toContain(`Recorded: subject r-3 of breach ${breachId} is notified-postal (resolved by hand); cohort 1 has 1 more row(s) without a final state.`);
    expect((await breach('subject', 'resolve', breachId, 'r-3', '--state', 'unreachable', '--reason', 'x', '--by', 'Lee Legal')).stderr).toContain("subject 'r-3' has already been resolved");
    const last = await breach('subject', 'resolve', breachId, 'r-4', '--state', 'unreachable', '--reason', 'mailbox closed, confirmed by phone', '--by', 'Lee Legal');
    expect(last.stdout).toContain("nobody in cohort 1 is left without a final state, so its workflow was started again to record everyone's outcome");

    // The counts move with each cohort's progress reports; the phase once each cohort confirmed it is final.
    const final = await eventually(() => handle.query(statusQuery), (s) => s.phase === 'individuals-notified', 60_000);
    expect(final.individuals).toMatchObject({ inProgress: 0, pending: 0 });
    expect(final.individuals).toMatchObject({ notifiedByEmail: 3, notifiedByPostal: 1, unreachable: 1 });
    expect(final.unreachableSubjects).toEqual([{ subjectId: 'r-4', reasons: ['resolved by hand by Lee Legal: mailbox closed, confirmed by phone'] }]);
    expect(await stuckCohorts(engine.client, breachId)).toEqual([]);
    for (const address of ['rae@example.org', 'sol@example.org', 'tam@example.org', 'uma@example.org', 'vic@example.org']) {
      expect(engine.sink.messages.filter((m) => m.to.includes(address))).toHaveLength(1);
    }

    await handle.executeUpdate(closeUpdate, { args: [{ by: 'Ines Responder' }] });
    const audit = await eventually(() => buildAudit(engine.client, breachId), (a) => a!.entries.some((e) => e.kind === 'workflow-completed'));
    // Every person has a final state; the one resolved as unreachable got no substitute notice, which the audit raises.
    expect(audit!.findings).toEqual([{ code: 'unreachable-without-substitute-notice', detail: '1 subject could not be reached and no substitute or public notice was recorded' }]);
    const summaries = (kind: string) => audit!.entries.filter((e) => e.kind === kind).map((e) => e.summary);
    expect(summaries('cohort-retried')).toEqual([
      'cohort 0 started again after its workflow was terminated (asked for subject r-1): terminated by mistake; of its 2 row(s), 0 kept their final state, 2 went on waiting for a delivery report, 0 whose notice may have gone out were looked up or resent with the same notice id',
    ]);
    expect(summaries('subject-resolved')).toEqual([
      'subject r-3 of cohort 1 recorded by hand as notified-postal: letter sent by hand on 1 Dec',
      'subject r-4 of cohort 1 recorded by hand as unreachable: mailbox closed, confirmed by phone',
    ]);
    expect(summaries('subject-notified').sort()).toEqual(['subject r-1 notified by email', 'subject r-2 notified by email', 'subject r-3 notified by post', 'subject r-5 notified by email']);
    expect(summaries('subject-unreachable')).toEqual(['subject r-4 unreachable: resolved by hand by Lee Legal: mailbox closed, confirmed by phone']);
    expect(audit!.entries.find((e) => e.kind === 'cohort-retried')?.actor).toBe('Ines Responder');

    // One person's audit shows where their cascade went on from.
    const rae = await buildAudit(engine.client, breachId, 'r-1');
    expect(rae!.entries.map((e) => e.kind)).toEqual(['email-accepted', 'cascade-resumed', 'final']);
    expect(rae!.entries[1]!.summary).toMatch(/^the cohort's workflow was started again after it ended; this subject's notice \S+ went on waiting for its delivery report$/);
    const uma = await buildAudit(engine.client, breachId, 'r-4');
    expect(uma!.entries.find((e) => e.kind === 'cascade-resumed')?.summary).toBe(
      "the cohort's workflow was started again after it ended; this subject was recorded by hand by Lee Legal as unreachable: mailbox closed, confirmed by phone",
    );
    expect((await engine.client.workflow.getHandle(breachWorkflowId(breachId)).describe()).status.name).toBe('COMPLETED');

    await expectHistoryReplays(handle, 'breach-cohorts-retried-and-resolved');
    const [, resumed] = await runIdsOf(engine.client, cohortWorkflowId(breachId, 0));
    await expectHistoryReplays(engine.client.workflow.getHandle(cohortWorkflowId(breachId, 0), resumed), 'cohort-resumed-after-termination', resumed);
  });
});
