/** The messages a cohort workflow takes, importable without the workflow. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CohortCounts, ChannelFailure, DeliveryReport, HoldNews, Outcome, PersonProgress, SubjectView } from '../../domain/cascade';

/** What a cohort says of itself; the breach reads it (through an activity) before it counts a cohort as final. */
export interface CohortStatus {
  cohort: number;
  counts: CohortCounts;
  holdActive: boolean;
  /** Whether a batch is in flight (a cohort held by a hold has none). */
  sending?: boolean;
  failing?: ChannelFailure;
  delivered: boolean;
  /** Some unreachable subjects with their reasons, once everyone is final. */
  unreachable?: Outcome[];
  /** Why the cohort could not notify anyone (its roster rows could not be read). */
  error?: string;
}

/**
 * Sent by the breach to its cohorts when its holds change: news of a hold stops a cohort's sending
 * at once, and the cohort then asks the breach itself (`holdState`) whether any hold is active, so
 * that a message from anyone else cannot release one. The cohort answers a hold with `cohortHeld`
 * once it has stopped sending.
 */
export const holdChangedSignal = defineSignal<[HoldNews]>('holdChanged');
/** Sent by the breach when it closes: delivered cohorts stop waiting for returned letters. */
export const breachClosedSignal = defineSignal<[]>('breachClosed');
/** A bounce, a failed fax or a returned letter for one person of the cohort. */
export const reportDeliveryUpdate = defineUpdate<void, [DeliveryReport]>('reportDelivery');
/** One person's state and every attempt to reach them; null when the subject is not in this cohort. */
export const subjectQuery = defineQuery<SubjectView | null, [string]>('subject');
export const cohortStatusQuery = defineQuery<CohortStatus>('cohortStatus');
/** Where each contacted person's cascade stands: what a retry resumes from once the cohort's workflow has ended abnormally. */
export const cohortProgressQuery = defineQuery<PersonProgress[]>('cohortProgress');
/** The ids of the cohort's subjects in one state (`SUBJECT_STATES`), for `breach subjects`. */
export const subjectsInStateQuery = defineQuery<string[], [string]>('subjectsInState');
