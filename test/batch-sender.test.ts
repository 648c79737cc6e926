import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { Deferred, sendBatch, type BatchOptions, type SendOne } from '../activities/batch-sender';
import { HoldWatch } from '../activities/hold-watch';
import type { BatchItem, SendBatchRequest, SendBatchResult } from '../domain/batch';
import type { LoadSubjects, Subject } from '../domain/individuals';
import type { BreachNotice } from '../domain/notice';

const notice: BreachNotice = {
  breachId: '2026-BATCH',
  title: 'Customer DB exposed',
  description: 'A backup bucket was public for three days.',
  contactPoint: 'dpo@company.example',
  likelyConsequences: 'Phishing emails that look like ours.',
  measures: 'The bucket is closed and all keys are rotated.',
};

const people: Subject[] = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ({ subjectId: `s-${id}`, fullName: `Person ${id}`, email: `${id}@example.org` }));

function request(count: number): SendBatchRequest {
  const items: BatchItem[] = people.slice(0, count).map((p, i) => ({ subjectId: p.subjectId, rowOffset: 100 * (i + 1) }));
  return { notice, cohort: 3, roster: { path: '/rosters/batch.csv', sha256: 'a'.repeat(64), format: 'csv' }, items };
}

/** The roster read, recording which rows each attempt asked for. */
function loader(): { loadSubjects: LoadSubjects; rowsRead: string[][] } {
  const rowsRead: string[][] = [];
  const loadSubjects: LoadSubjects = async (_roster, rows) => {
    rowsRead.push(rows.map((r) => r.subjectId));
    return new Map(rows.map((r) => [r.subjectId, people.find((p) => p.subjectId === r.subjectId)!]));
  };
  return { loadSubjects, rowsRead };
}

const options: BatchOptions = { concurrency: 1, perSecond: 1000, maxDeferrals: 3 };
const quietLogger = new DefaultLogger('ERROR');

type Outcome = { result: SendBatchResult; error?: undefined; heartbeat: unknown } | { result?: undefined; error: Error; heartbeat: unknown };

/**
 * One attempt of the batch activity as the worker runs it. The last heartbeat is kept as the
 * server keeps it (serialised when sent), to hand to the next attempt as its heartbeat details.
 */
async function attempt(run: () => Promise<SendBatchResult>, info: { attempt: number; heartbeatDetails?: unknown }): Promise<Outcome> {
  const env = new MockActivityEnvironment(info, { logger: quietLogger });
  let heartbeat: unknown = info.heartbeatDetails;
  env.on('heartbeat', (details: unknown) => (heartbeat = structuredClone(details)));
  try {
    const result: SendBatchResult = await env.run(run);
    return { result, heartbeat };
  } catch (err) {
    return { error: err as Error, heartbeat };
  }
}

/** A provider that accepts everyone, recording what it was asked to send. */
function recordingSend(calls: { subjectId: string; attempt: number; mayExist?: boolean }[], refuse?: (subjectId: string) => Error | undefined): SendOne {
  return async (subject, ref, item) => {
    expect(ref).toEqual({ breachId: notice.breachId, cohort: 3, subjectId: subject.subjectId });
    calls.push({ subjectId: subject.subjectId, attempt: item.attempt, mayExist: item.mayExist });
    const refusal = refuse?.(subject.subjectId);
    if (refusal) throw refusal;
    return { providerId: `id-${subject.subjectId}`, contentSha256: 'c'.repeat(64) };
  };
}

