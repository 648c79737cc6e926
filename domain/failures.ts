import { ActivityFailure } from '@temporalio/common';
/**
 * ApplicationFailure types that must not be retried. Workflows list them in their retry policies,
 * so they live here rather than in the activity modules that the workflow bundle cannot load.
 */
export const SMTP_REJECTED = 'SmtpRejected';
export const NO_CONTACT_DATA = 'NoContactData';
export const FAX_REJECTED = 'FaxRejected';
export const FAX_NOT_CONFIGURED = 'FaxNotConfigured';
export const LETTER_REJECTED = 'LetterRejected';
export const UNDELIVERABLE_ADDRESS = 'UndeliverableAddress';
export const POSTAL_NOT_CONFIGURED = 'PostalNotConfigured';
export const ROSTER_CHANGED = 'RosterChanged';
/** The authority report would reach the authority after its deadline, and no reason for the delay was given to carry. */
export const LATE_REASON_NEEDED = 'LateReasonNeeded';
/** A cohort workflow the breach asked about does not exist (any more). */
export const COHORT_NOT_FOUND = 'CohortNotFound';
/** A cohort a retry or resolution named is still running: its own cascade gives its people a final state. */
export const COHORT_RUNNING = 'CohortRunning';
/** A cohort a retry or resolution named had given everyone a final state before its workflow ended. */
export const COHORT_FINISHED = 'CohortFinished';
/** A request to a workflow that its rules refuse (an unknown hold, a breach already closed). */
export const REQUEST_REJECTED = 'RequestRejected';

/** What went wrong, in the words of the activity's own failure when an activity failed. */
export function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** A channel that fails with one of these moves the cascade on to the next channel at once. */
export const PERMANENT_CHANNEL_FAILURES = [
  SMTP_REJECTED,
  NO_CONTACT_DATA,
  FAX_REJECTED,
  FAX_NOT_CONFIGURED,
  LETTER_REJECTED,
  UNDELIVERABLE_ADDRESS,
  POSTAL_NOT_CONFIGURED,
];
