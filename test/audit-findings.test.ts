/**
 * Findings about defects the engine does not let a breach acquire: a late notice without reasons
 * and a hold without a case reference. The audit must still raise them for a history that has them
 * (written by an older or faulty engine, or by anything else that started the workflow), so each is
 * raised from a real captured history with the defect written into it, and absent from the same
 * history unedited. Subjects without a final state are produced for real, by terminating a
 * cohort's workflow on the dev server.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAudit } from '../audit/build-audit';
import type { Finding } from '../audit/export-schema';
import { findings } from '../audit/findings';
import type { RunHistory } from '../audit/history-events';
import { CohortTimeline } from '../audit/timeline';
import { formatStatus } from '../client/status-view';
import { stuckCohorts } from '../client/stuck-cohorts';
import type { CohortInput } from '../domain/cascade';
import { breachWorkflowId, cohortWorkflowId } from '../domain/ids';
import { statusQuery } from '../workflows/messages/breach';
import { subjectQuery } from '../workflows/messages/cohort';
import { writeRoster } from './support/cascade';
import { capturedHistory } from './support/histories';
import { breachFacts, eventually, startBreach, startDevEngine, type DevEngine } from './support/engine';

type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

function findingsOf(run: RunHistory): Finding[] {
  return findings([run], new Map(), new Date());
}

/** Changes the first value of a payload list in place, the way the defect would have written it. */
function rewrite<T>(payloads: Payloads, change: (value: T) => void): void {
  const list = payloads!.payloads!;
  const value = defaultPayloadConverter.fromPayload<T>(list[0]!);
  change(value);
  list[0] = defaultPayloadConverter.toPayload(value);
}

describe('findings from captured histories with a defect written in', () => {
  it('raises late-without-reason for a late authority report that carries no reason', () => {
    const run = capturedHistory('clock-late-report');
    expect(findingsOf(run).map((f) => f.code)).not.toContain('late-without-reason');

    const report = run.events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendAuthorityReport')!;
    rewrite<{ lateReason?: string }>(report.activityTaskScheduledEventAttributes!.input, (input) => delete input.lateReason);
    const raised = findingsOf(run).filter((f) => f.code === 'late-without-reason');
    expect(raised).toHaveLength(1);
    expect(raised[0]!.detail).toMatch(/^late authority notice at \S+ without reasons for the delay$/);
  });

  it('raises hold-without-review-date for an active hold nobody is reminded to review', () => {
    const reviewed = capturedHistory('clock-hold-review');
    expect(findingsOf(reviewed).map((f) => f.code)).not.toContain('hold-without-review-date');
    const open = findingsOf(capturedHistory('obligations-oral-hold')).filter((f) => f.code === 'hold-without-review-date');
    expect(open).toEqual([{ code: 'hold-without-review-date', detail: 'hold-1 (FBI) is active with no review date: nobody is reminded to ask whether it is still needed' }]);
  });

  it('raises hold-without-case-reference for a hold placed without one', () => {
    const run = capturedHistory('two-agency-holds');
    expect(findingsOf(run).map((f) => f.code)).not.toContain('hold-without-case-reference');

    for (const event of run.events) {
      const accepted = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
      if (accepted?.name === 'placeHold') rewrite<{ agency: string; caseRef: string }>(accepted.args, (hold) => hold.agency === 'FBI' && (hold.caseRef = ' '));
      const result = event.workflowExecutionUpdateCompletedEventAttributes?.outcome?.success;
      if (result) rewrite<{ agency?: string; caseRef?: string }>(result, (hold) => hold?.agency === 'FBI' && (hold.caseRef = ' '));
    }
    expect(findingsOf(run)).toEqual([{ code: 'hold-without-case-reference', detail: 'hold-2 (FBI) has no case reference' }]);
  });
});

describe('a cohort whose notification never reached a final state', () => {
  let engine: DevEngine;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-findings-'));
  const breachId = `findings-${Date.now()}`;

  beforeAll(async () => {
    engine = await startDevEngine('findings', {
      configure(config) {
        // One subject per cohort; the bounce window keeps both cohorts running long enough to terminate one.
        config.individuals = { ...config.individuals, channels: ['email'], bounceWindow: '10 minutes', cohortSize: 1, sendingCohorts: 2 };
      },
    });
  });

  afterAll(async () => {
    await engine?.stop();
  });

  it('raises subjects-without-final-state for a cohort workflow terminated mid-cascade', async () => {
    const people = await writeRoster(dir, 'roster', ['t-1,Tia,tia@example.org,,,,,,,,en', 't-2,Uli,uli@example.org,,,,,,,,en']);
    await startBreach(engine.client, engine.config, breachFacts(breachId), { risk: 'high', rationale: 'Passwords exposed', by: 'Ines Responder' }, people);
    const first = engine.client.workflow.getHandle(cohortWorkflowId(breachId, 0));
    const second = engine.client.workflow.getHandle(cohortWorkflowId(breachId, 1));
    await eventually(() => first.query(subjectQuery, 't-1'), (tia) => tia?.state === 'awaiting-report');
    await eventually(() => second.query(subjectQuery, 't-2'), (uli) => uli?.state === 'awaiting-report');
    await first.terminate('stopped by an operator');

    const report = await eventually(() => buildAudit(engine.client, breachId), (r) => r!.findings.length > 0);
    // Uli's notice is inside its bounce window: in progress on a running breach, not a defect.
    expect(report!.findings).toEqual([{ code: 'subjects-without-final-state', detail: 'cohort 0 (1 subject) has no final state: its notification workflow was terminated' }]);

    // breach status names the cohort, by its workflow id; the cohort still notifying is not stuck.
    const stuck = await eventually(() => stuckCohorts(engine.client, breachId), (s) => s.length > 0);
    expect(stuck).toEqual([{ cohort: 0, workflowId: cohortWorkflowId(breachId, 0), ended: 'terminated' }]);
    const status = await engine.client.workflow.getHandle(breachWorkflowId(breachId)).query(statusQuery);
    expect(formatStatus(status, new Date(), stuck)).toContain(`cohort 0 (${cohortWorkflowId(breachId, 0)}) was terminated before its people had a final state`);
  });
});

describe('rows that repeat a subject id', () => {
  it('are counted per cohort in the audit, since they have no outcome of their own', () => {
    const timeline = new CohortTimeline(3);
    const input = { slice: { offset: 0, line: 2, rows: 4 }, delivered: [{ subjectId: 'a', state: 'notified-email' }, { subjectId: 'b', state: 'notified-fax' }] } as unknown as CohortInput;
    timeline.fact({ type: 'run-started', input }, { at: '2026-12-01T00:00:00.000Z', runId: 'r', eventId: '1' });
    expect(timeline.entries.map((e) => [e.kind, e.summary])).toEqual([
      ['duplicate-rows', "cohort 3: 2 row(s) repeating an earlier row's subject id skipped; each subject was notified once, from its first row"],
      ['subject-notified', 'subject a notified by email'],
      ['subject-notified', 'subject b notified by fax'],
    ]);
  });
});
