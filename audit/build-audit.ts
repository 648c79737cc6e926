import type { Client } from '@temporalio/client';
import { breachWorkflowId, cohortWorkflowId } from '../domain/ids';
import { CohortHistory } from './cohort-events';
import type { AuditExport } from './export-schema';
import { FindingsCollector } from './findings';
import { cohortRunsOf, runIdsOf, scanRun, streamRuns } from './read-history';
import { RosterLookup, SubjectTimeline } from './subject-timeline';
import { auditExport, CohortTimeline, timelineEntries, TimelineBuilder } from './timeline';

/** Cohort histories read at once: enough to hide the round trips, few enough to spare the server. */
const COHORT_READS_AT_ONCE = 16;

/**
 * The audit of a breach, or of one of its subjects, from Temporal's history; undefined when there
 * is none. The breach's histories stream through the timeline and the findings, then each
 * cohort's, page by page: a cohort's history is reduced to one entry per person and the sends
 * made during a hold as it streams, so a breach of any size is audited in little memory.
 */
/** Told how many of the breach's cohorts have been read, for a progress line. */
export type AuditProgress = (cohortsRead: number, cohorts: number) => void;

export async function buildAudit(client: Client, breachId: string, subjectId?: string, progress?: AuditProgress): Promise<AuditExport | undefined> {
  if (subjectId) return subjectAudit(client, breachId, subjectId);
  const workflowId = breachWorkflowId(breachId);
  const runIds = await runIdsOf(client, workflowId);
  if (runIds.length === 0) return undefined;

  const timeline = new TimelineBuilder();
  const collector = new FindingsCollector(new Date());
  // The breach first: its holds must all be known when the cohorts' sends are checked against them.
  await streamRuns(client, workflowId, runIds, timeline, collector);
  const cohortRuns = [...(await cohortRunsOf(client, breachId))];
  let read = 0;
  const cohorts = await mapConcurrently(cohortRuns, COHORT_READS_AT_ONCE, async ([cohort, cohortRunIds]) => {
    const entries = new CohortTimeline(cohort);
    const record = collector.cohortRecord(cohort);
    await streamRuns(client, cohortWorkflowId(breachId, cohort), cohortRunIds, new CohortHistory([entries, record]));
    progress?.(++read, cohortRuns.length);
    return { entries, record };
  });
  // Added in cohort order, whatever order the reads finished in, so the findings come out the same every time.
  for (const { record } of cohorts) collector.addCohort(record);

  const entries = timelineEntries(timeline, cohorts.map((c) => c.entries));
  return auditExport(breachId, workflowId, runIds.map((runId) => ({ runId })), entries, collector.findings());
}

/** One person's attempts, from the history of the cohort that notifies them. */
async function subjectAudit(client: Client, breachId: string, subjectId: string): Promise<AuditExport | undefined> {
  const cohorts = await cohortRunsOf(client, breachId);
  const cohort = await cohortOf(client, breachId, cohorts, subjectId);
  if (cohort === undefined) return undefined;
  const workflowId = cohortWorkflowId(breachId, cohort);
  const runIds = cohorts.get(cohort)!;
  const timeline = new SubjectTimeline(subjectId);
  await streamRuns(client, workflowId, runIds, new CohortHistory([timeline]));
  return auditExport(breachId, workflowId, runIds.map((runId) => ({ runId })), timeline.entries);
}

/**
 * The cohort that notifies a subject, found without the roster file: the result of each cohort's
 * roster read (near the start of its first run) lists its subjects. Cohorts are scanned in number
 * order, 16 at a time, each only as far as its roster read; a subject on several rows is
 * notified by the cohort of the first.
 */
async function cohortOf(client: Client, breachId: string, cohorts: Map<number, string[]>, subjectId: string): Promise<number | undefined> {
  const numbers = [...cohorts.keys()];
  for (let i = 0; i < numbers.length; i += COHORT_READS_AT_ONCE) {
    const holds = await Promise.all(
      numbers.slice(i, i + COHORT_READS_AT_ONCE).map(async (cohort) => {
        const roster = new RosterLookup(subjectId);
        await scanRun(client, cohortWorkflowId(breachId, cohort), cohorts.get(cohort)![0]!, new CohortHistory([roster]), () => roster.done);
        return roster.found;
      }),
    );
    const found = holds.indexOf(true);
    if (found >= 0) return numbers[i + found];
  }
  return undefined;
}

/** Runs `task` for every item with at most `limit` running at once; the results keep the items' order. */
async function mapConcurrently<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
