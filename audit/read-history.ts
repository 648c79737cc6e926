import type { Client } from '@temporalio/client';
import type { HistoryEvent, HistoryObserver, RunHistory } from './history-events';

/**
 * Events asked for per request. A page is the most of a history the audit holds at once, so it
 * stays small; large enough that a long breach history takes few round trips.
 */
const HISTORY_PAGE_SIZE = 1000;

/**
 * The runs of a workflow, oldest first. Continue-as-new starts a new run under the same workflow
 * ID; the breach's story is all of them together.
 */
export async function runIdsOf(client: Client, workflowId: string): Promise<string[]> {
  const runs: { runId: string; startTime: Date }[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runs.push({ runId: execution.runId, startTime: execution.startTime });
  }
  return oldestFirst(runs);
}

/**
 * The runs of the workflows that notified a breach's subjects, by workflow ID in ID order, each
 * oldest first. Found by workflow ID prefix rather than from the breach's own record, so that a
 * subject workflow started by anything else is audited too.
 */
export async function subjectRunsOf(client: Client, breachWorkflowId: string): Promise<Map<string, string[]>> {
  const runs = new Map<string, { runId: string; startTime: Date }[]>();
  for await (const execution of client.workflow.list({ query: `WorkflowId STARTS_WITH '${breachWorkflowId}-subject-'` })) {
    const run = { runId: execution.runId, startTime: execution.startTime };
    const known = runs.get(execution.workflowId);
    if (known) known.push(run);
    else runs.set(execution.workflowId, [run]);
  }
  const ids = [...runs.keys()].sort();
  return new Map(ids.map((id) => [id, oldestFirst(runs.get(id)!)]));
}

/** Feeds every event of the given runs, oldest run first, to the observers, one page in memory at a time. */
export async function streamRuns(client: Client, workflowId: string, runIds: string[], ...observers: HistoryObserver[]): Promise<void> {
  for (const [runIndex, runId] of runIds.entries()) {
    for await (const event of runEvents(client, workflowId, runId)) {
      for (const observer of observers) observer.observe(runId, runIndex, event);
    }
  }
}

/** Every run of a workflow with its whole history: for one person's history, which is short. */
export async function readRuns(client: Client, workflowId: string): Promise<RunHistory[]> {
  const runs: RunHistory[] = [];
  for (const runId of await runIdsOf(client, workflowId)) {
    const events: HistoryEvent[] = [];
    for await (const event of runEvents(client, workflowId, runId)) events.push(event);
    runs.push({ runId, events });
  }
  return runs;
}

/** The events of one run, page by page as the server sends them. */
async function* runEvents(client: Client, workflowId: string, runId: string): AsyncGenerator<HistoryEvent> {
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      maximumPageSize: HISTORY_PAGE_SIZE,
      nextPageToken,
    });
    yield* page.history?.events ?? [];
    nextPageToken = page.nextPageToken;
  } while (nextPageToken?.length);
}

function oldestFirst(runs: { runId: string; startTime: Date }[]): string[] {
  return [...runs].sort((a, b) => a.startTime.getTime() - b.startTime.getTime()).map((run) => run.runId);
}
