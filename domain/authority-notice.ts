/** The authority notice (Art. 33) and its follow-ups, as the workflow records them. */

import { parseISO } from 'date-fns/parseISO';
import type { Assessment, BreachFacts } from './breach';
import { isPastDeadline } from './deadline';

export interface AuthorityNotice {
  channel: 'email' | 'portal';
  sentAt: string;
  deadline: string;
  onTime: boolean;
  /** Art. 33(1): required when the notice goes out after the deadline. */
  lateReason?: string;
  messageId?: string;
  portalReference?: string;
  recordedBy?: string;
}

export interface LateReasonRequest {
  reason: string;
  by: string;
}

export interface PortalSubmissionRequest {
  reference: string;
  by: string;
  /** Needed when the submission is after the deadline and no reason was given before. */
  lateReason?: string;
}

export interface SupplementRequest {
  information: string;
  by: string;
  /** The portal's reference when the supplement was submitted there rather than mailed. */
  portalReference?: string;
}

export interface Supplement {
  sequence: number;
  information: string;
  by: string;
  sentAt: string;
  messageId?: string;
  portalReference?: string;
}


/** Message-IDs are derived from the breach so that a retried send is recognisable as the same notice. */
export function authorityReportMessageId(breachId: string, domain: string): string {
  return `<authority-report.${encodeURIComponent(breachId)}@${domain}>`;
}

export function supplementMessageId(breachId: string, sequence: number, domain: string): string {
  return `<authority-supplement-${sequence}.${encodeURIComponent(breachId)}@${domain}>`;
}

export interface AuthorityReportRequest {
  facts: BreachFacts;
  assessment: Assessment;
  deadline: string;
  /** The reason for a delay, carried if the report turns out to be late when it is sent. */
  lateReason?: string;
  /** Histories recorded before the send time was taken at sending: the time the report was stamped with. */
  reportedAt?: string;
  /** When the breach was discovered, when recorded apart from awareness. */
  discoveredAt?: string;
  /** Whether individuals are being told, or held back by a hold (reports sent before this was added say nothing). */
  individuals?: string;
}

/** What the authority was sent: the time the report states, when the relay accepted it, and the reason for a delay it carried. */
export interface AuthorityReportSent {
  messageId: string;
  reportedAt?: string;
  acceptedAt?: string;
  lateReason?: string;
}

/**
 * The report as it reached the authority. Histories recorded before the relay's acceptance was
 * recorded hold the report's time and reason in the request; their report counted as sent then.
 */
export function authorityReportAsSent(request: AuthorityReportRequest, sent: AuthorityReportSent): { reportedAt: string; acceptedAt: string; late: boolean; lateReason?: string } {
  const reportedAt = sent.reportedAt ?? request.reportedAt!;
  const acceptedAt = sent.acceptedAt ?? reportedAt;
  const lateReason = sent.acceptedAt ? sent.lateReason : request.lateReason;
  return { reportedAt, acceptedAt, late: isPastDeadline(parseISO(request.deadline), parseISO(acceptedAt)), ...(lateReason ? { lateReason } : {}) };
}
