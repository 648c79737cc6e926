/**
 * Refused delivery reports leave no event in a cohort's history (Temporal discards the workflow
 * task that carried only refused updates), so nothing may happen in that task: a send begun there,
 * because the clock alone had passed its due time, could not be replayed, and the cohort's next
 * workflow task failed as nondeterministic, leaving its people unnotified and every later report
 * unanswered. Found by the benchmark at 100,000 people (two cohorts stuck). Here every workflow
 * task replays the whole history (no workflow cache), which both widens the moment at which a
 * refused report can meet a due send and turns any such mistake into a failed task.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cohortWorkflowId, noticeOfMessageId } from '../domain/ids';
import { startLobSandbox, type LobSandbox } from '../sandbox/lob-sandbox';
import { startTelnyxSandbox, type TelnyxSandbox } from '../sandbox/telnyx-sandbox';
import { assessUpdate, statusQuery } from '../workflows/messages/breach';
import { reportDeliveryUpdate } from '../workflows/messages/cohort';
import { sandboxChannels, sandboxEnv, writeRoster } from './support/cascade';
import { breachFacts, eventually, expectHistoryReplays, startBreach, startDevEngine, workflowBundle, type DevEngine } from './support/engine';

const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-refused-'));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PEOPLE = 60;
const COHORT_SIZE = 5;
let telnyx: TelnyxSandbox;
let lob: LobSandbox;
let engine: DevEngine;

beforeAll(async () => {
  telnyx = await startTelnyxSandbox({ stepMs: 20 });
  lob = await startLobSandbox();
  engine = await startDevEngine('refused-reports', {
    env: sandboxEnv(telnyx, lob),
    configure(config) {
      // No cache: each workflow task replays the history, slowly, and fails on anything it cannot replay.
      config.temporal.maxCachedWorkflows = 0;
      config.individuals = {
        ...config.individuals,
        channels: ['email', 'fax', 'postal'],
        // Everyone's email bounces, so nobody waits for the window; a long one keeps a report that is slow under this load inside it.
        bounceWindow: '10 minutes',
        faxPollInterval: '200 ms',
        // A bounced person's fax falls due this long after the report: the cohort waits for it with a timer.
        fallbackDelay: '1 second',
        cohortSize: COHORT_SIZE,
        batchSize: COHORT_SIZE,
        sendingCohorts: 4,
      };
      config.channels = sandboxChannels(telnyx, lob);
    },
  });
});

afterAll(async () => {
  await engine?.stop();
  await telnyx?.stop();
  await lob?.stop();
});

/** Reports for someone in no cohort, as a stray webhook would send them, until `stop`; each cohort's validator refuses them. */
function strayReports(breachId: string, cohorts: number) {
  let running = true;
  let refused = 0;
  const loops = Array.from({ length: cohorts }, async (_, cohort) => {
    const handle = engine.client.workflow.getHandle(cohortWorkflowId(breachId, cohort));
    while (running) {
      try {
        await handle.executeUpdate(reportDeliveryUpdate, { args: [{ subjectId: 'not-in-this-cohort', channel: 'email', reason: '550 5.1.1 (stray)', source: 'test' }] });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) refused++;
        // Before the cohort has started there is nothing to report to.
        else await pause(20);
      }
    }
  });
  return {
    async stop(): Promise<number> {
      running = false;
      await Promise.all(loops);
      return refused;
    },
  };
}

