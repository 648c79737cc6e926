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
