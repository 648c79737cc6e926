import { describe, expect, it } from 'vitest';
import type { BatchItem, ItemResult } from '../domain/batch';
import type { CascadePolicy, Outcome } from '../domain/cascade';
import { CohortState, DeliveredCohort } from '../domain/cohort-state';
import type { Channel, RosterEntry } from '../domain/individuals';

/** Times are plain milliseconds: the state machine never reads a clock. */
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const policy: CascadePolicy = {
  channels: ['email', 'fax', 'postal'],
  taskQueues: { email: 'q-email', fax: 'q-fax', postal: 'q-postal' },
  bounceWindowMs: 1_000,
  faxPollIntervalMs: 100,
  emailMaxAttempts: 3,
  cohortSize: 500,
  sendingCohorts: 4,
  batchSizes: { email: 10, fax: 10, postal: 10 },
  faxStatusTaskQueue: 'q-fax-status',
  fallbackDelayMs: 50,
  outageRetryForMs: 60_000,
  continueAsNewAfterEvents: 10_000,
};

let line = 1;
function entry(subjectId: string, channels: Channel[], extra: Partial<RosterEntry> = {}): RosterEntry {
  line++;
  return { subjectId, rowOffset: line * 64, line, channels, ...extra };
}

function cohort(entries: RosterEntry[], now = T0): CohortState {
  const state = new CohortState(policy);
  state.load(entries, now);
  return state;
}

function accepted(providerId: string, at: number, activityAttempt = 1): ItemResult {
  return { sent: { providerId, at: iso(at), contentSha256: 'c'.repeat(64), activityAttempt } };
}

/** Takes the due items of a channel, marks them sending and records what the provider answered. */
function send(state: CohortState, channel: Channel, now: number, answer: (item: BatchItem) => ItemResult | null = (item) => accepted(`${channel}-${item.subjectId}`, now)): BatchItem[] {
  const items = state.due(channel, now, policy.batchSizes[channel]);
  state.markSending(items);
  state.recordBatch(channel, items, items.map(answer), now);
  return items;
}

const ids = (items: BatchItem[]) => items.map((i) => i.subjectId);

