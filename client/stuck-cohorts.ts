import type { Client } from '@temporalio/client';
import { endedAs } from '../audit/history-events';
import { runStartInput } from '../audit/read-history';
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
 * call): those in their delivered run had given everyone a final state already, those started
 * again since (`breach subject retry`) are running, and the others left their people without one.
 */
export async function stuckCohorts(client: Client, breachId: string): Promise<StuckCohort[]> {
  const statuses = ENDED_ABNORMALLY.map((status) => `ExecutionStatus = '${status}'`).join(' OR ');
  const stuck = new Map<number, StuckCohort>();
  for await (const execution of client.workflow.list({ query: `WorkflowId STARTS_WITH '${cohortWorkflowIdPrefix(breachId)}' AND (${statuses})` })) {
    const cohort = cohortOfWorkflowId(execution.workflowId);
    if (cohort?.breachId !== breachId || stuck.has(cohort.cohort)) continue;
    const latest = await client.workflow.getHandle(execution.workflowId).describe();
    if (latest.runId !== execution.runId || (await wasDelivered(client, execution.workflowId, execution.runId))) continue;
    stuck.set(cohort.cohort, { cohort: cohort.cohort, workflowId: execution.workflowId, ended: endedAs(execution.status.name) });
  }
  return [...stuck.values()].sort((a, b) => a.cohort - b.cohort);
}

async function wasDelivered(client: Client, workflowId: string, runId: string): Promise<boolean> {
  return (await runStartInput<CohortInput>(client, workflowId, runId))?.delivered !== undefined;
}
