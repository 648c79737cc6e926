/**
 * The 72-hour clock on the time-skipping test server, with the real policy (no shortened
 * durations) and a real SMTP server receiving what the activities send.
 */
import { addHours } from 'date-fns/addHours';
import { differenceInMinutes } from 'date-fns/differenceInMinutes';
import { subHours } from 'date-fns/subHours';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimeSkippingEngine, type TimeSkippingEngine } from './support/time-skipping';
import type { BreachStatus } from '../domain/status';
import { assessUpdate, placeHoldUpdate, reviewHoldUpdate, provideLateReasonUpdate, statusQuery } from '../workflows/messages/breach';
import { breachFacts, eventually, expectHistoryReplays, startBreach } from './support/engine';

let engine: TimeSkippingEngine;
let env: TimeSkippingEngine['env'];
let sink: TimeSkippingEngine['sink'];
let config: TimeSkippingEngine['config'];

beforeAll(async () => {
  engine = await startTimeSkippingEngine('clock');
  ({ env, sink, config } = engine);
});

afterAll(async () => {
  await engine?.stop();
});

async function testNow(): Promise<Date> {
  return new Date(await env.currentTimeMs());
}

function hoursAfter(awareAt: Date, iso: string): number {
  return differenceInMinutes(new Date(iso), awareAt) / 60;
}

