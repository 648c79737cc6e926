import type { Client } from '@temporalio/client';
import { firstPayload } from '../audit/history-events';
import type { CohortInput } from '../domain/cascade';
import { cohortOfWorkflowId, cohortWorkflowIdPrefix } from '../domain/ids';

/** A cohort whose workflow ended before its people had a final state: nobody will finish them. */
export interface StuckCohort {
  cohort: number;
  workflowId: string;
  /** terminated, failed, timed out or canceled */
  ended: string;
}

const ENDED_ABNORMALLY = ['Terminated', 'Failed', 'TimedOut', 'Canceled'];

/**
 * The breach's cohort workflows that ended abnormally, found by Temporal's visibility (one list
 * call): those in their delivered run had given everyone a final state already, the others left
 * their people without one.
 */
export async function stuckCohorts(client: Client, breachId: string): Promise<StuckCohort[]> {
  const statuses = ENDED_ABNORMALLY.map((status) => `ExecutionStatus = '${status}'`).join(' OR ');
  const stuck: StuckCohort[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId STARTS_WITH '${cohortWorkflowIdPrefix(breachId)}' AND (${statuses})` })) {
    const cohort = cohortOfWorkflowId(execution.workflowId);
    if (cohort?.breachId !== breachId || (await wasDelivered(client, execution.workflowId, execution.runId))) continue;
    stuck.push({ cohort: cohort.cohort, workflowId: execution.workflowId, ended: execution.status.name.toLowerCase().replace('_', ' ') });
  }
  return stuck.sort((a, b) => a.cohort - b.cohort);
}

async function wasDelivered(client: Client, workflowId: string, runId: string): Promise<boolean> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return firstPayload<CohortInput>(history.events?.[0]?.workflowExecutionStartedEventAttributes?.input)?.delivered !== undefined;
}
