/**
 * The breach's side of the way out for people whose cohort workflow ended before they had a final
 * state. A retry starts the cohort's workflow again under the same id (so that delivery reports
 * for its notices still find it), from where each person's cascade stood; a resolution records
 * one person's final state by hand, and once nobody in the cohort is left without one, the cohort
 * is started again the same way: with everyone final it only records their outcomes in a
 * delivered run, which is where the audit and the breach's final count read them. Both ask the
 * ended run itself what it knew.
 */
import { ApplicationFailure, ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import { UNFINISHED_STATES } from '../domain/cascade';
import { progressWithResolutions, type CohortRetried, type ResolveSubjectRequest, type RetryCohortRequest, type SubjectResolved } from '../domain/cohort-recovery';
import { failureMessage, REQUEST_REJECTED } from '../domain/failures';
import { finalRows, recordResolution } from '../domain/fan-out';
import { cohortWorkflowId } from '../domain/ids';
import type { BreachRecord } from './breach-record';
import { stateQuestions } from './state-questions';
import type { NotifyCohort } from './notify-cohort';

export function retryCohort(rec: BreachRecord, request: RetryCohortRequest): Promise<CohortRetried> {
  return recovering(rec, request.cohort, () => startAgain(rec, request.cohort));
}

export function resolveSubject(rec: BreachRecord, request: ResolveSubjectRequest): Promise<SubjectResolved> {
  const { cohort, subjectId, state, by, reason } = request;
  return recovering(rec, cohort, async () => {
    const ended = await answerOrRefuse(() => stateQuestions.readEndedCohortSubject({ cohortWorkflowId: cohortWorkflowId(rec.input.facts.breachId, cohort), subjectId }));
    if (!ended.subject) throw refused(`cohort ${cohort} had not read subject '${subjectId}' from the roster when its workflow ended; retry the cohort instead`);
    if (!(UNFINISHED_STATES as readonly string[]).includes(ended.subject.state)) throw refused(`subject '${subjectId}' already has a final state: ${ended.subject.state}`);
    const remaining = recordResolution(rec.fanOut!, cohort, { subjectId, state, by, reason }, ended.counts);
    if (remaining === 0) await startAgain(rec, cohort);
    return { cohort, subjectId, state, remaining };
  });
}

/** Starts the cohort's workflow again from where its ended run left each person, with those resolved by hand since then final. */
async function startAgain(rec: BreachRecord, cohort: number): Promise<CohortRetried> {
  const workflowId = cohortWorkflowId(rec.input.facts.breachId, cohort);
  const ended = await answerOrRefuse(() => stateQuestions.readEndedCohortProgress({ cohortWorkflowId: workflowId }));
  const summary = rec.fanOut!.cohorts[cohort]!;
  const resolved = summary.resolved ?? [];
  const resume = progressWithResolutions(ended.progress, resolved);
  rec.cohortsStarting++;
  try {
    await startChild<typeof NotifyCohort>('NotifyCohort', {
      workflowId,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [{ ...ended.input, ...rec.holdsForCohort(), parentWorkflowId: workflowInfo().workflowId, resume }],
    });
  } finally {
    rec.cohortsStarting--;
  }
  // The new run carries the resolutions; its reports count them from now on.
  summary.resolved = undefined;
  return {
    cohort,
    workflowId,
    ended: ended.ended,
    rows: ended.input.slice.rows,
    final: finalRows(ended.counts) + resolved.length,
    awaiting: resume.filter((p) => p.stage === 'awaiting').length,
    mayHaveBeenSent: resume.filter((p) => p.stage === 'due' && p.mayExist).length,
  };
}

/** One retry or resolution of a cohort at a time: each reads the ended run and changes what the breach knows of it. */
async function recovering<T>(rec: BreachRecord, cohort: number, work: () => Promise<T>): Promise<T> {
  rec.cohortsRecovering.add(cohort);
  try {
    return await work();
  } finally {
    rec.cohortsRecovering.delete(cohort);
  }
}

/** A cohort that is running, finished or gone refuses the request, in the activity's words. */
async function answerOrRefuse<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (err) {
    throw refused(failureMessage(err));
  }
}

function refused(reason: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(reason, REQUEST_REJECTED);
}
