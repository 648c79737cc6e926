import type { Client } from '@temporalio/client';
import { subjectWorkflowId } from '../domain/cascade';
import { breachWorkflowId } from '../domain/ids';
import { FindingsCollector, SubjectRecord } from './findings';
import { readRuns, runIdsOf, streamRuns, subjectRunsOf } from './read-history';
import { buildSubjectTimeline } from './subject-timeline';
import type { AuditExport } from './export-schema';
import { auditExport, TimelineBuilder } from './timeline';

/** Subject histories read at once: enough to hide the round trips, few enough to spare the server. */
const SUBJECT_READS_AT_ONCE = 16;

/**
 * The audit of a breach, or of one of its subjects, from Temporal's history; undefined when there
 * is none. The breach's histories stream through the timeline and the findings; each subject's
 * history is reduced to its sends as it streams, so a breach of any size is audited in little memory.
 */
export async function buildAudit(client: Client, breachId: string, subjectId?: string): Promise<AuditExport | undefined> {
  if (subjectId) return subjectAudit(client, breachId, subjectId);
  const workflowId = breachWorkflowId(breachId);
  const runIds = await runIdsOf(client, workflowId);
  if (runIds.length === 0) return undefined;

  const timeline = new TimelineBuilder();
  const collector = new FindingsCollector();
  await streamRuns(client, workflowId, runIds, timeline, collector);
  const subjects = await subjectRunsOf(client, workflowId);
  const read = await mapConcurrently([...subjects], SUBJECT_READS_AT_ONCE, async ([id, subjectRunIds]) => {
    const record = new SubjectRecord();
    await streamRuns(client, id, subjectRunIds, record);
    return { id, record };
  });
  // Added in workflow-ID order, whatever order the reads finished in, so the findings come out the same every time.
  for (const { id, record } of read) collector.addSubject(id.slice(`${workflowId}-subject-`.length), record);

  const entries = timeline.entries();
  return auditExport(breachId, workflowId, runIds.map((runId) => ({ runId })), entries, collector.findings(new Date()));
}

async function subjectAudit(client: Client, breachId: string, subjectId: string): Promise<AuditExport | undefined> {
  const workflowId = subjectWorkflowId(breachId, subjectId);
  const runs = await readRuns(client, workflowId);
  return runs.length ? auditExport(breachId, workflowId, runs, buildSubjectTimeline(runs)) : undefined;
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