describe('sendBatch', () => {
  it('records a permanent refusal as a failed item and sends the others', async () => {
    const calls: { subjectId: string; attempt: number }[] = [];
    const { loadSubjects } = loader();
    const send = recordingSend(calls, (id) => (id === 's-b' ? ApplicationFailure.nonRetryable('the subject has no email address', 'NoContactData') : undefined));

    const { result } = await attempt(() => sendBatch(request(3), loadSubjects, options, send), { attempt: 1 });

    expect(result?.stopped).toBe(false);
    expect(result?.results).toEqual([
      { sent: { providerId: 'id-s-a', contentSha256: 'c'.repeat(64), at: expect.any(String), activityAttempt: 1 } },
      { failed: 'the subject has no email address' },
      { sent: { providerId: 'id-s-c', contentSha256: 'c'.repeat(64), at: expect.any(String), activityAttempt: 1 } },
    ]);
    expect(calls.map((c) => c.subjectId)).toEqual(['s-a', 's-b', 's-c']);
  });

  it('fails the attempt on a deferral and, after maxDeferrals of them, fails that person only', async () => {
    const calls: { subjectId: string; attempt: number }[] = [];
    const { loadSubjects } = loader();
    const send = recordingSend(calls, (id) => (id === 's-b' ? new Deferred('452 4.2.2 mailbox full') : undefined));
    let heartbeatDetails: unknown;

    for (let n = 1; n < options.maxDeferrals; n++) {
      const deferred = await attempt(() => sendBatch(request(2), loadSubjects, options, send), { attempt: n, heartbeatDetails });
      expect(deferred.error).toBeInstanceOf(Deferred);
      heartbeatDetails = deferred.heartbeat;
    }
    const last = await attempt(() => sendBatch(request(2), loadSubjects, options, send), { attempt: options.maxDeferrals, heartbeatDetails });

    expect(last.result?.results[1]).toEqual({ failed: '452 4.2.2 mailbox full; 3 deferrals' });
    expect(last.result?.results[0]).toMatchObject({ sent: { providerId: 'id-s-a', activityAttempt: 1 } });
    // The person sent on the first attempt was never sent again.
    expect(calls.filter((c) => c.subjectId === 's-a')).toHaveLength(1);
    expect(calls.filter((c) => c.subjectId === 's-b')).toHaveLength(options.maxDeferrals);
  });

  it('throws on an outage after heartbeating its progress, and the retry sends only the rest', async () => {
    const calls: { subjectId: string; attempt: number; mayExist?: boolean }[] = [];
    const { loadSubjects, rowsRead } = loader();
    let relayUp = false;
    const send = recordingSend(calls, (id) => (id === 's-c' && !relayUp ? new Error('connect ECONNREFUSED 127.0.0.1:25') : undefined));

    const first = await attempt(() => sendBatch(request(4), loadSubjects, options, send), { attempt: 1 });

    expect(first.error?.message).toBe('connect ECONNREFUSED 127.0.0.1:25');
    expect(first.error).not.toBeInstanceOf(ApplicationFailure);
    expect(first.heartbeat).toMatchObject({ results: [{ sent: { providerId: 'id-s-a' } }, { sent: { providerId: 'id-s-b' } }, null, null] });
    // No send begins once our side has failed.
    expect(calls.map((c) => c.subjectId)).toEqual(['s-a', 's-b', 's-c']);

    relayUp = true;
    calls.length = 0;
    const second = await attempt(() => sendBatch(request(4), loadSubjects, options, send), { attempt: 2, heartbeatDetails: first.heartbeat });

    expect(calls).toEqual([
      { subjectId: 's-c', attempt: 2, mayExist: true },
      { subjectId: 's-d', attempt: 2, mayExist: true },
    ]);
    expect(rowsRead).toEqual([['s-a', 's-b', 's-c', 's-d'], ['s-c', 's-d']]);
    expect(second.result?.results.map((r) => r && 'sent' in r && [r.sent.providerId, r.sent.activityAttempt])).toEqual([
      ['id-s-a', 1],
      ['id-s-b', 1],
      ['id-s-c', 2],
      ['id-s-d', 2],
    ]);
    expect(second.result?.stopped).toBe(false);
  });

  it('passes mayExist on from the item on a first attempt', async () => {
    const calls: { subjectId: string; attempt: number; mayExist?: boolean }[] = [];
    const { loadSubjects } = loader();
    const req = request(2);
    req.items[1] = { ...req.items[1]!, mayExist: true };

    await attempt(() => sendBatch(req, loadSubjects, options, recordingSend(calls)), { attempt: 1 });

    expect(calls).toEqual([
      { subjectId: 's-a', attempt: 1, mayExist: false },
      { subjectId: 's-b', attempt: 1, mayExist: true },
    ]);
  });

  it('spaces the starts of its sends 1/perSecond apart, whatever the concurrency', async () => {
    const calls: { subjectId: string; attempt: number }[] = [];
    const { loadSubjects } = loader();
    const paced: BatchOptions = { concurrency: 3, perSecond: 20, maxDeferrals: 3 };

    const started = Date.now();
    const { result, error } = await attempt(() => sendBatch(request(6), loadSubjects, paced, recordingSend(calls)), { attempt: 1 });
    const elapsed = Date.now() - started;

    expect(error).toBeUndefined();
    expect(result?.results.every((r) => r !== null && 'sent' in r)).toBe(true);
    expect(calls.map((c) => c.subjectId).sort()).toEqual(people.map((p) => p.subjectId));
    // Six starts 50 ms apart: the last one begins at least 250 ms after the first (timers may round down by a millisecond).
    expect(elapsed).toBeGreaterThanOrEqual(245);
  });

  describe('with a hold watch', () => {
    const READ_EVERY_MS = 5;

    /** A breach whose hold the test places, read by a real HoldWatch; the second send places it. */
    function heldAfterSecondSend() {
      const breach = { held: false };
      const holds = new HoldWatch(async () => breach.held, READ_EVERY_MS);
      const calls: { subjectId: string; attempt: number }[] = [];
      const send = recordingSend(calls);
      const placing: SendOne = async (subject, ref, item) => {
        const evidence = await send(subject, ref, item);
        if (calls.length === 2) {
          breach.held = true;
          // The watch has read the hold before this send returns and its lane looks for the next person.
          await sleep(4 * READ_EVERY_MS);
        }
        return evidence;
      };
      return { breach, options: { ...options, holds }, calls, send: placing };
    }

    it('begins no send while its breach is held, and stops there when cancelled', async () => {
      const { options: held, calls, send } = heldAfterSecondSend();
      const { loadSubjects } = loader();
      const env = new MockActivityEnvironment({ attempt: 1 }, { logger: quietLogger });
      const running: Promise<SendBatchResult> = env.run(() => sendBatch(request(5), loadSubjects, held, send));

      await sleep(200);
      expect(calls.map((c) => c.subjectId)).toEqual(['s-a', 's-b']);
      env.cancel();
      const result = await running;

      expect(result.stopped).toBe(true);
      expect(result.results.map((r) => r !== null)).toEqual([true, true, false, false, false]);
      expect(calls).toHaveLength(2);
    });

    it('goes on where it paused when the hold is released before its cancellation arrives', async () => {
      const { breach, options: held, calls, send } = heldAfterSecondSend();
      const { loadSubjects } = loader();
      const env = new MockActivityEnvironment({ attempt: 1 }, { logger: quietLogger });
      const running: Promise<SendBatchResult> = env.run(() => sendBatch(request(5), loadSubjects, held, send));

      await sleep(100);
      expect(calls).toHaveLength(2);
      breach.held = false;
      const result = await running;

      expect(result.stopped).toBe(false);
      expect(calls.map((c) => c.subjectId)).toEqual(['s-a', 's-b', 's-c', 's-d', 's-e']);
    });
  });
});
