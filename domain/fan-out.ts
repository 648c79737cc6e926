import type { ChannelFailure, CohortCounts, CohortReport, CohortSlice } from './cascade';
import { resolvedReasons, type Resolution } from './cohort-recovery';
import type { RosterRef } from './individuals';
import type { IndividualCounts } from './status';

/** How many unreachable subjects the status lists by id; the count is always complete, and the audit lists all. */
export const UNREACHABLE_LISTED = 1000;

/**
 * What the breach knows of one cohort (its number is its index): a few numbers, whatever the
 * cohort's size. The counts are a tuple in TALLY order because a 1,000,000-person breach carries
 * 2,000 of these through every continue-as-new.
 */
export interface CohortSummary {
  stage: CohortReport['stage'];
  tally: number[];
  failing?: ChannelFailure;
  error?: string;
  /** People given a final state by hand since the cohort's workflow last ended abnormally. */
  resolved?: Resolution[];
}

export const TALLY = ['rows', 'notified-email', 'notified-fax', 'notified-postal', 'unreachable', 'duplicate'] as const satisfies readonly (keyof CohortCounts)[];

function tallyOf(counts: CohortCounts): number[] {
  return TALLY.map((key) => counts[key]);
}

export function countsOf(tally: number[]): CohortCounts {
  return Object.fromEntries(TALLY.map((key, i) => [key, tally[i] ?? 0])) as unknown as CohortCounts;
}

/**
 * Progress of the fan-out to individuals, in cohorts. It grows with the number of cohorts, never
 * with the number of people, and is plain data so that it is carried into the next run when the
 * breach continues-as-new.
 */
export interface FanOutProgress {
  roster: RosterRef;
  total: number;
  /** Where the next cohorts begin; null once every cohort has been planned. */
  next: { cursor: number; line: number } | null;
  /** Cohorts planned and not started yet. */
  planned: CohortSlice[];
  cohorts: CohortSummary[];
  unreachable: { subjectId: string; reasons: string[] }[];
  error?: string;
  /** When notifying began (workflow time); fan-outs begun before this was kept have none. */
  startedAt?: string;
  /** How many people were final over time, for the dashboard's chart; bounded (see `recordProgress`). */
  progress?: ProgressPoint[];
}

/** How many people were notified and how many unreachable at one moment of the fan-out. */
export interface ProgressPoint {
  at: string;
  notified: number;
  unreachable: number;
}

/**
 * Points kept at most. When the series is full every other point is dropped, so it always spans
 * the whole fan-out, finer for the recent past, and stays the same size whatever the roster's.
 */
const PROGRESS_POINTS = 120;

/** Adds the fan-out's counts now to its progress series when they moved. */
export function recordProgress(fan: FanOutProgress, now: Date): void {
  const c = individualCounts(fan);
  const point = { at: now.toISOString(), notified: c.notifiedByEmail + c.notifiedByFax + c.notifiedByPostal, unreachable: c.unreachable };
  const series = (fan.progress ??= []);
  const last = series[series.length - 1];
  if (last && last.notified === point.notified && last.unreachable === point.unreachable) return;
  series.push(point);
  if (series.length > PROGRESS_POINTS) fan.progress = series.filter((_, i) => i === 0 || (series.length - 1 - i) % 2 === 0);
}

export function newFanOut(roster: RosterRef, total: number, now: Date): FanOutProgress {
  return { roster, total, next: { cursor: 0, line: 1 }, planned: [], cohorts: [], unreachable: [], startedAt: now.toISOString() };
}

export function allStarted(fan: FanOutProgress): boolean {
  return fan.next === null && fan.planned.length === 0;
}

export function fanOutDone(fan: FanOutProgress): boolean {
  return (allStarted(fan) && fan.cohorts.every((c) => c.stage === 'final')) || fan.error !== undefined;
}

/** Cohorts that hold a sending slot. */
export function sendingCohorts(fan: FanOutProgress): number {
  return fan.cohorts.filter((c) => c.stage === 'sending').length;
}

/** Records a cohort as started; returns its number. */
export function startCohort(fan: FanOutProgress, slice: CohortSlice): number {
  fan.cohorts.push({ stage: 'sending', tally: tallyOf(emptyCounts(slice.rows)) });
  return fan.cohorts.length - 1;
}

