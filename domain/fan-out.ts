import type { FinalState, SubjectFinished } from './cascade';
import type { RosterEntry, RosterRef } from './individuals';
import type { IndividualCounts } from './status';

export interface UnreachableSubject {
  subjectId: string;
  reasons: string[];
}

/** How many unreachable subjects the status lists by id; the count is always complete. */
export const UNREACHABLE_LISTED = 1000;

/**
 * Progress of the fan-out to individuals. It is plain data so that it can be carried into the
 * next run when the breach workflow continues-as-new, and resume exactly where it stopped.
 */
export interface FanOutProgress {
  roster: RosterRef;
  total: number;
  cursor: number | null;
  buffer: RosterEntry[];
  running: string[];
  started: number;
  finished: Record<FinalState, number>;
  duplicates: number;
  unreachable: UnreachableSubject[];
  /** Subjects whose letter came back; a repeated report must not count twice. */
  returned: string[];
  /**
   * Subjects notified by post, so that only their letters can come back. Unset in the state of a
   * fan-out that started before it was kept: such a breach takes every report as before.
   */
  lettersMailed?: string[];
  error?: string;
}

/** Lob (or a person) reports that a mailed notice was returned to sender. */
export interface ReturnedMailReport {
  subjectId: string;
  reason: string;
}

export function newFanOut(roster: RosterRef, total: number): FanOutProgress {
  return {
    roster,
    total,
    cursor: 0,
    buffer: [],
    running: [],
    started: 0,
    finished: { 'notified-email': 0, 'notified-fax': 0, 'notified-postal': 0, unreachable: 0 },
    duplicates: 0,
    unreachable: [],
    returned: [],
    lettersMailed: [],
  };
}

export function allStarted(fan: FanOutProgress): boolean {
  return fan.cursor === null && fan.buffer.length === 0;
}

export function fanOutDone(fan: FanOutProgress): boolean {
  return (allStarted(fan) && fan.running.length === 0) || fan.error !== undefined;
}

export function recordFinished(fan: FanOutProgress, report: SubjectFinished): void {
  const index = fan.running.indexOf(report.subjectId);
  if (index === -1) return; // A repeated report: counted already.
  fan.running.splice(index, 1);
  fan.finished[report.state]++;
  if (report.state === 'notified-postal') fan.lettersMailed?.push(report.subjectId);
  if (report.state === 'unreachable') noteUnreachable(fan, report.subjectId, report.reasons ?? []);
}

/** A letter that came back: the subject, counted as notified by post, is unreachable after all. */
export function recordReturnedMail(fan: FanOutProgress, report: ReturnedMailReport): void {
  if (fan.returned.includes(report.subjectId)) return;
  fan.returned.push(report.subjectId);
  // Only a fan-out from before `lettersMailed` was kept can take a report for a letter never mailed.
  fan.finished['notified-postal'] = Math.max(0, fan.finished['notified-postal'] - 1);
  fan.finished.unreachable++;
  noteUnreachable(fan, report.subjectId, [`postal: returned to sender (${report.reason})`]);
}

/** Why a returned-letter report cannot be right, or undefined when it can. */
export function returnedMailProblem(fan: FanOutProgress, report: ReturnedMailReport): string | undefined {
  if (fan.lettersMailed && !fan.lettersMailed.includes(report.subjectId)) return `no letter was mailed to subject '${report.subjectId}' on this breach`;
  return undefined;
}

/** A roster row that cannot be contacted at all (skipped as invalid at start). */
export function recordSkipped(fan: FanOutProgress, entry: RosterEntry): void {
  fan.finished.unreachable++;
  noteUnreachable(fan, entry.subjectId, [`roster line ${entry.line}: ${entry.problem}`]);
}

function noteUnreachable(fan: FanOutProgress, subjectId: string, reasons: string[]): void {
  if (fan.unreachable.length < UNREACHABLE_LISTED) fan.unreachable.push({ subjectId, reasons });
}

export function individualCounts(fan: FanOutProgress | undefined, rosterTotal = 0): IndividualCounts {
  if (!fan) return { pending: rosterTotal, inProgress: 0, notifiedByEmail: 0, notifiedByFax: 0, notifiedByPostal: 0, unreachable: 0 };
  const finished = fan.finished;
  const done = finished['notified-email'] + finished['notified-fax'] + finished['notified-postal'] + finished.unreachable;
  return {
    pending: Math.max(0, fan.total - done - fan.running.length - fan.duplicates),
    inProgress: fan.running.length,
    notifiedByEmail: finished['notified-email'],
    notifiedByFax: finished['notified-fax'],
    notifiedByPostal: finished['notified-postal'],
    unreachable: finished.unreachable,
  };
}
