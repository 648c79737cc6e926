import { UsageError } from './errors';

/** A date given on the command line, as ISO 8601 in UTC; anything else is a usage error naming the flag. */
export function isoDateFlag(flag: string, value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${flag} '${value}' is not an ISO 8601 date`);
  return date.toISOString();
}