/** Reports each email of the breach as bounced as soon as the sink has it, as a bounce processor would: the person's fax falls due a fallback delay later. */
function bounceEveryEmail(breachId: string) {
  let running = true;
  let seen = 0;
  const reported = new Set<string>();
  const reports: Promise<string | undefined>[] = [];
  const bounce = async (cohort: number, subjectId: string): Promise<string | undefined> => {
    try {
      await engine.client.workflow.getHandle(cohortWorkflowId(breachId, cohort)).executeUpdate(reportDeliveryUpdate, { args: [{ subjectId, channel: 'email', reason: '550 5.1.1 mailbox unknown', source: 'test' }] });
      return undefined;
    } catch (err) {
      return `${subjectId}: ${err instanceof WorkflowUpdateFailedError ? err.cause?.message : String(err)}`;
    }
  };
  const loop = (async () => {
    while (running) {
      const mail = engine.sink.messages[seen];
      if (!mail) {
        await pause(20);
        continue;
      }
      seen++;
      const notice = noticeOfMessageId(mail.messageId);
      // A batch retried under this load may send a copy again, with the same Message-ID: one bounce per person.
      if (notice?.breachId !== breachId || reported.has(notice.subjectId)) continue;
      reported.add(notice.subjectId);
      // Each report on its own: one cohort slow to answer must not hold back the others' reports.
      reports.push(bounce(notice.cohort, notice.subjectId));
    }
  })();
  return {
    /** The reports that failed, each with its reason; all of them once every email was seen. */
    async stop(): Promise<{ reported: number; failures: string[] }> {
      running = false;
      await loop;
      const failures = (await Promise.all(reports)).filter((f): f is string => f !== undefined);
      return { reported: reports.length, failures };
    },
  };
}

describe('refused delivery reports during a cascade', () => {
  it('change nothing in the cohorts: every person is final and every cohort history replays', async () => {
    const breachId = `refused-${Date.now()}`;
    // Every email bounces and every third fax fails: each cohort waits for its faxes to fall due, and
    // stray reports arrive all the while.
    const rows = Array.from({ length: PEOPLE }, (_, i) => {
      const fax = `+1312555${2000 + i}`;
      if (i % 3 === 0) telnyx.script.failNumbers.add(fax);
      return `p${i},Person ${i},p${i}@example.org,${fax},210 King St,,San Francisco,CA,94107,US,en`;
    });
    engine.sink.messages.length = 0;
    const people = await writeRoster(dir, 'refused', rows);
    const handle = await startBreach(engine.client, engine.config, breachFacts(breachId), undefined, people);
    const cohorts = PEOPLE / COHORT_SIZE;
    const stray = strayReports(breachId, cohorts);
    const bounces = bounceEveryEmail(breachId);
    try {
      await handle.executeUpdate(assessUpdate, { args: [{ risk: 'high', rationale: 'Bank details exposed', by: 'Ines Responder' }] });
      const status = await eventually(() => handle.query(statusQuery), (s) => s.individuals.pending + s.individuals.inProgress === 0, 120_000);
      expect(status.individuals).toMatchObject({ notifiedByEmail: 0, notifiedByFax: 40, notifiedByPostal: 20, unreachable: 0 });
    } finally {
      expect(await bounces.stop()).toEqual({ reported: PEOPLE, failures: [] });
      expect(await stray.stop()).toBeGreaterThan(100);
    }

    for (let cohort = 0; cohort < cohorts; cohort++) {
      // The delivered run continued from the sending run, which holds the cascade.
      const delivered = await engine.client.workflow.getHandle(cohortWorkflowId(breachId, cohort)).fetchHistory();
      const sendingRunId = delivered.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
      expect(sendingRunId).toBeTruthy();
      const sending = engine.client.workflow.getHandle(cohortWorkflowId(breachId, cohort), sendingRunId!);
      const history = await sending.fetchHistory();
      expect((history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes).map((e) => e.workflowTaskFailedEventAttributes?.failure?.message)).toEqual([]);
      // One cohort's history is kept for the replay test (CAPTURE_HISTORIES); the others are only replayed.
      if (cohort === 0) await expectHistoryReplays(sending, 'cohort-refused-reports', sendingRunId!);
      else await Worker.runReplayHistory({ workflowBundle: workflowBundle(), replayName: sending.workflowId }, history, sending.workflowId);
    }
    await expectHistoryReplays(handle, 'breach-refused-reports');
  }, 180_000);
});
