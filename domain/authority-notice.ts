/** The authority notice (Art. 33) and its follow-ups, as the workflow records them. */

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
