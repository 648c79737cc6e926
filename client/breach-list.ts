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
export async function listBreachRuns(client: Client, filters: string[]): Promise<WorkflowExecutionInfo[]> {
  const lately = [
    "WorkflowType = 'BreachWorkflow'",
    `(ExecutionStatus != 'ContinuedAsNew' OR CloseTime > '${new Date(Date.now() - VISIBILITY_LAG_MS).toISOString()}')`,
  ];
  const matching = await latestRuns(client, [...lately, ...filters]);
  const ended = [...matching.values()].filter((run) => run.status.name === 'CONTINUED_AS_NEW');
  if (ended.length > 0) {
    const newest = await latestRuns(client, [...lately, `WorkflowId IN (${ended.map((run) => `'${run.workflowId}'`).join(', ')})`]);
    for (const run of ended) if (newest.get(run.workflowId)?.runId !== run.runId) matching.delete(run.workflowId);
  }
  return [...matching.values()].sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
}

/** The latest-started run of each workflow the query lists. */
async function latestRuns(client: Client, clauses: string[]): Promise<Map<string, WorkflowExecutionInfo>> {
  const latest = new Map<string, WorkflowExecutionInfo>();
  for await (const run of client.workflow.list({ query: clauses.join(' AND ') })) {
    const known = latest.get(run.workflowId);
    if (!known || run.startTime > known.startTime) latest.set(run.workflowId, run);
  }
  return latest;
}
