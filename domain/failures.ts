/** ApplicationFailure types that must not be retried. */
export const SMTP_REJECTED = 'SmtpRejected';
