import { describe, expect, it } from 'vitest';
import { authorityDeadline, describeTimeLeft, upcomingCheckpoints } from '../domain/deadline';

const awareAt = new Date('2026-03-28T09:30:00Z');

describe('authority deadline', () => {
  it('is awareness plus the configured hours, across a daylight-saving change', () => {
    // 72 elapsed hours, not three calendar days: the EU clocks change on 2026-03-29.
    expect(authorityDeadline(awareAt, 72).toISOString()).toBe('2026-03-31T09:30:00.000Z');
  });

  it('lists the reminder checkpoints ahead, earliest first, then the escalation', () => {
    const deadline = authorityDeadline(awareAt, 72);
    expect(upcomingCheckpoints(deadline, [1, 48, 6, 24, 24], awareAt).map((c) => [c.kind, c.hoursBeforeDeadline, c.at.toISOString()])).toEqual([
      ['reminder', 48, '2026-03-29T09:30:00.000Z'],
      ['reminder', 24, '2026-03-30T09:30:00.000Z'],
      ['reminder', 6, '2026-03-31T03:30:00.000Z'],
      ['reminder', 1, '2026-03-31T08:30:00.000Z'],
      ['escalation', 0, '2026-03-31T09:30:00.000Z'],
    ]);
  });

  it('drops checkpoints already passed for a back-dated breach but keeps the escalation', () => {
    const deadline = authorityDeadline(awareAt, 72);
    const fiftyHoursLater = new Date('2026-03-30T11:30:00Z');
    expect(upcomingCheckpoints(deadline, [48, 24, 6, 1], fiftyHoursLater).map((c) => c.hoursBeforeDeadline)).toEqual([6, 1, 0]);
    const afterDeadline = new Date('2026-04-01T00:00:00Z');
    expect(upcomingCheckpoints(deadline, [48, 24, 6, 1], afterDeadline).map((c) => c.kind)).toEqual(['escalation']);
  });

  it('describes the time left or overdue', () => {
    const deadline = authorityDeadline(awareAt, 72);
    expect(describeTimeLeft(deadline, new Date('2026-03-29T10:00:00Z'))).toBe('47h 30m left');
    expect(describeTimeLeft(deadline, new Date('2026-03-31T12:05:00Z'))).toBe('overdue by 2h 35m');
  });
});
