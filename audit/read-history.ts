import type { Client } from '@temporalio/client';
import { cohortOfWorkflowId, cohortWorkflowIdPrefix } from '../domain/ids';
import { firstPayload, type HistoryEvent, type HistoryObserver } from './history-events';

/**
 * Events asked for per request. A page is the most of a history the audit holds at once, so it
 * stays small; large enough that a long breach history takes few round trips.
 */
const HISTORY_PAGE_SIZE = 1000;

interface Run {
  runId: string;
  startTime: Date;
}

/**
 * The runs of a workflow, oldest first. Continue-as-new starts a new run under the same workflow
 * ID; the breach's story is all of them together.
 */
export async function runIdsOf(client: Client, workflowId: string): Promise<string[]> {
  const runs: Run[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runs.push({ runId: execution.runId, startTime: execution.startTime });
  }
  return oldestFirst(runs);
}

/**
 * The runs of the workflows that notified a breach's cohorts, by cohort number in number order,
 * each oldest first. Found by workflow ID prefix rather than from the breach's own record, so that
 * a cohort workflow started by anything else is audited too.
 */
export async function cohortRunsOf(client: Client, breachId: string): Promise<Map<number, string[]>> {
  const runs = new Map<number, Run[]>();
  for await (const execution of client.workflow.list({ query: `WorkflowId STARTS_WITH '${cohortWorkflowIdPrefix(breachId)}'` })) {
    const cohort = cohortOfWorkflowId(execution.workflowId);
    if (cohort?.breachId !== breachId) continue;
    const run = { runId: execution.runId, startTime: execution.startTime };
    const known = runs.get(cohort.cohort);
    if (known) known.push(run);
    else runs.set(cohort.cohort, [run]);
  }
  const cohorts = [...runs.keys()].sort((a, b) => a - b);
  return new Map(cohorts.map((cohort) => [cohort, oldestFirst(runs.get(cohort)!)]));
}

/** Feeds every event of the given runs, oldest run first, to the observers, one page in memory at a time. */
export async function streamRuns(client: Client, workflowId: string, runIds: string[], ...observers: HistoryObserver[]): Promise<void> {
  for (const [runIndex, runId] of runIds.entries()) {
    for await (const event of runEvents(client, workflowId, runId)) {
      for (const observer of observers) observer.observe(runId, runIndex, event);
    }
  }
}

/** Feeds the events of one run to the observer until `enough` says so, reading no further page than needed. */
export async function scanRun(client: Client, workflowId: string, runId: string, observer: HistoryObserver, enough: () => boolean): Promise<void> {
  for await (const event of runEvents(client, workflowId, runId)) {
    observer.observe(runId, 0, event);
    if (enough()) return;
  }
}

/** The input a run was started with: its first event, read alone. */
export async function runStartInput<T>(client: Client, workflowId: string, runId: string): Promise<T | undefined> {
  const page = await client.workflowService.getWorkflowExecutionHistory({ namespace: client.options.namespace, execution: { workflowId, runId }, maximumPageSize: 1 });
  return firstPayload<T>(page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input);
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

function oldestFirst(runs: Run[]): string[] {
  return [...runs].sort((a, b) => a.startTime.getTime() - b.startTime.getTime()).map((run) => run.runId);
}
