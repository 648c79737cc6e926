import { addHours } from 'date-fns/addHours';
import { differenceInMilliseconds } from 'date-fns/differenceInMilliseconds';
import { isAfter } from 'date-fns/isAfter';
import { subHours } from 'date-fns/subHours';

/** Art. 33(1): the authority must be notified within `hours` of the company becoming aware. */
export function authorityDeadline(awareAt: Date, hours: number): Date {
  return addHours(awareAt, hours);
}

export type ReminderKind = 'reminder' | 'escalation' | 'overdue';

export interface Checkpoint {
  kind: ReminderKind;
  at: Date;
  hoursBeforeDeadline: number;
}

/**
 * The reminder checkpoints still ahead of `now`, earliest first, ending with the escalation at
 * the deadline itself. Checkpoints already behind us (a back-dated awareness) are dropped rather
 * than fired late, except the escalation: a breach opened after its deadline escalates at once.
 */
export function upcomingCheckpoints(deadline: Date, hoursBefore: number[], now: Date): Checkpoint[] {
  const reminders = [...new Set(hoursBefore)]
    .sort((a, b) => b - a)
    .map((hours): Checkpoint => ({ kind: 'reminder', at: subHours(deadline, hours), hoursBeforeDeadline: hours }))
    .filter((checkpoint) => isAfter(checkpoint.at, now));
  return [...reminders, { kind: 'escalation', at: deadline, hoursBeforeDeadline: 0 }];
}

export function millisecondsUntil(at: Date, now: Date): number {
  return Math.max(0, differenceInMilliseconds(at, now));
}

export function isPastDeadline(deadline: Date, now: Date): boolean {
  return isAfter(now, deadline);
}

/** "61h 12m left" or "overdue by 3h 5m", for people reading a status. */
export function describeTimeLeft(deadline: Date, now: Date): string {
  const ms = differenceInMilliseconds(deadline, now);
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  const text = `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
  return ms >= 0 ? `${text} left` : `overdue by ${text}`;
}
