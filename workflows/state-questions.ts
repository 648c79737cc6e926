import { proxyActivities } from '@temporalio/workflow';
import type { BreachStateActivities } from '../activities/breach-state-activities';
import type { CohortReport } from '../domain/cascade';
import { cohortWorkflowId } from '../domain/ids';

/**
 * A breach and its cohorts ask each other about themselves through activities, so that each
 * answer is in the asker's history. Asking is retried until the other answers; a workflow that
 * is gone, or that a question does not fit, fails at once.
 */
export const stateQuestions = proxyActivities<BreachStateActivities>({ startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', maximumInterval: '30 seconds' } });

/** The cohort's own word that it is final, or undefined when it says otherwise or cannot be asked: until then it does not count as final. */
export async function confirmedFinalReport(breachId: string, report: CohortReport): Promise<CohortReport | undefined> {
  try {
    const answer = await stateQuestions.readFinalReport({ cohortWorkflowId: cohortWorkflowId(breachId, report.cohort) });
    return answer?.cohort === report.cohort ? answer : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the cohort itself says it has stopped sending; a cohort that cannot be asked has not confirmed it. */
export async function cohortStopped(breachId: string, cohort: number): Promise<boolean> {
  try {
    return await stateQuestions.readCohortStopped({ cohortWorkflowId: cohortWorkflowId(breachId, cohort) });
  } catch {
    return false;
  }
}
