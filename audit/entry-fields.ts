/**
 * The facts of audit entries as fields (`breach-audit/v2`), built the same way wherever an entry
 * of the kind is written: a hold's, an obligation's, and when a notice was accepted against its
 * deadline.
 */
import type { Hold } from '../domain/holds';
import type { ObligationView } from '../domain/obligations';
import type { AuditEntry, EntryFields } from './export-schema';

/** What an entry says, in words and as fields; where and when it happened is added by its reader. */
export type Described = Pick<AuditEntry, 'kind' | 'summary' | 'fields'>;

/** The facts of a hold every hold entry gives. */
export function holdFields(hold: Pick<Hold, 'holdId' | 'agency' | 'caseRef'>): EntryFields {
  return { holdId: hold.holdId, agency: hold.agency, caseRef: hold.caseRef };
}

/** An obligation's id, status and deadline. */
export function obligationFields(view: Pick<ObligationView, 'id' | 'status' | 'deadline'>): EntryFields {
  return { obligationId: view.id, state: view.status, ...(view.deadline ? { deadline: view.deadline } : {}) };
}

/** When a notice was accepted, whether that was on time, and the reason given when it was not. */
export function timingFields(acceptedAt: string, onTime: boolean, lateReason: string | undefined, deadline?: string): EntryFields {
  return { acceptedAt, ...(deadline ? { deadline } : {}), onTime, ...(lateReason ? { lateReason } : {}) };
}
