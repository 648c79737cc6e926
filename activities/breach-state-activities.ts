import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { CohortReport, HoldNews } from '../domain/cascade';
import { COHORT_NOT_FOUND } from '../domain/failures';
import { finalRows } from '../domain/fan-out';
import { holdStateQuery } from '../workflows/messages/breach';
import { cohortStatusQuery, type CohortStatus } from '../workflows/messages/cohort';

/**
 * What one of a breach's workflows says of itself, asked by another through an activity, so that
 * the answer is recorded in the asker's history as an activity result: signals can come from any
 * client, these answers only from the workflow asked.
 */
export function createBreachStateActivities(client: Client) {
  return {
    async readHoldState(request: { breachWorkflowId: string }): Promise<HoldNews> {
      return client.workflow.getHandle(request.breachWorkflowId).query(holdStateQuery);
    },

    /** The cohort's final report in its own words, or null while it is not final. */
    async readFinalReport(request: { cohortWorkflowId: string }): Promise<CohortReport | null> {
      try {
        return finalReportOf(await client.workflow.getHandle(request.cohortWorkflowId).query(cohortStatusQuery));
      } catch (err) {
        // Asking again cannot bring back a workflow that is gone.
        if (err instanceof WorkflowNotFoundError) throw ApplicationFailure.nonRetryable(`cohort workflow ${request.cohortWorkflowId} not found`, COHORT_NOT_FOUND);
        throw err;
      }
    },
  };
}

export type BreachStateActivities = ReturnType<typeof createBreachStateActivities>;

/** A cohort is final once it says it is delivered, could not read its rows, or has everyone in a final state. */
function finalReportOf(status: CohortStatus): CohortReport | null {
  const { counts } = status;
  const final = status.delivered || status.error !== undefined || (counts.rows > 0 && finalRows(counts) === counts.rows);
  if (!final) return null;
  return { cohort: status.cohort, stage: 'final', counts, unreachable: status.unreachable ?? [], ...(status.error ? { error: status.error } : {}) };
}
