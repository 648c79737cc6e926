import type { Client } from '@temporalio/client';
import type { RunHistory } from './timeline';

/**
 * Every run of a workflow, oldest first, with its full history. Continue-as-new starts a new run
 * under the same workflow ID; the breach's story is all of them together.
 */
export async function readRuns(client: Client, workflowId: string): Promise<RunHistory[]> {
  const runs: { runId: string; startTime: Date }[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runs.push({ runId: execution.runId, startTime: execution.startTime });
  }
  runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  const histories: RunHistory[] = [];
  for (const run of runs) {
    const history = await client.workflow.getHandle(workflowId, run.runId).fetchHistory();
    histories.push({ runId: run.runId, events: history.events ?? [] });
  }
  return histories;
}

/**
 * The workflows that notified a breach's subjects. Found by workflow ID prefix rather than from the
 * breach's own record, so that a subject workflow started by anything else is audited too.
 */
export async function subjectWorkflowIdsOf(client: Client, breachWorkflowId: string): Promise<string[]> {
  const ids = new Set<string>();
  for await (const execution of client.workflow.list({ query: `WorkflowId STARTS_WITH '${breachWorkflowId}-subject-'` })) ids.add(execution.workflowId);
  return [...ids].sort();
}
