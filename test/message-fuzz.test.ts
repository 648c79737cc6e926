/**
 * Property test: arbitrary JSON sent as every update and signal of a running breach and of its
 * running cohort, as a client of its own could send it. No workflow task may fail, a refused
 * request changes nothing, and the breach still works afterwards.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildAudit } from '../audit/build-audit';
import { breachRegimes } from '../client/breach-regimes';
import { cohortWorkflowId } from '../domain/ids';
import type { BreachStatus } from '../domain/status';
import { writeRoster } from './support/cascade';
import { breachFacts, eventually, expectHistoryReplays, startBreach, startDevEngine, type DevEngine } from './support/engine';

const RUNS = 25;
let engine: DevEngine;

beforeAll(async () => {
  engine = await startDevEngine('fuzz', {
    configure(config) {
      // The cohort waits out a long bounce window, so that it is running while it is sent messages.
      config.individuals = { ...config.individuals, channels: ['email'], bounceWindow: '1 hour', cohortSize: 5, batchSize: 5 };
    },
  });
});

afterAll(async () => {
  await engine?.stop();
});

const valid = {
  assess: { risk: 'high', rationale: 'Bank details exposed', by: 'Ines Responder' },
  provideLateReason: { reason: 'The relay was down', by: 'Ines Responder' },
  recordPortalSubmission: { reference: 'P-1', by: 'Ines Responder' },
  supplementAuthorityReport: { information: 'More people affected', by: 'Ines Responder' },
  placeHold: { agency: 'City Police', caseRef: 'CP-1', reason: 'Investigation', by: 'Lena Legal' },
  releaseHold: { holdId: 'hold-1', reason: 'Agency agreed', by: 'Lena Legal' },
  close: { by: 'Ines Responder' },
  recordHoldStatement: { holdId: 'hold-1', reason: 'Letter from the agency', by: 'Lena Legal' },
  // Recent, so that no deadline is already past: a reminder the breach sends by itself would change its state between two requests.
  recordAnchor: { event: 'determination', at: new Date(Date.now() - 60_000).toISOString(), by: 'Counsel' },
  recordObligation: { obligationId: 'nydfs:superintendent', reference: 'DFS-1', by: 'Ines Responder', lateReason: 'Filed late' },
  // The breach's one cohort is running, so even these are refused: only a cohort whose workflow ended can be retried or resolved.
  retryCohort: { cohort: 0, reason: 'Terminated by mistake', by: 'Ines Responder' },
  resolveSubject: { cohort: 0, subjectId: 'fuzz-1', state: 'unreachable', reason: 'Mailbox closed', by: 'Ines Responder' },
} as const;

/** Anything at all, or a valid request with one field replaced, removed or added: the inputs most likely to slip through. */
function requestsLike(example: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(example);
  return fc.oneof(
    fc.jsonValue(),
    fc.constantFrom(null, undefined, [], {}, '', 0, true),
    fc.record({ key: fc.constantFrom(...keys), value: fc.jsonValue() }).map(({ key, value }) => ({ ...example, [key]: value })),
    fc.constantFrom(...keys).map((key) => Object.fromEntries(Object.entries(example).filter(([k]) => k !== key))),
    fc.record({ key: fc.string(), value: fc.jsonValue() }).map(({ key, value }) => ({ ...example, [key]: value })),
  );
}

/** The status without its clock, for comparing before and after a request. */
async function state(handle: WorkflowHandle): Promise<Omit<BreachStatus, 'asOf'>> {
  const { asOf: _, ...rest } = (await handle.query<BreachStatus>('status')) as BreachStatus;
  return rest;
}

async function failedWorkflowTasks(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes).length;
}