/** A cohort's report replaces what the breach knew of it; a stage never goes back (reports may arrive late). */
export function recordCohortReport(fan: FanOutProgress, report: CohortReport): void {
  const summary = fan.cohorts[report.cohort];
  if (!summary) return;
  const order = ['sending', 'waiting', 'final'];
  if (order.indexOf(report.stage) > order.indexOf(summary.stage)) summary.stage = report.stage;
  summary.tally = tallyOf({ ...report.counts, rows: summary.tally[0]! });
  // A final cohort sends nothing more, so a failure it reported no longer holds anyone up.
  summary.failing = report.stage === 'final' ? undefined : report.failing;
  if (report.error) {
    summary.error = report.error;
    fan.error ??= report.error;
  }
  for (const { subjectId, reasons = [] } of report.unreachable) {
    const listed = fan.unreachable.find((u) => u.subjectId === subjectId);
    // A returned letter changes the reasons of a subject already listed.
    if (listed) listed.reasons = reasons;
    else if (fan.unreachable.length < UNREACHABLE_LISTED) fan.unreachable.push({ subjectId, reasons });
  }
}

/**
 * A person of a cohort whose workflow ended abnormally, given a final state by hand, counted on
 * top of the counts the workflow ended with. Returns how many of its people still have none.
 */
export function recordResolution(fan: FanOutProgress, cohort: number, resolution: Resolution, countsAtEnd: CohortCounts): number {
  const summary = fan.cohorts[cohort]!;
  summary.resolved = [...(summary.resolved ?? []), resolution];
  const counts = { ...countsAtEnd, rows: summary.tally[0]! };
  for (const { state } of summary.resolved) counts[state]++;
  summary.tally = tallyOf(counts);
  if (resolution.state === 'unreachable' && fan.unreachable.length < UNREACHABLE_LISTED) fan.unreachable.push({ subjectId: resolution.subjectId, reasons: resolvedReasons(resolution) });
  return counts.rows - finalRows(counts);
}

/** How many of a cohort's rows have a final state (a duplicate row's is its first row's). */
export function finalRows(c: CohortCounts): number {
  return c['notified-email'] + c['notified-fax'] + c['notified-postal'] + c.unreachable + c.duplicate;
}

function emptyCounts(rows: number): CohortCounts {
  return { rows, 'notified-email': 0, 'notified-fax': 0, 'notified-postal': 0, unreachable: 0, duplicate: 0 };
}

export function individualCounts(fan: FanOutProgress | undefined, rosterTotal = 0): IndividualCounts {
  const counts: IndividualCounts = { pending: fan?.total ?? rosterTotal, inProgress: 0, sending: 0, awaitingReports: 0, notifiedByEmail: 0, notifiedByFax: 0, notifiedByPostal: 0, unreachable: 0 };
  for (const { tally, stage } of fan?.cohorts ?? []) {
    const c = countsOf(tally);
    const open = c.rows - finalRows(c);
    counts.pending -= c.rows;
    counts.inProgress += open;
    if (stage === 'sending') counts.sending! += open;
    else counts.awaitingReports! += open;
    counts.notifiedByEmail += c['notified-email'];
    counts.notifiedByFax += c['notified-fax'];
    counts.notifiedByPostal += c['notified-postal'];
    counts.unreachable += c.unreachable;
  }
  counts.pending = Math.max(0, counts.pending);
  return counts;
}

/** Channels our side cannot reach, with the earliest failure and how many cohorts it holds up. */
export function channelFailures(fan: FanOutProgress | undefined): (ChannelFailure & { cohorts: number })[] {
  const byChannel = new Map<string, ChannelFailure & { cohorts: number }>();
  for (const { failing } of fan?.cohorts ?? []) {
    if (!failing) continue;
    const known = byChannel.get(failing.channel);
    if (!known) byChannel.set(failing.channel, { ...failing, cohorts: 1 });
    else {
      known.cohorts++;
      if (failing.since < known.since) Object.assign(known, { since: failing.since, reason: failing.reason });
    }
  }
  return [...byChannel.values()];
}
