import type { Client } from '@temporalio/client';
import type { SubjectView } from '../domain/cascade';
import { breachWorkflowId, cohortOfWorkflowId, cohortWorkflowId, cohortWorkflowIdPrefix } from '../domain/ids';
import { subjectQuery } from '../workflows/messages/cohort';
import { CommandFailed } from './errors';

/** Cohorts asked at once: enough to hide the round trips, few enough to spare the worker. */
const ASKED_AT_ONCE = 16;

/**
 * Finds the cohort that notifies a subject, from the subject id alone (no roster file): the
 * breach's cohort workflows are listed by workflow-ID prefix and asked, running ones first, 16 at
 * a time, until one knows the subject. A delivery report's notice id names its cohort directly;
 * this is for people typing a subject id.
 */
export async function findSubjectCohort(client: Client, breachId: string, subjectId: string): Promise<SubjectView | undefined> {
  const running = new Set<number>();
  const closed = new Set<number>();
  // Runs that continued as new are listed too: visibility may not show the run that followed yet,
  // and a handle without a run id reaches the latest run of the cohort's workflow id anyway.
  for await (const execution of client.workflow.list({ query: `WorkflowId STARTS_WITH '${cohortWorkflowIdPrefix(breachId)}'` })) {
    const cohort = cohortOfWorkflowId(execution.workflowId);
    if (cohort?.breachId !== breachId) continue;
    (execution.status.name === 'RUNNING' ? running : closed).add(cohort.cohort);
  }
  for (const cohorts of [[...running], [...closed].filter((cohort) => !running.has(cohort))]) {
    const ordered = cohorts.sort((a, b) => a - b);
    for (let i = 0; i < ordered.length; i += ASKED_AT_ONCE) {
      const answers = await Promise.all(
        ordered.slice(i, i + ASKED_AT_ONCE).map((cohort) =>
          client.workflow
            .getHandle(cohortWorkflowId(breachId, cohort))
            .query(subjectQuery, subjectId)
            .catch(() => null),
        ),
      );
      const found = answers.find((view): view is SubjectView => view !== null);
      if (found) return found;
    }
  }
  return undefined;
}

/** The subject's cohort, or a failure that says the breach has no such subject (the runner names a breach that does not exist). */
export async function requireSubjectCohort(client: Client, breachId: string, subjectId: string): Promise<SubjectView> {
  const view = await findSubjectCohort(client, breachId, subjectId);
  if (view) return view;
  await client.workflow.getHandle(breachWorkflowId(breachId)).describe();
  throw new CommandFailed(
    `no subject '${subjectId}' in breach '${breachId}' (a cohort whose workflow ended before it read its rows knows none of its subjects: breach status names such cohorts, and breach cohort retry starts one again)`,
  );
}
