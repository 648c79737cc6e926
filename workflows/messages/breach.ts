/**
 * The messages a breach workflow takes: what the CLI, the webhooks, the tests and the audit
 * import, without importing the workflow itself.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AuthorityNotice, LateReasonRequest, PortalSubmissionRequest, Supplement, SupplementRequest } from '../../domain/authority-notice';
import type { AssessRequest, Assessment } from '../../domain/breach';
import type { CohortHeld, CohortReport, HoldNews } from '../../domain/cascade';
import type { CohortRetried, ResolveSubjectRequest, RetryCohortRequest, SubjectResolved } from '../../domain/cohort-recovery';
import type { Hold, PlaceHoldRequest, ReleaseHoldRequest, ReviewHoldRequest } from '../../domain/holds';
import type { BreachNotice } from '../../domain/notice';
import type { BreachStatus, BreachSummary, CloseRequest } from '../../domain/status';

export const assessUpdate = defineUpdate<Assessment, [AssessRequest]>('assess');
export const provideLateReasonUpdate = defineUpdate<void, [LateReasonRequest]>('provideLateReason');
export const recordPortalSubmissionUpdate = defineUpdate<AuthorityNotice, [PortalSubmissionRequest]>('recordPortalSubmission');
export const supplementAuthorityReportUpdate = defineUpdate<Supplement, [SupplementRequest]>('supplementAuthorityReport');
export const placeHoldUpdate = defineUpdate<Hold, [PlaceHoldRequest]>('placeHold');
export const releaseHoldUpdate = defineUpdate<Hold, [ReleaseHoldRequest]>('releaseHold');
/** Legal confirms a hold is still needed, or moves its review later; the review reminder is set again. */
export const reviewHoldUpdate = defineUpdate<Hold, [ReviewHoldRequest]>('reviewHold');
export const closeUpdate = defineUpdate<BreachSummary, [CloseRequest]>('close');
/** Starts again a cohort whose workflow ended before its people had a final state, from where each person's cascade stood. */
export const retryCohortUpdate = defineUpdate<CohortRetried, [RetryCohortRequest]>('retryCohort');
/** Records by hand the final state of one person whose cohort's workflow ended before giving them one. */
export const resolveSubjectUpdate = defineUpdate<SubjectResolved, [ResolveSubjectRequest]>('resolveSubject');
export const statusQuery = defineQuery<BreachStatus>('status');
/** The notice to individuals, which the channels' activities ask for instead of every workflow carrying it. */
export const noticeQuery = defineQuery<BreachNotice>('notice');
/** Whether any hold is active, and the number of the breach's latest hold change: what its cohorts go by. */
export const holdStateQuery = defineQuery<HoldNews>('holdState');
/**
 * Sent by a cohort to its breach whenever its counts or stage change. A report that a cohort is
 * final is checked with the cohort itself (`cohortStatus`, through an activity) before it counts.
 */
export const cohortReportSignal = defineSignal<[CohortReport]>('cohortReport');
/** Sent by a cohort once a hold has stopped its sending. */
export const cohortHeldSignal = defineSignal<[CohortHeld]>('cohortHeld');
