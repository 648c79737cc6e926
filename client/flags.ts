import { durationMs } from '../config/duration';
import { instant } from '../domain/requests';
import { UsageError } from './errors';

/**
 * A date given on the command line: ISO 8601 with a time zone offset (a local time would be read
 * in whatever zone the machine running the CLI is set to), returned in UTC.
 */
export function isoDateFlag(flag: string, value: string): string {
  if (!instant.safeParse(value).success) throw new UsageError(`${flag} '${value}' is not an ISO 8601 date-time with a time zone offset, e.g. 2026-12-01T09:00:00Z`);
  return new Date(value).toISOString();
}

/** A cohort number, as status and the audit name cohorts: a whole decimal number from 0. */
export function cohortArgument(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new UsageError(`cohort '${value}' is not a cohort number (a whole number from 0, as breach status names cohorts)`);
  return Number(value);
}

/**
 * A review date, given as an instant (`--review-at 2026-12-20T09:00:00Z`) or as a time from now
 * (`--review-in 14d`, `36h`, `2w`); at most one of the two.
 */
export function reviewDateFlag(flags: { reviewAt?: string; reviewIn?: string }, now: Date = new Date()): string | undefined {
  if (flags.reviewAt !== undefined && flags.reviewIn !== undefined) throw new UsageError('give --review-at or --review-in, not both');
  if (flags.reviewAt !== undefined) return isoDateFlag('--review-at', flags.reviewAt);
  if (flags.reviewIn === undefined) return undefined;
  // Read as temporal.yaml's durations are (`14d`, `36h`, `2w`, `14 days`); a review is an hour away at least.
  const ms = durationMs(flags.reviewIn);
  if (!(ms >= HOUR_MS)) throw new UsageError(`--review-in '${flags.reviewIn}' must be a number of hours, days or weeks, e.g. 36h, 14d or 2w`);
  return new Date(now.getTime() + ms).toISOString();
}

const HOUR_MS = 3_600_000;