describe('CohortState', () => {
  it('counts an accepted email as delivered once the bounce window has passed without a bounce', () => {
    const a = entry('a', ['email']);
    const state = cohort([a]);
    expect(state.view('a', 3)).toMatchObject({ state: 'pending', channel: 'email', cohort: 3 });

    const items = state.due('email', T0, 10);
    expect(items).toEqual([{ subjectId: 'a', rowOffset: a.rowOffset }]);
    state.markSending(items);
    expect(state.view('a', 3)?.state).toBe('sending');
    expect(state.allContacted()).toBe(true);
    state.recordBatch('email', items, [accepted('<notice.a@x>', T0 + 10)], T0 + 10);

    expect(state.view('a', 3)?.state).toBe('awaiting-report');
    expect(state.nextWakeAt(true)).toBe(T0 + 10 + policy.bounceWindowMs);
    state.expireBounceWindows(T0 + 1009);
    expect(state.allFinal()).toBe(false);
    state.expireBounceWindows(T0 + 1010);

    expect(state.allFinal()).toBe(true);
    expect(state.outcomes()).toEqual([{ subjectId: 'a', state: 'notified-email' }]);
    expect(state.counts()).toEqual({ rows: 1, 'notified-email': 1, 'notified-fax': 0, 'notified-postal': 0, unreachable: 0, duplicate: 0 });
    expect(state.view('a', 3)?.attempts.map((x) => [x.channel, x.outcome, x.providerId])).toEqual([
      ['email', 'accepted', '<notice.a@x>'],
      ['email', 'delivered', '<notice.a@x>'],
    ]);
  });

  it('moves a bounced email to fax after the fallback delay, so that several travel in one batch', () => {
    const state = cohort([entry('a', ['email', 'fax']), entry('b', ['email', 'fax'])]);
    send(state, 'email', T0);

    expect(state.reportProblem({ subjectId: 'a', channel: 'email', reason: '550 no such user' })).toBeUndefined();
    state.report({ subjectId: 'a', channel: 'email', reason: '550 no such user', source: 'cli' }, T0 + 100);
    state.report({ subjectId: 'b', channel: 'email', reason: '552 mailbox full' }, T0 + 120);

    expect(state.view('a', 0)?.attempts.at(-1)).toMatchObject({ channel: 'email', outcome: 'bounced', reason: '550 no such user (cli)', providerId: 'email-a' });
    expect(state.hasDue(T0 + 149)).toBe(false);
    expect(state.nextWakeAt(true)).toBe(T0 + 150);
    expect(ids(state.due('fax', T0 + 150, 10))).toEqual(['a']);
    expect(ids(state.due('fax', T0 + 170, 10))).toEqual(['a', 'b']);
    expect(state.due('email', T0 + 170, 10)).toEqual([]);
  });

  it('moves a failed fax to post, and counts a delivered fax', () => {
    const state = cohort([entry('a', ['fax', 'postal']), entry('b', ['fax'])]);
    expect(state.view('a', 0)?.attempts).toEqual([{ channel: 'email', at: iso(T0), outcome: 'skipped', reason: 'no contact data for this channel' }]);
    send(state, 'fax', T0);

    expect(state.faxesToPoll(T0 + 99)).toEqual([]);
    expect(state.faxesToPoll(T0 + 100)).toEqual(['fax-a', 'fax-b']);
    state.recordFaxStatuses([{ faxId: 'fax-a', status: 'pending', providerStatus: 'sending' }, { faxId: 'fax-b', status: 'delivered', providerStatus: 'delivered' }], T0 + 100);
    expect(state.view('b', 0)?.state).toBe('notified-fax');
    expect(state.faxesToPoll(T0 + 150)).toEqual([]);
    expect(state.faxesToPoll(T0 + 200)).toEqual(['fax-a']);

    state.recordFaxStatuses([{ faxId: 'fax-a', status: 'failed', providerStatus: 'failed', failureReason: 'receiver_no_answer' }], T0 + 200);
    expect(state.view('a', 0)?.attempts.at(-1)).toMatchObject({ channel: 'fax', outcome: 'failed', reason: 'receiver_no_answer' });
    expect(ids(state.due('postal', T0 + 200, 10))).toEqual(['a']);

    send(state, 'postal', T0 + 200, () => ({ sent: { providerId: 'ltr_1', at: iso(T0 + 200), contentSha256: 'c'.repeat(64), expectedDeliveryDate: '2026-03-06', activityAttempt: 1 } }));
    expect(state.allFinal()).toBe(true);
    expect(state.outcomes()).toEqual([
      { subjectId: 'a', state: 'notified-postal' },
      { subjectId: 'b', state: 'notified-fax' },
    ]);
    expect(state.view('a', 0)?.attempts.at(-1)).toMatchObject({ channel: 'postal', outcome: 'accepted', providerId: 'ltr_1', reason: 'expected delivery 2026-03-06' });
  });

  it('skips channels without contact data and names every reason of an unreachable subject', () => {
    const state = cohort([entry('none', []), entry('bad', [], { line: 3, problem: 'email is not a valid address' }), entry('refused', ['email'])]);
    send(state, 'email', T0, () => ({ failed: 'SMTP 550 relay denied' }));

    expect(state.allFinal()).toBe(true);
    expect(state.outcomes()).toEqual([
      {
        subjectId: 'none',
        state: 'unreachable',
        reasons: ['email: no contact data for this channel', 'fax: no contact data for this channel', 'postal: no contact data for this channel'],
      },
      { subjectId: 'bad', state: 'unreachable', reasons: ['roster line 3: email is not a valid address'] },
      {
        subjectId: 'refused',
        state: 'unreachable',
        reasons: ['email: SMTP 550 relay denied', 'fax: no contact data for this channel', 'postal: no contact data for this channel'],
      },
    ]);
    expect(state.unreachable(2).map((o) => o.subjectId)).toEqual(['none', 'bad']);
    expect(state.counts().unreachable).toBe(3);
  });

  it('notifies a subject on two rows once, at the first, and counts the second as a duplicate', () => {
    const first = entry('dup', ['email']);
    const state = cohort([first, entry('dup', ['email']), entry('flagged', [], { duplicate: true }), entry('other', ['email'])]);

    expect(state.due('email', T0, 10)).toEqual([
      { subjectId: 'dup', rowOffset: first.rowOffset },
      { subjectId: 'other', rowOffset: expect.any(Number) },
    ]);
    send(state, 'email', T0);
    state.expireBounceWindows(T0 + policy.bounceWindowMs);

    expect(state.allFinal()).toBe(true);
    expect(state.counts()).toMatchObject({ rows: 4, 'notified-email': 2, duplicate: 2, unreachable: 0 });
    expect(state.outcomes().map((o) => o.subjectId)).toEqual(['dup', 'other']);
    expect(state.view('dup', 0)?.state).toBe('notified-email');
  });

  it('keeps a report that arrives while the batch is still sending and applies it to the evidence', () => {
    const state = cohort([entry('a', ['email', 'postal'])]);
    const items = state.due('email', T0, 10);
    state.markSending(items);
    const version = state.version;

    expect(state.reportProblem({ subjectId: 'a', channel: 'email', reason: '550 no such user' })).toBeUndefined();
    state.report({ subjectId: 'a', channel: 'email', reason: '550 no such user' }, T0 + 5);
    expect(state.version).toBe(version + 1);
    expect(state.view('a', 0)?.state).toBe('sending');

    state.recordBatch('email', items, [accepted('<notice.a@x>', T0 + 10)], T0 + 10);
    expect(state.view('a', 0)?.attempts.map((x) => `${x.channel} ${x.outcome}`)).toEqual(['email accepted', 'email bounced', 'fax skipped']);
    expect(ids(state.due('postal', T0 + 10 + policy.fallbackDelayMs, 10))).toEqual(['a']);
  });

  it('refuses reports that do not fit the subject', () => {
    const state = cohort([entry('a', ['email', 'fax'])]);
    expect(state.reportProblem({ subjectId: 'zz', channel: 'email', reason: 'x' })).toBe("subject 'zz' is not in this cohort");
    expect(state.reportProblem({ subjectId: 'a', channel: 'fax', reason: 'x' })).toBe("the notice to subject 'a' is not waiting for a fax report");
    expect(state.reportProblem({ subjectId: 'a', channel: 'postal', reason: 'x' })).toBe("no letter to subject 'a' counts as delivered");
  });

  it('requeues a stopped batch at once, and a cancelled one as possibly sent', () => {
    const state = cohort([entry('a', ['email']), entry('b', ['email']), entry('c', ['email'])]);
    // A hold stopped the batch after its first item.
    send(state, 'email', T0, (item) => (item.subjectId === 'a' ? accepted('<notice.a@x>', T0) : null));
    expect(state.due('email', T0, 10)).toEqual([expect.objectContaining({ subjectId: 'b' }), expect.objectContaining({ subjectId: 'c' })]);
    expect(state.due('email', T0, 10).some((i) => i.mayExist)).toBe(false);

    const items = state.due('email', T0, 10);
    state.markSending(items);
    state.requeueBatch(items, T0 + 1, true);
    expect(state.due('email', T0 + 1, 10)).toEqual(items.map((i) => ({ ...i, mayExist: true })));
    expect(state.view('b', 0)?.state).toBe('sending');
  });

  it('retries an outage on our side with backoff, marks nobody unreachable for it until outageRetryForMs, then moves on', () => {
    const state = cohort([entry('a', ['email', 'fax']), entry('b', ['email'])]);
    const outage = (now: number) => {
      const items = state.due('email', now, 10);
      expect(ids(items)).toEqual(['a', 'b']);
      state.markSending(items);
      return state.channelOutage('email', items, 'connect ECONNREFUSED', now);
    };

    expect(outage(T0)).toEqual({ channel: 'email', since: iso(T0), reason: 'connect ECONNREFUSED' });
    expect(state.currentFailure()).toEqual({ channel: 'email', since: iso(T0), reason: 'connect ECONNREFUSED' });
    expect(state.due('email', T0 + 4_999, 10)).toEqual([]);
    expect(state.nextWakeAt(true)).toBe(T0 + 5_000);
    expect(state.due('email', T0 + 5_000, 10).every((i) => i.mayExist)).toBe(true);

    // The backoff doubles: 5 s, 10 s, 20 s, 40 s.
    let at = T0;
    for (const backoff of [5_000, 10_000, 20_000, 40_000]) {
      at += backoff;
      expect(state.hasDue(at - 1)).toBe(false);
      expect(state.counts().unreachable).toBe(0);
      outage(at);
    }
    // 75 s after the first failure, past outageRetryForMs: the channel counts as failed for them.
    expect(at - T0).toBe(75_000);
    expect(state.unreachable()).toEqual([
      {
        subjectId: 'b',
        state: 'unreachable',
        reasons: [`email: the email channel was unavailable on our side since ${iso(T0)} (connect ECONNREFUSED)`, 'fax: no contact data for this channel', 'postal: no contact data for this channel'],
      },
    ]);
    expect(state.due('fax', at, 10)).toEqual([{ subjectId: 'a', rowOffset: expect.any(Number) }]);

    expect(state.channelWorks('email')).toBe(true);
    expect(state.channelWorks('email')).toBe(false);
    expect(state.currentFailure()).toBeUndefined();
  });

  it('ignores due sends when looking for the next wake-up during a hold, but not bounce windows', () => {
    const state = cohort([entry('a', ['email']), entry('b', ['email'])]);
    expect(state.nextWakeAt(true)).toBe(T0);
    expect(state.nextWakeAt(false)).toBeUndefined();

    send(state, 'email', T0, (item) => (item.subjectId === 'a' ? accepted('<notice.a@x>', T0) : null));
    expect(state.nextWakeAt(false)).toBe(T0 + policy.bounceWindowMs);
    expect(state.nextWakeAt(true)).toBe(T0);
  });

  it('records the activity attempt of evidence from a retried batch', () => {
    const state = cohort([entry('a', ['email'])]);
    send(state, 'email', T0, () => accepted('<notice.a@x>', T0, 2));
    expect(state.view('a', 0)?.attempts[0]).toMatchObject({ outcome: 'accepted', activityAttempt: 2 });
  });

  it('records a delay report as evidence without moving the person on', () => {
    const state = cohort([entry('a', ['email', 'fax'])]);
    send(state, 'email', T0);
    state.report({ subjectId: 'a', channel: 'email', reason: 'delivery status notification: delayed, status 4.4.1', source: 'dsn', observation: 'delayed' }, T0 + 100);
    expect(state.view('a', 0)).toMatchObject({ state: 'awaiting-report', channel: 'email' });
    expect(state.view('a', 0)?.attempts.at(-1)).toMatchObject({ channel: 'email', outcome: 'delayed', reason: 'delivery status notification: delayed, status 4.4.1 (dsn)' });
    expect(state.due('fax', T0 + 10_000, 10)).toEqual([]);
  });

    it('takes a returned letter for a subject notified by post', () => {
    const state = cohort([entry('a', ['postal']), entry('b', ['email', 'postal'])]);
    send(state, 'postal', T0);
    send(state, 'email', T0);

    expect(state.reportProblem({ subjectId: 'b', channel: 'postal', reason: 'x' })).toBe("no letter to subject 'b' counts as delivered");
    expect(state.reportProblem({ subjectId: 'a', channel: 'postal', reason: 'x' })).toBeUndefined();
    state.report({ subjectId: 'a', channel: 'postal', reason: 'unknown addressee', source: 'lob' }, T0 + 500);

    expect(state.view('a', 0)?.state).toBe('unreachable');
    expect(state.view('a', 0)?.attempts.at(-1)).toMatchObject({ channel: 'postal', outcome: 'returned', providerId: 'postal-a', reason: 'unknown addressee (lob)' });
  });

  it('resumes, in a new run, each person from where the ended run left them, sending nothing twice that it knew was sent', () => {
    const rows = [entry('final', ['email']), entry('waiting', ['email']), entry('mid-send', ['email', 'fax']), entry('unreached', ['email']), entry('unreach', ['email']), entry('fresh', ['postal'])];
    // The ended run: 'final' was delivered, 'waiting' awaits its bounce window, 'unreach' was refused,
    // 'unreached' was in a batch that ended before reaching it, 'mid-send' was in a batch when the
    // workflow ended, 'fresh' (post only) was never contacted.
    const state = cohort(rows, T0 - 2_000);
    send(state, 'email', T0 - 2_000, (item) => (item.subjectId === 'final' ? accepted('<notice.final@x>', T0 - 2_000) : item.subjectId === 'unreach' ? { failed: 'mailbox unknown' } : null));
    state.expireBounceWindows(T0 - 1_000);
    send(state, 'email', T0 - 500, (item) => (item.subjectId === 'waiting' ? accepted('<notice.waiting@x>', T0 - 500) : null));
    state.markSending(state.due('email', T0, 10).filter((i) => i.subjectId === 'mid-send'));

    const progress = state.progress();
    expect(progress.map((p) => [p.subjectId, p.stage, p.final, p.mayExist])).toEqual([
      ['final', 'final', 'notified-email', undefined],
      ['waiting', 'awaiting', undefined, undefined],
      ['mid-send', 'due', undefined, true],
      ['unreached', 'due', undefined, undefined],
      ['unreach', 'final', 'unreachable', undefined],
    ]);

    const resumed = new CohortState(policy);
    resumed.load(rows, T0 + 10, progress);
    expect(resumed.counts()).toMatchObject({ rows: 6, 'notified-email': 1, unreachable: 1 });
    expect(resumed.outcomes().find((o) => o.subjectId === 'unreach')?.reasons).toEqual(['email: mailbox unknown', 'fax: no contact data for this channel', 'postal: no contact data for this channel']);
    // The one that may have gone out is sent again flagged, so the channel looks it up or reuses its notice id; the others as usual.
    expect(resumed.due('email', T0 + 10, 10)).toEqual([
      { subjectId: 'mid-send', rowOffset: rows[2]!.rowOffset, mayExist: true },
      { subjectId: 'unreached', rowOffset: rows[3]!.rowOffset },
    ]);
    expect(ids(resumed.due('postal', T0 + 10, 10))).toEqual(['fresh']);
    // The email awaiting its report is not resent: it is delivered when its bounce window ends, as in the ended run.
    expect(resumed.view('waiting', 0)?.state).toBe('awaiting-report');
    resumed.expireBounceWindows(T0 - 500 + policy.bounceWindowMs);
    expect(resumed.view('waiting', 0)?.state).toBe('notified-email');
  });
});