/** A breach assessed high whose one cohort of two people has emailed them and told the breach it waits out its bounce window. */
async function waitingBreach(name: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `breach-${name}-`));
  const breachId = `${name}-${Date.now()}`;
  const roster = await writeRoster(dir, name, [`${name}-1,Fay Fuzz,fay@example.org,,,,,,,,en`, `${name}-2,Flo Fuzz,flo@example.org,,,,,,,,en`]);
  // Under regimes, so that their updates meet obligations, anchors and holds per regime.
  const regimes = breachRegimes(engine.config, { regimes: ['gdpr', 'california', 'nydfs'], residents: { 'US-CA': 2 }, anchors: { determination: new Date(Date.now() - 120_000).toISOString() } }, 2);
  const breach = await startBreach(engine.client, engine.config, breachFacts(breachId), undefined, roster, regimes);
  await breach.executeUpdate('assess', { args: [valid.assess] });
  const notices = () => engine.sink.messages.filter((m) => m.messageId.startsWith(`<notice.${breachId}~`)).length;
  await eventually(() => state(breach), (s) => s.individuals.awaitingReports === 2 && notices() === 2, 30_000);
  return { breachId, breach, cohort: engine.client.workflow.getHandle(cohortWorkflowId(breachId, 0)) };
}

it('refuses every malformed update and ignores every malformed signal, with no workflow task failed', async () => {
  const { breachId, breach, cohort } = await waitingBreach('fuzz');

  let refused = 0;
  for (const [name, example] of Object.entries(valid)) {
    await fc.assert(
      fc.asyncProperty(requestsLike(example), async (request) => {
        const before = await state(breach);
        try {
          await breach.executeUpdate(name, { args: (request === undefined ? [] : [request]) as [unknown] });
        } catch (err) {
          expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
          expect((err as WorkflowUpdateFailedError).cause?.message).toMatch(/\S/);
          refused++;
          // A refused request changes nothing (a close or a late reason refused for its timing included).
          expect(await state(breach)).toEqual(before);
          return;
        }
        // An accepted hold is released again, so that the next requests meet the same breach.
        if (name === 'placeHold') {
          const { holds } = await state(breach);
          for (const hold of holds.active) await breach.executeUpdate('releaseHold', { args: [{ holdId: hold.holdId, reason: 'fuzz', by: 'Lena Legal' }] });
        }
      }),
      { numRuns: RUNS },
    );
  }
  expect(refused).toBeGreaterThan(RUNS * 4);

  // Signals, known and unknown, to the breach and to the cohort: none changes what the breach shows.
  const quiet = await state(breach);
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('cohortReport', 'cohortHeld', 'subjectFinished', 'anything'), requestsLike({ cohort: 0, round: 99, stage: 'final' }), async (signal, payload) => {
      await breach.signal(signal, payload);
    }),
    { numRuns: RUNS * 2 },
  );
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('holdChanged', 'breachClosed', 'nonsense'), requestsLike({ active: false, round: 0 }), async (signal, payload) => {
      await cohort.signal(signal, payload);
    }),
    { numRuns: RUNS * 2 },
  );
  await fc.assert(
    fc.asyncProperty(requestsLike({ subjectId: 'fuzz-1', channel: 'fax', reason: 'x' }), async (report) => {
      await cohort.executeUpdate('reportDelivery', { args: [report] }).catch((err: unknown) => expect(err).toBeInstanceOf(WorkflowUpdateFailedError));
    }),
    { numRuns: RUNS },
  );
  await fc.assert(
    fc.asyncProperty(fc.jsonValue(), async (subjectId) => {
      await cohort.query('subject', subjectId).catch((err: unknown) => expect(String(err)).toMatch(/subject id|must/));
    }),
    { numRuns: RUNS },
  );

  // Both workflows took every message without a failed task and still answer.
  expect(await failedWorkflowTasks(breach)).toBe(0);
  expect(await failedWorkflowTasks(cohort)).toBe(0);
  const after = await state(breach);
  expect(after.individuals).toEqual(quiet.individuals);
  expect(after.phase).toBe('notifying-individuals');

  // The audit shows the signals the workflows ignored, with the check they failed.
  await breach.signal('subjectFinished', { subjectId: 'fuzz-1', state: 'banana' });
  await cohort.signal('holdChanged', { active: 'no', round: 1 });
  await breach.signal('cohortReport', { cohort: 0, stage: 'final', counts: {}, unreachable: [] });
  const audit = (await buildAudit(engine.client, breachId))!;
  const ignored = audit.entries.filter((e) => e.kind.startsWith('signal-'));
  expect(ignored).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ kind: 'signal-unknown', summary: 'unknown signal "subjectFinished" ignored' }),
      expect.objectContaining({ kind: 'signal-refused', summary: 'cohort 0: signal holdChanged ignored: active must be boolean, not a string' }),
      expect.objectContaining({ kind: 'signal-refused', summary: 'signal cohortReport ignored: counts.rows is missing' }),
    ]),
  );
}, 240_000);

