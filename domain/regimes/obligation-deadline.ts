/**
 * When an obligation falls due: hours are elapsed time (72 hours are 72 hours across a change to
 * or from summer time); calendar and business days are counted on the calendar of the regime's
 * time zone and keep the anchor's time of day, so 30 days from 10:00 in Los Angeles end at 10:00
 * there whatever the UTC offset then. Business days skip Saturdays, Sundays and, where the pack
 * says so, US federal holidays.
 */
import { TZDate } from '@date-fns/tz';
import { addDays } from 'date-fns/addDays';
import { addHours } from 'date-fns/addHours';
import { getDay } from 'date-fns/getDay';
import type { RulePack } from './rule-pack';

export function obligationDeadline(anchor: Date, deadline: NonNullable<RulePack['obligations'][number]['deadline']>, pack: Pick<RulePack, 'timeZone' | 'holidays'>): Date {
  if (deadline.unit === 'hours') return addHours(anchor, deadline.amount);
  const local = new TZDate(anchor.getTime(), pack.timeZone);
  if (deadline.unit === 'calendar-days') return new Date(addDays(local, deadline.amount).getTime());
  let day = local;
  for (let counted = 0; counted < deadline.amount; ) {
    day = addDays(day, 1);
    if (isBusinessDay(day, pack.holidays)) counted++;
  }
  return new Date(day.getTime());
}

/** The last instant of the anchor's calendar year in the pack's zone: HIPAA's annual log counts from there. */
export function endOfYearIn(anchor: Date, timeZone: string): Date {
  const local = new TZDate(anchor.getTime(), timeZone);
  return new Date(new TZDate(local.getFullYear() + 1, 0, 1, 0, 0, 0, timeZone).getTime() - 1);
}

function isBusinessDay(day: TZDate, holidays: RulePack['holidays']): boolean {
  const weekday = getDay(day);
  if (weekday === 0 || weekday === 6) return false;
  return holidays === 'none' || !usFederalHolidays(day.getFullYear()).has(isoDay(day.getFullYear(), day.getMonth(), day.getDate()));
}

/**
 * The days federal offices close in a year (5 U.S.C. 6103, with Executive Order 11582's rule that
 * a holiday on a Saturday is kept on the Friday before and one on a Sunday on the Monday after).
 * New Year's Day of the next year can fall on 31 December.
 */
export function usFederalHolidays(year: number): Set<string> {
  const days = new Set<string>();
  const fixed = (y: number, month: number, date: number) => {
    const weekday = new Date(Date.UTC(y, month, date)).getUTCDay();
    const shift = weekday === 6 ? -1 : weekday === 0 ? 1 : 0;
    const kept = new Date(Date.UTC(y, month, date + shift));
    if (kept.getUTCFullYear() === year) days.add(isoDay(year, kept.getUTCMonth(), kept.getUTCDate()));
  };
  const nthWeekday = (month: number, weekday: number, n: number) => {
    const first = new Date(Date.UTC(year, month, 1)).getUTCDay();
    days.add(isoDay(year, month, 1 + ((weekday - first + 7) % 7) + 7 * (n - 1)));
  };
  const lastMonday = (month: number) => {
    const last = new Date(Date.UTC(year, month + 1, 0));
    days.add(isoDay(year, month, last.getUTCDate() - ((last.getUTCDay() + 6) % 7)));
  };
  fixed(year, 0, 1);
  fixed(year + 1, 0, 1);
  nthWeekday(0, 1, 3); // Birthday of Martin Luther King, Jr.
  nthWeekday(1, 1, 3); // Washington's Birthday
  lastMonday(4); // Memorial Day
  if (year >= 2021) fixed(year, 5, 19); // Juneteenth National Independence Day
  fixed(year, 6, 4);
  nthWeekday(8, 1, 1); // Labor Day
  nthWeekday(9, 1, 2); // Columbus Day
  fixed(year, 10, 11); // Veterans Day
  nthWeekday(10, 4, 4); // Thanksgiving Day
  fixed(year, 11, 25);
  return days;
}

function isoDay(year: number, month: number, date: number): string {
  return `${year}-${String(month + 1).padStart(2, '0')}-${String(date).padStart(2, '0')}`;
}
