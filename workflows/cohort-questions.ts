import { proxyActivities } from '@temporalio/workflow';
import type { BreachStateActivities } from '../activities/breach-state-activities';

/**
 * The breach asks its cohorts about themselves through activities, so that each answer is in its
 * history. Asking is retried until the cohort answers; a cohort that is gone, or that a question
 * does not fit, fails at once.
 */
export const cohortQuestions = proxyActivities<BreachStateActivities>({ startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', maximumInterval: '30 seconds' } });
