import { isAfter } from 'date-fns/isAfter';
import { parseISO } from 'date-fns/parseISO';
import type { HoldForm } from './regimes/rule-pack';
import { missingFields } from './required-fields';

/** A law-enforcement hold: while any is active, no individual may be contacted. */
export interface PlaceHoldRequest {
  agency: string;
  caseRef: string;
  reason: string;
  by: string;
  /** When legal should confirm the hold is still needed (ISO 8601). */
  reviewAt?: string;
  /** Whether the agency asked in writing or orally; regimes accept some forms and limit others (HIPAA: an oral request lasts 30 days). */
  form?: HoldForm;
  /** The regimes whose notices the hold delays; by default every regime of the breach that accepts its form. */
  regimes?: string[];
  /** The agency asked that its name and case stay out of what the authority is sent. */
  confidential?: boolean;
}

export interface ReleaseHoldRequest {
  holdId: string;
  reason: string;
  by: string;
}

/** Legal's answer to a hold's review: still needed (`confirmed`), or reviewed later (`extended`). */
export interface ReviewHoldRequest {
  holdId: string;
  kind: 'confirmed' | 'extended';
  /** The next review date (ISO 8601); the reminder is set for it. */
  reviewAt: string;
  reason: string;
  by: string;
}

export interface HoldReview extends Omit<ReviewHoldRequest, 'holdId'> {
  at: string;
}

export interface Hold extends PlaceHoldRequest {
  holdId: string;
  placedAt: string;
  release?: { at: string; by: string; reason: string };
  reviewReminderSentAt?: string;
  reviews?: HoldReview[];
  /** The written statement that followed the request (it turns an oral hold into a written one and starts its period again). */
  writtenStatement?: { at: string; by: string; reason: string };
  /** The regimes under which the hold stopped delaying notices because its period ran out. */
  lapsed?: { regime: string; at: string }[];
}

/** The agency's written statement of a hold placed on its word. */
export interface HoldStatementRequest {
  holdId: string;
  reason: string;
  by: string;
}

export function isActive(hold: Hold): boolean {
  return hold.release === undefined;
}

/** Why this request may not place a hold, or undefined when it may. */
export function placeHoldProblem(request: PlaceHoldRequest, now: Date): string | undefined {
  const missing = missingFields(request, ['agency', 'caseRef', 'reason', 'by']);
  if (missing) return missing;
  if (request.reviewAt !== undefined) {
    // The request's schema has checked the date's form (domain/requests.ts).
    if (!isAfter(parseISO(request.reviewAt), now)) return `review date ${request.reviewAt} is not in the future`;
  }
  return undefined;
}

/** Why this request may not release a hold, or undefined when it may. */
export function releaseHoldProblem(holds: Hold[], request: ReleaseHoldRequest): string | undefined {
  const missing = missingFields(request, ['holdId', 'reason', 'by']);
  if (missing) return missing;
  const hold = holds.find((h) => h.holdId === request.holdId);
  if (!hold) return `no hold '${request.holdId}' on this breach`;
  if (!isActive(hold)) return `hold '${request.holdId}' was already released at ${hold.release?.at}`;
  return undefined;
}

/** Why this review may not be recorded, or undefined when it may. */
export function reviewHoldProblem(holds: Hold[], request: ReviewHoldRequest, now: Date): string | undefined {
  const missing = missingFields(request, ['holdId', 'reason', 'by']);
  if (missing) return missing;
  const hold = holds.find((h) => h.holdId === request.holdId);
  if (!hold) return `no hold '${request.holdId}' on this breach`;
  if (!isActive(hold)) return `hold '${request.holdId}' was already released at ${hold.release?.at}`;
  if (!isAfter(parseISO(request.reviewAt), now)) return `review date ${request.reviewAt} is not in the future`;
  if (request.kind === 'extended' && hold.reviewAt && !isAfter(parseISO(request.reviewAt), parseISO(hold.reviewAt))) {
    return `an extension must move the review after the current one (${hold.reviewAt})`;
  }
  return undefined;
}
