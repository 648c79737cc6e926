import { msToNumber, type Duration } from '@temporalio/common/lib/time';

/**
 * The milliseconds of a duration written with its unit ('48 hours', '30s', '1.5m'), or NaN.
 * Temporal's parser reads a bare number as milliseconds, so that `bounceWindow: 48` would be a
 * window of 48 ms: a duration without its unit is refused, as is anything the parser cannot read.
 * temporal.yaml, the CLI and the bench read durations through this one function.
 */
export function durationMs(text: unknown): number {
  if (typeof text !== 'string' || !/[a-z]\s*$/i.test(text)) return NaN;
  try {
    return msToNumber(text.trim() as Duration);
  } catch {
    return NaN;
  }
}
