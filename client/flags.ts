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
