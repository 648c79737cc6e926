/**
 * The messages a breach workflow takes: what the CLI, the webhooks, the tests and the audit
 * import, without importing the workflow itself.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AuthorityNotice, LateReasonRequest, PortalSubmissionRequest, Supplement, SupplementRequest } from '../../domain/authority-notice';
import type { AssessRequest, Assessment } from '../../domain/breach';
import type { CohortHeld, CohortReport } from '../../domain/cascade';
import type { Hold, PlaceHoldRequest, ReleaseHoldRequest } from '../../domain/holds';
import type { BreachStatus, BreachSummary, CloseRequest } from '../../domain/status';

export const assessUpdate = defineUpdate<Assessment, [AssessRequest]>('assess');
export const provideLateReasonUpdate = defineUpdate<void, [LateReasonRequest]>('provideLateReason');
export const recordPortalSubmissionUpdate = defineUpdate<AuthorityNotice, [PortalSubmissionRequest]>('recordPortalSubmission');
export const supplementAuthorityReportUpdate = defineUpdate<Supplement, [SupplementRequest]>('supplementAuthorityReport');
export const placeHoldUpdate = defineUpdate<Hold, [PlaceHoldRequest]>('placeHold');
export const releaseHoldUpdate = defineUpdate<Hold, [ReleaseHoldRequest]>('releaseHold');
export const closeUpdate = defineUpdate<BreachSummary, [CloseRequest]>('close');
export const statusQuery = defineQuery<BreachStatus>('status');
/** Sent by a cohort to its breach whenever its counts or stage change. */
export const cohortReportSignal = defineSignal<[CohortReport]>('cohortReport');
/** Sent by a cohort once a hold has stopped its sending. */
export const cohortHeldSignal = defineSignal<[CohortHeld]>('cohortHeld');