describe('the authority clock (time-skipping, real 72-hour policy)', () => {
  it('sends the Art. 33(3) report at hour 10 when the breach is assessed at hour 10, with every required element', async () => {
    const awareAt = await testNow();
    const facts = breachFacts('clock-assess-10h', { awareAt: awareAt.toISOString() });
    const handle = await startBreach(env.client, config, facts);

    await env.sleep('10 hours');
    await handle.executeUpdate(assessUpdate, { args: [{ risk: 'risk', rationale: 'Bank details exposed', by: 'Ines Responder' }] });
    const status = await eventually(() => handle.query(statusQuery), (s) => s.authorityNotice !== undefined);

    const notice = status.authorityNotice!;
    expect(hoursAfter(awareAt, notice.sentAt)).toBeCloseTo(10, 1);
    expect(notice).toMatchObject({ channel: 'email', onTime: true, deadline: addHours(awareAt, 72).toISOString() });
    expect(status.phase).toBe('authority-notified');
    expect(status.reminders).toEqual([]);

    const report = await sink.waitFor((m) => m.messageId === notice.messageId);
    expect(report.to).toEqual(['notices@authority.test']);
    for (const element of [
      'Art. 33(3)(a) Nature of the breach',
      facts.description,
      'Categories of personal data concerned: names, bank account numbers, salaries',
      'Approximate number of data subjects concerned: 340',
      'Approximate number of personal data records concerned: 4080',
      'Art. 33(3)(b) Contact point',
      facts.contactPoint,
      'Art. 33(3)(c) Likely consequences',
      facts.likelyConsequences,
      'Art. 33(3)(d) Measures taken or proposed',
      facts.measures,
    ]) {
      expect(report.text).toContain(element);
    }
    expect(report.text).not.toContain('Reasons for the delay');

    // Once the authority has the notice, the deadline passes without reminders.
    await env.sleep('70 hours');
    expect((await handle.query(statusQuery)).reminders).toEqual([]);
    await expectHistoryReplays(handle, 'clock-assess-at-hour-10');
  });

  it('reminds responders at 48, 24, 6 and 1 hours before the deadline, escalates at it, and keeps reminding after it', async () => {
    const awareAt = await testNow();
    const facts = breachFacts('clock-no-assessment', { awareAt: awareAt.toISOString() });
    const handle = await startBreach(env.client, config, facts);
    const mailsBefore = sink.messages.length;

    await env.sleep('77 hours');
    const status = await eventually(() => handle.query(statusQuery), (s) => s.reminders.length >= 6);

    expect(status.reminders.map((r) => [r.kind, Math.round(hoursAfter(awareAt, r.at))])).toEqual([
      ['reminder', 24],
      ['reminder', 48],
      ['reminder', 66],
      ['reminder', 71],
      ['escalation', 72],
      ['overdue', 76],
    ]);
    expect(status.reminders.every((r) => r.delivered)).toBe(true);
    expect(status.phase).toBe('awaiting-assessment');
    const reminderMails = sink.messages.slice(mailsBefore).filter((m) => m.subject.startsWith('[clock-no-assessment]'));
    expect(reminderMails.map((m) => m.subject)).toEqual([
      '[clock-no-assessment] 48 hours left to notify the authority',
      '[clock-no-assessment] 24 hours left to notify the authority',
      '[clock-no-assessment] 6 hours left to notify the authority',
      '[clock-no-assessment] 1 hours left to notify the authority',
      '[clock-no-assessment] ESCALATION: the authority deadline has been reached',
      '[clock-no-assessment] OVERDUE: the authority has still not been notified',
    ]);
    expect(reminderMails.every((m) => m.to.join() === 'ir@company.test')).toBe(true);
    await expectHistoryReplays(handle, 'clock-reminders');
  });

  it('holds a late report until a reason for the delay is given, then sends it with the reason', async () => {
    const now = await testNow();
    const awareAt = subHours(now, 80);
    const facts = breachFacts('clock-late', { awareAt: awareAt.toISOString() });
    const handle = await startBreach(env.client, config, facts);

    await handle.executeUpdate(assessUpdate, { args: [{ risk: 'high', rationale: 'Bank details exposed', by: 'Ines Responder' }] });
    let status: BreachStatus = await handle.query(statusQuery);
    expect(status.phase).toBe('awaiting-late-reason');
    expect(status.pastDeadline).toBe(true);

    await env.sleep('5 hours');
    status = await eventually(() => handle.query(statusQuery), (s) => s.reminders.some((r) => r.kind === 'overdue'));
    expect(status.authorityNotice).toBeUndefined();
    expect(status.reminders[0]?.kind).toBe('escalation');
    expect(sink.messages.some((m) => m.subject.includes('Personal data breach notification: clock-late'))).toBe(false);

    const reason = 'The breach was found by a contractor who reported it to us only on day four.';
    await handle.executeUpdate(provideLateReasonUpdate, { args: [{ reason, by: 'Dana DPO' }] });
    status = await eventually(() => handle.query(statusQuery), (s) => s.authorityNotice !== undefined);
    expect(status.authorityNotice).toMatchObject({ onTime: false, lateReason: reason });
    const report = await sink.waitFor((m) => m.messageId === status.authorityNotice!.messageId);
    expect(report.text).toContain(`Art. 33(1) Reasons for the delay\n${reason}`);
    expect(report.subject).toBe('LATE Personal data breach notification: clock-late');
    await expectHistoryReplays(handle, 'clock-late-report');
  });

  it('does not delay the authority notice for a hold, and reminds legal when a hold passes its review date', async () => {
    const awareAt = await testNow();
    const handle = await startBreach(env.client, config, breachFacts('clock-hold-review', { awareAt: awareAt.toISOString() }));
    const hold = await handle.executeUpdate(placeHoldUpdate, {
      args: [{ agency: 'Metropolitan Police', caseRef: 'MP-77', reason: 'Covert investigation', by: 'Lena Legal', reviewAt: addHours(awareAt, 24).toISOString() }],
    });
    await handle.executeUpdate(assessUpdate, { args: [{ risk: 'high', rationale: 'Bank details', by: 'Ines Responder' }] });
    let status = await eventually(() => handle.query(statusQuery), (s) => s.authorityNotice !== undefined);
    expect(status.holds.active.map((h) => h.holdId)).toEqual([hold.holdId]);

    await env.sleep('25 hours');
    status = await eventually(() => handle.query(statusQuery), (s) => s.reminders.some((r) => r.kind === 'hold-review'));
    const review = status.reminders.find((r) => r.kind === 'hold-review')!;
    expect(review).toMatchObject({ holdId: 'hold-1', delivered: true });
    expect(hoursAfter(awareAt, review.at)).toBeCloseTo(24, 1);
    const mail = await sink.waitFor((m) => m.subject === '[clock-hold-review] Review of law-enforcement hold hold-1 is due');
    expect(mail.to).toEqual(['legal@company.test']);
    await expectHistoryReplays(handle, 'clock-hold-review');
  });

  it('reminds legal at the new review date once a review moves it, not at the old one', async () => {
    const awareAt = await testNow();
    const handle = await startBreach(env.client, config, breachFacts('clock-hold-reviewed', { awareAt: awareAt.toISOString() }));
    await handle.executeUpdate(placeHoldUpdate, { args: [{ agency: 'Metropolitan Police', caseRef: 'MP-78', reason: 'Covert investigation', by: 'Lena Legal', reviewAt: addHours(awareAt, 24).toISOString() }] });
    await env.sleep('12 hours');
    const reviewed = await handle.executeUpdate(reviewHoldUpdate, { args: [{ holdId: 'hold-1', kind: 'extended', reviewAt: addHours(awareAt, 48).toISOString(), reason: 'The agency asked for two more days', by: 'Lena Legal' }] });
    expect(reviewed.reviews).toEqual([expect.objectContaining({ kind: 'extended', by: 'Lena Legal', reviewAt: addHours(awareAt, 48).toISOString() })]);

    // The old review date passes without a reminder; the new one brings it.
    await env.sleep('18 hours');
    expect((await handle.query(statusQuery)).reminders.filter((r) => r.kind === 'hold-review')).toEqual([]);
    await env.sleep('20 hours');
    const status = await eventually(() => handle.query(statusQuery), (s) => s.reminders.some((r) => r.kind === 'hold-review'));
    const reminders = status.reminders.filter((r) => r.kind === 'hold-review');
    expect(reminders).toHaveLength(1);
    expect(hoursAfter(awareAt, reminders[0]!.at)).toBeCloseTo(48, 1);
    await expectHistoryReplays(handle, 'clock-hold-review-moved');
  });
});
