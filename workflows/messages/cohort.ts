/** The messages a cohort workflow takes, importable without the workflow. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CohortCounts, ChannelFailure, DeliveryReport, HoldNews, SubjectView } from '../../domain/cascade';

/** Sent by the breach to its cohorts when its holds change; a cohort answers a hold with `cohortHeld` once it has stopped sending. */
export const holdChangedSignal = defineSignal<[HoldNews]>('holdChanged');
/** Sent by the breach when it closes: delivered cohorts stop waiting for returned letters. */
export const breachClosedSignal = defineSignal<[]>('breachClosed');
/** A bounce, a failed fax or a returned letter for one person of the cohort. */
export const reportDeliveryUpdate = defineUpdate<void, [DeliveryReport]>('reportDelivery');
/** One person's state and every attempt to reach them; null when the subject is not in this cohort. */
export const subjectQuery = defineQuery<SubjectView | null, [string]>('subject');
export const cohortStatusQuery = defineQuery<{ cohort: number; counts: CohortCounts; holdActive: boolean; failing?: ChannelFailure; delivered: boolean }>('cohortStatus');
