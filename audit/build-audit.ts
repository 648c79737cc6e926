import type { Client } from '@temporalio/client';
import { subjectWorkflowId } from '../domain/cascade';
import { breachWorkflowId } from '../domain/breach';
import { findings } from './findings';
import { readRuns, subjectWorkflowIdsOf } from './read-history';
import { buildSubjectTimeline } from './subject-timeline';
import { auditExport, buildTimeline, type AuditExport, type RunHistory } from './timeline';

/** The audit of a breach, or of one of its subjects, from Temporal's history; undefined when there is none. */
export async function buildAudit(client: Client, breachId: string, subjectId?: string): Promise<AuditExport | undefined> {
  const workflowId = subjectId ? subjectWorkflowId(breachId, subjectId) : breachWorkflowId(breachId);
  const runs = await readRuns(client, workflowId);
  if (runs.length === 0) return undefined;
  if (subjectId) return auditExport(breachId, workflowId, runs, buildSubjectTimeline(runs));
  const entries = buildTimeline(runs);
  const subjects = new Map<string, RunHistory[]>();
  for (const id of await subjectWorkflowIdsOf(client, workflowId)) subjects.set(id.slice(`${workflowId}-subject-`.length), await readRuns(client, id));
  return auditExport(breachId, workflowId, runs, entries, findings(runs, entries, subjects, new Date()));
}
