import { ApplicationFailure } from '@temporalio/activity';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { endedAs } from '../audit/history-events';
import { runStartInput } from '../audit/read-history';
import type { CohortInput, CohortReport, HoldNews } from '../domain/cascade';
import type { EndedCohortProgress, EndedCohortSubject } from '../domain/cohort-recovery';
import { COHORT_FINISHED, COHORT_NOT_FOUND, COHORT_RUNNING } from '../domain/failures';
import { finalRows } from '../domain/fan-out';
import { holdStateQuery } from '../workflows/messages/breach';
import { cohortProgressQuery, cohortStatusQuery, subjectQuery, type CohortStatus } from '../workflows/messages/cohort';

/**
 * What one of a breach's workflows says of itself, asked by another through an activity, so that
 * the answer is recorded in the asker's history as an activity result: signals can come from any
 * client, these answers only from the workflow asked.
 */
export function createBreachStateActivities(client: Client) {
  /**
   * The last run of a cohort's workflow, which must have ended before its people had a final
   * state. Temporal answers queries of a closed run by replaying it, so the answers are the
   * state the run ended in.
   */
  async function endedRun(workflowId: string): Promise<{ ended: string; run: WorkflowHandle; input: CohortInput }> {
    const description = await notFoundIsFinal(workflowId, () => client.workflow.getHandle(workflowId).describe());
    const status = description.status.name;
    if (status === 'RUNNING') throw ApplicationFailure.nonRetryable(`cohort workflow ${workflowId} is still running; its cascade gives its people a final state`, COHORT_RUNNING);
    const input = await runStartInput<CohortInput>(client, workflowId, description.runId);
    if (status === 'COMPLETED' || status === 'CONTINUED_AS_NEW' || !input || input.delivered) {
      throw ApplicationFailure.nonRetryable(`cohort workflow ${workflowId} ended after everyone in it had a final state`, COHORT_FINISHED);
    }
    return { ended: endedAs(status), run: client.workflow.getHandle(workflowId, description.runId), input };
  }

  return {
    async readHoldState(request: { breachWorkflowId: string }): Promise<HoldNews> {
      return client.workflow.getHandle(request.breachWorkflowId).query(holdStateQuery);
    },

    /** The cohort's final report in its own words, or null while it is not final. */
    async readFinalReport(request: { cohortWorkflowId: string }): Promise<CohortReport | null> {
      return notFoundIsFinal(request.cohortWorkflowId, async () => finalReportOf(await client.workflow.getHandle(request.cohortWorkflowId).query(cohortStatusQuery)));
    },

    /** Whether the cohort has really stopped sending for a hold (or sends nothing any more): its `cohortHeld` signal says so, anyone could send that. */
    async readCohortStopped(request: { cohortWorkflowId: string }): Promise<boolean> {
      const status = await notFoundIsFinal(request.cohortWorkflowId, () => client.workflow.getHandle(request.cohortWorkflowId).query(cohortStatusQuery));
      return status.delivered || (status.holdActive && status.sending === false);
    },

    /** What a retry of a cohort whose workflow ended abnormally starts again from. */
    async readEndedCohortProgress(request: { cohortWorkflowId: string }): Promise<EndedCohortProgress> {
      const { ended, run, input } = await endedRun(request.cohortWorkflowId);
      const [status, progress] = await Promise.all([run.query(cohortStatusQuery), run.query(cohortProgressQuery)]);
      return { ended, input, counts: status.counts, progress };
    },

    /** One person of a cohort whose workflow ended abnormally, with the counts it ended with. */
    async readEndedCohortSubject(request: { cohortWorkflowId: string; subjectId: string }): Promise<EndedCohortSubject> {
      const { ended, run } = await endedRun(request.cohortWorkflowId);
      const [status, subject] = await Promise.all([run.query(cohortStatusQuery), run.query(subjectQuery, request.subjectId)]);
      return { ended, counts: status.counts, subject };
    },
  };
}

export type BreachStateActivities = ReturnType<typeof createBreachStateActivities>;

/** Asking again cannot bring back a workflow that is gone. */
async function notFoundIsFinal<T>(workflowId: string, ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw ApplicationFailure.nonRetryable(`cohort workflow ${workflowId} not found`, COHORT_NOT_FOUND);
    throw err;
  }
}

/** A cohort is final once it says it is delivered, could not read its rows, or has everyone in a final state. */
function finalReportOf(status: CohortStatus): CohortReport | null {
  const { counts } = status;
  const final = status.delivered || status.error !== undefined || (counts.rows > 0 && finalRows(counts) === counts.rows);
  if (!final) return null;
  return { cohort: status.cohort, stage: 'final', counts, unreachable: status.unreachable ?? [], ...(status.error ? { error: status.error } : {}) };
}