it('takes a hold and a cohort being final from the workflows themselves: a forged release changes nothing, nor a forged final report', async () => {
  const { breach, cohort } = await waitingBreach('forged');
  const holdActive = async () => (await cohort.query<{ holdActive: boolean }>('cohortStatus')).holdActive;

  // The cohort waits out its bounce window; a hold reaches it, and a release the breach never made does not.
  await breach.executeUpdate('placeHold', { args: [{ agency: 'City Police', caseRef: 'CP-9', reason: 'Investigation', by: 'Lena Legal' }] });
  expect(await holdActive()).toBe(true);
  await cohort.signal('holdChanged', { active: false, round: 99 });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  expect(await holdActive()).toBe(true);

  // A well-formed report that the cohort is final: the breach asks the cohort, which is not.
  const counts = { rows: 2, 'notified-email': 2, 'notified-fax': 0, 'notified-postal': 0, unreachable: 0, duplicate: 0 };
  await breach.signal('cohortReport', { cohort: 0, stage: 'final', counts, unreachable: [] });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const status = await state(breach);
  expect(status.individuals).toMatchObject({ inProgress: 2, notifiedByEmail: 0 });
  expect(status.phase).toBe('notifying-individuals');

  // The real release reaches the cohort.
  await breach.executeUpdate('releaseHold', { args: [{ holdId: 'hold-1', reason: 'Agency agreed', by: 'Lena Legal' }] });
  await eventually(holdActive, (active) => !active, 30_000);
  expect(await failedWorkflowTasks(breach)).toBe(0);
  expect(await failedWorkflowTasks(cohort)).toBe(0);
  await expectHistoryReplays(cohort, 'cohort-hold-read-from-breach');
  await expectHistoryReplays(breach, 'breach-final-report-confirmed');
}, 120_000);

it("completes a hold only once the cohort itself says it stopped: a forged cohortHeld does not", async () => {
  // Each message takes a while to be accepted, so that a batch is in flight when the hold comes.
  engine.sink.script.acceptDelayMs = 1500;
  try {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-held-'));
    const breachId = `held-${Date.now()}`;
    const roster = await writeRoster(dir, 'held', ['h-1', 'h-2', 'h-3', 'h-4', 'h-5'].map((id) => `${id},Hal Held,${id}@example.org,,,,,,,,en`));
    // Under regimes, so that their updates meet obligations, anchors and holds per regime.
  const regimes = breachRegimes(engine.config, { regimes: ['gdpr', 'california', 'nydfs'], residents: { 'US-CA': 2 }, anchors: { determination: new Date(Date.now() - 120_000).toISOString() } }, 2);
  const breach = await startBreach(engine.client, engine.config, breachFacts(breachId), undefined, roster, regimes);
    await breach.executeUpdate('assess', { args: [valid.assess] });
    const cohort = engine.client.workflow.getHandle(cohortWorkflowId(breachId, 0));
    const sending = async () => (await cohort.query<{ sending?: boolean }>('cohortStatus')).sending === true;
    await eventually(sending, (inFlight) => inFlight, 30_000);

    // Someone claims the cohort has already stopped for the hold about to be placed.
    const { round } = await breach.query<{ round: number }>('holdState');
    await breach.signal('cohortHeld', { cohort: 0, round: round + 1 });
    await breach.executeUpdate('placeHold', { args: [{ agency: 'City Police', caseRef: 'CP-7', reason: 'Investigation', by: 'Lena Legal' }] });
    // The request completed only once the batch in flight had returned: nothing more can begin.
    expect(await sending()).toBe(false);
    expect(await failedWorkflowTasks(breach)).toBe(0);
    await expectHistoryReplays(breach, 'breach-cohort-held-confirmed');
  } finally {
    engine.sink.script.acceptDelayMs = undefined;
  }
}, 120_000);
