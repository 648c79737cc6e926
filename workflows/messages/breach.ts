/**
 * The messages a breach workflow takes: what the CLI, the webhooks, the tests and the audit
 * import, without importing the workflow itself.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AuthorityNotice, LateReasonRequest, PortalSubmissionRequest, Supplement, SupplementRequest } from '../../domain/authority-notice';
import type { AssessRequest, Assessment } from '../../domain/breach';
import type { CohortHeld, CohortReport, HoldNews } from '../../domain/cascade';
import type { CohortRetried, ResolveSubjectRequest, RetryCohortRequest, SubjectResolved } from '../../domain/cohort-recovery';
import type { Hold, HoldStatementRequest, PlaceHoldRequest, ReleaseHoldRequest, ReviewHoldRequest } from '../../domain/holds';
import type { ObligationView, RecordAnchorRequest, RecordObligationRequest } from '../../domain/obligations';
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
/** The agency's written statement of a hold placed on its word: an oral hold no longer lapses. */
export const recordHoldStatementUpdate = defineUpdate<Hold, [HoldStatementRequest]>('recordHoldStatement');
/** Records when an event an obligation's deadline counts from happened; answers with the obligations as they now stand. */
export const recordAnchorUpdate = defineUpdate<ObligationView[], [RecordAnchorRequest]>('recordAnchor');
/** Records that an obligation was met outside the engine (a filing, a posting), or why it is not required. */
export const recordObligationUpdate = defineUpdate<ObligationView, [RecordObligationRequest]>('recordObligation');
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
