/**
 * The way out for people whose cohort workflow ended before they had a final state (terminated,
 * failed, timed out): `breach subject retry` starts the cohort again from where each person's
 * cascade stood, `breach subject resolve` records by hand what happened to one person.
 */
import type { CohortCounts, CohortInput, FinalState, PersonProgress, SubjectView } from './cascade';

/** The final states a person can be given by hand: a duplicate row is the roster's business, not a person's outcome. */
export const RESOLVED_STATES = ['notified-email', 'notified-fax', 'notified-postal', 'unreachable'] as const satisfies readonly FinalState[];
export type ResolvedState = (typeof RESOLVED_STATES)[number];

export interface RetryCohortRequest {
  cohort: number;
  /** The subject whose retry was asked for, when it was asked by subject. */
  subjectId?: string;
  reason: string;
  by: string;
}

export interface CohortRetried {
  cohort: number;
  workflowId: string;
  /** How the cohort's workflow had ended: terminated, failed, timed out or canceled. */
  ended: string;
  rows: number;
  /** Rows that keep the final state they had (duplicate and invalid rows among them). */
  final: number;
  /** People whose notice was accepted and who go on waiting for its delivery report. */
  awaiting: number;
  /** People whose send may have been under way: looked up at the provider, or resent with the same notice id. */
  mayHaveBeenSent: number;
}

export interface ResolveSubjectRequest {
  cohort: number;
  subjectId: string;
  state: ResolvedState;
  reason: string;
  by: string;
}

export interface SubjectResolved {
  cohort: number;
  subjectId: string;
  state: ResolvedState;
  /** People of the cohort still without a final state; at 0 the cohort counts as final. */
  remaining: number;
}

/** A person given a final state by hand; the breach keeps these per cohort, as many as were typed. */
export interface Resolution {
  subjectId: string;
  state: ResolvedState;
  by: string;
  reason: string;
}

/** A cohort's workflow that ended abnormally, as its last run left it: what a retry starts again from. */
export interface EndedCohortProgress {
  ended: string;
  input: CohortInput;
  counts: CohortCounts;
  progress: PersonProgress[];
}

/** One person of a cohort whose workflow ended abnormally, and the cohort's counts when it ended. */
export interface EndedCohortSubject {
  ended: string;
  counts: CohortCounts;
  subject: SubjectView | null;
}

/** The progress a retry resumes from: the ended run's, with the people resolved by hand since then final. */
export function progressWithResolutions(progress: PersonProgress[], resolutions: Resolution[]): PersonProgress[] {
  const resolved = new Map(resolutions.map((r) => [r.subjectId, r]));
  const kept = progress.filter((p) => !resolved.has(p.subjectId));
  return [
    ...kept,
    ...resolutions.map(
      (r): PersonProgress => ({ subjectId: r.subjectId, step: 0, stage: 'final', at: 0, final: r.state, resolved: { by: r.by, reason: r.reason }, ...(r.state === 'unreachable' ? { reasons: resolvedReasons(r) } : {}) }),
    ),
  ];
}

/** What an unreachable person resolved by hand shows as the reasons (substitute notice needs them). */
export function resolvedReasons(r: Pick<Resolution, 'by' | 'reason'>): string[] {
  return [`resolved by hand by ${r.by}: ${r.reason}`];
}