describe('DeliveredCohort', () => {
  const outcomes: Outcome[] = [
    { subjectId: 'a', state: 'notified-postal' },
    { subjectId: 'b', state: 'notified-email' },
    { subjectId: 'c', state: 'unreachable', reasons: ['email: no contact data for this channel'] },
  ];

  it('takes a returned letter only for a subject notified by post, and makes them unreachable', () => {
    const delivered = new DeliveredCohort(outcomes);

    expect(delivered.reportProblem({ subjectId: 'zz', channel: 'postal', reason: 'x' })).toBe("subject 'zz' is not in this cohort");
    expect(delivered.reportProblem({ subjectId: 'a', channel: 'email', reason: 'x' })).toBe("the notification of subject 'a' has already finished");
    expect(delivered.reportProblem({ subjectId: 'b', channel: 'postal', reason: 'x' })).toBe("no letter to subject 'b' counts as delivered");
    expect(delivered.reportProblem({ subjectId: 'a', channel: 'postal', reason: 'x' })).toBeUndefined();

    delivered.returned({ subjectId: 'a', channel: 'postal', reason: 'unknown addressee' });

    expect(delivered.outcome('a')).toEqual({ subjectId: 'a', state: 'unreachable', reasons: ['postal: returned to sender (unknown addressee)'] });
    expect(delivered.counts(4, 1)).toEqual({ rows: 4, 'notified-email': 1, 'notified-fax': 0, 'notified-postal': 0, unreachable: 2, duplicate: 1 });
    expect(delivered.unreachable().map((o) => o.subjectId)).toEqual(['a', 'c']);
    // The outcomes the cohort continued as new with are left as they were.
    expect(outcomes[0]).toEqual({ subjectId: 'a', state: 'notified-postal' });
  });
});
