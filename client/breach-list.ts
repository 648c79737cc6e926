import type { Client, WorkflowExecutionInfo } from '@temporalio/client';

/**
 * How long after a breach continued as new its ended run may still stand for it in a list. Visibility
 * records the ended run and the run that follows one after the other, usually milliseconds apart;
 * a few minutes covers a busy server without listing every old run of every breach.
 */
const VISIBILITY_LAG_MS = 5 * 60_000;

/**
 * The latest run of each breach workflow that matches `filters` (visibility query clauses). Runs
 * that continued as new lately are asked for too: just after a breach continues as new, visibility
 * may not show the run that followed yet, and the breach would be missing from the list. Such a
 * run stands for its breach (the run that follows starts with its search attributes) unless
 * visibility already shows a later run, which then did not match the filters.
 */
export async function listBreachRuns(client: Client, filters: string[], now = new Date()): Promise<WorkflowExecutionInfo[]> {
  const recentlyContinued = `CloseTime > '${new Date(now.getTime() - VISIBILITY_LAG_MS).toISOString()}'`;
  const query = ["WorkflowType = 'BreachWorkflow'", `(ExecutionStatus != 'ContinuedAsNew' OR ${recentlyContinued})`, ...filters].join(' AND ');
  const latest = new Map<string, WorkflowExecutionInfo>();
  for await (const execution of client.workflow.list({ query })) {
    const known = latest.get(execution.workflowId);
    if (!known || execution.startTime > known.startTime) latest.set(execution.workflowId, execution);
  }
  for (const execution of [...latest.values()]) {
    if (execution.status.name === 'CONTINUED_AS_NEW' && (await hasLaterRun(client, execution))) latest.delete(execution.workflowId);
  }
  return [...latest.values()].sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
}

async function hasLaterRun(client: Client, ended: WorkflowExecutionInfo): Promise<boolean> {
  for await (const later of client.workflow.list({ query: `WorkflowId = '${ended.workflowId}' AND StartTime > '${ended.startTime.toISOString()}'` })) {
    if (later.runId !== ended.runId) return true;
  }
  return false;
}
