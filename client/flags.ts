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
