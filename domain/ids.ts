/**
 * Every id the engine derives, each encoder beside its inverse. Breach and subject ids are
 * 1-100 letters, digits, dots, dashes or underscores (the CLI and the roster check that), so the
 * separators below (`:` and `~`) can never occur inside them and every id parses back unambiguously.
 */

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** One workflow per breach: the ID makes a second start of the same breach impossible. */
export function breachWorkflowId(breachId: string): string {
  return `breach-${breachId}`;
}

export function breachIdOfWorkflowId(workflowId: string): string | undefined {
  const breachId = workflowId.startsWith('breach-') ? workflowId.slice('breach-'.length) : '';
  return ID.test(breachId) ? breachId : undefined;
}

/** The workflow that notifies one cohort (a slice of roster rows) of a breach. */
export function cohortWorkflowId(breachId: string, cohort: number): string {
  return `${cohortWorkflowIdPrefix(breachId)}${cohort}`;
}

/** What every cohort workflow id of the breach starts with, for listing them. */
export function cohortWorkflowIdPrefix(breachId: string): string {
  return `${breachWorkflowId(breachId)}:cohort-`;
}

export function cohortOfWorkflowId(workflowId: string): { breachId: string; cohort: number } | undefined {
  const match = /^breach-([A-Za-z0-9][A-Za-z0-9._-]{0,99}):cohort-(0|[1-9]\d{0,8})$/.exec(workflowId);
  return match ? { breachId: match[1]!, cohort: Number(match[2]) } : undefined;
}

/**
 * The notice to one person: carried in the email's Message-ID and X-Notice-Id, the fax's
 * client_state and the letter's metadata, so that a delivery report names its cohort's workflow.
 */
export interface NoticeRef {
  breachId: string;
  cohort: number;
  subjectId: string;
}

export function noticeId({ breachId, cohort, subjectId }: NoticeRef): string {
  return `${breachId}~${cohort}~${subjectId}`;
}

export function parseNoticeId(text: string): NoticeRef | undefined {
  const parts = text.split('~');
  if (parts.length !== 3) return undefined;
  const [breachId, cohort, subjectId] = parts as [string, string, string];
  if (!ID.test(breachId) || !ID.test(subjectId) || !/^(0|[1-9]\d{0,8})$/.test(cohort)) return undefined;
  return { breachId, cohort: Number(cohort), subjectId };
}

/** The Message-ID of a notice email: the same on every resend, so a copy is recognisable as the same notice. */
export function noticeMessageId(notice: NoticeRef, domain: string): string {
  return `<notice.${noticeId(notice)}@${domain}>`;
}

export function noticeOfMessageId(messageId: string): NoticeRef | undefined {
  const match = /^<?notice\.([^@<>]+)@[^@<>]+>?$/.exec(messageId.trim());
  return match ? parseNoticeId(match[1]!) : undefined;
}

/**
 * The envelope sender (return path) of a notice email, VERP style: the configured pattern with
 * the notice id in place of `{notice}`, e.g. `bounces+2026-031~4~s-1042@bounces.company.example`.
 * A delivery status notification goes to this address, so it names the notice whatever the
 * relays did to the headers. Notice ids are made of characters a local part may hold.
 */
export function noticeReturnPath(pattern: string, notice: NoticeRef): string {
  return pattern.replace(RETURN_PATH_PLACEHOLDER, noticeId(notice));
}

export function noticeOfReturnPath(pattern: string, address: string): NoticeRef | undefined {
  const text = returnPathNoticeText(pattern, address);
  return text === undefined ? undefined : parseNoticeId(text);
}

/** What stands in the notice id's place when the pattern makes the address, or undefined when it does not. */
export function returnPathNoticeText(pattern: string, address: string): string | undefined {
  const [prefix, suffix] = pattern.split(RETURN_PATH_PLACEHOLDER) as [string, string];
  // The domain is case-insensitive; the local part is kept as sent, as RFC 5321 asks.
  const at = address.lastIndexOf('@');
  const patternAt = suffix.lastIndexOf('@');
  if (at < 0 || patternAt < 0 || address.slice(at).toLowerCase() !== suffix.slice(patternAt).toLowerCase()) return undefined;
  const local = address.slice(0, at);
  const localSuffix = suffix.slice(0, patternAt);
  if (!local.startsWith(prefix) || !local.endsWith(localSuffix) || local.length <= prefix.length + localSuffix.length) return undefined;
  return local.slice(prefix.length, local.length - localSuffix.length);
}

/** Where a return-path pattern takes the notice id. */
export const RETURN_PATH_PLACEHOLDER = '{notice}';

/** Telnyx's client_state is base64 text; ours is the notice id. */
export function faxClientState(notice: NoticeRef): string {
  return Buffer.from(noticeId(notice), 'utf8').toString('base64');
}

export function noticeOfFaxClientState(clientState: string | undefined): NoticeRef | undefined {
  if (!clientState || !/^[A-Za-z0-9+/]+={0,2}$/.test(clientState)) return undefined;
  return parseNoticeId(Buffer.from(clientState, 'base64').toString('utf8'));
}
