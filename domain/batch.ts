import type { RosterRef } from './individuals';
import type { BreachNotice } from './notice';

/**
 * The contract of the channels' batch activities: the workflow names people by roster row, the
 * activity reads their contact data itself and returns one evidence record (or refusal) each.
 */
export interface BatchItem {
  subjectId: string;
  rowOffset: number;
  /** An earlier batch may have sent this notice without its evidence coming back (a crash, a cancellation). */
  mayExist?: boolean;
}

export interface SendBatchRequest {
  /** The breach whose notice the batch sends; the channel asks the breach for it. */
  breachId?: string;
  /** Batches recorded before the notice was read from the breach carry it here. */
  notice?: BreachNotice;
  cohort: number;
  roster: RosterRef;
  items: BatchItem[];
  /** A hold delayed these notices: the notice says so. */
  delayedByHold?: boolean;
}

/** What a provider accepted for one person: the proof the notice went out. */
export interface Evidence {
  /** Message-ID, Telnyx fax id or Lob letter id. */
  providerId: string;
  at: string;
  contentSha256: string;
  smtpReply?: string;
  expectedDeliveryDate?: string;
  /** The activity attempt that sent it; above 1, an earlier attempt may have sent a copy too (same Message-ID, fax found again, same Lob key). */
  activityAttempt: number;
}

export type ItemResult = { sent: Evidence } | { failed: string };

export interface SendBatchResult {
  /** In the order of the request's items; null where the batch stopped before the item. */
  results: (ItemResult | null)[];
  /** True when a hold cancelled the batch: the items without a result were not begun. */
  stopped: boolean;
}

export interface FaxStatus {
  faxId: string;
  status: 'pending' | 'delivered' | 'failed';
  providerStatus: string;
  failureReason?: string;
}

/** The activity names, one per channel: the workflow, the worker and the audit use these, never strings of their own. */
export const SEND_ACTIVITY = { email: 'sendEmailBatch', fax: 'sendFaxBatch', postal: 'sendLetterBatch' } as const;
export const FAX_STATUS_ACTIVITY = 'faxStatuses';
export const READ_COHORT_ACTIVITY = 'readCohort';
