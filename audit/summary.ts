/**
 * The figures an auditor asks first, worked out from an export's entries and their fields, so
 * that the summary of an archived export is the same as that of a fresh one (exports filed as v1
 * have no fields; their figures are read from the entries' words): hours from awareness to the
 * authority notice, time under a hold, coverage of the individuals, and how long people waited to
 * be told.
 */
import type { AuditEntry, AuditExport } from './export-schema';

export interface AuditSummary {
  awareAt?: string;
  deadline?: string;
  noticeAt?: string;
  /** Hours from awareness to the authority notice. */
  noticeHours?: number;
  onTime?: boolean;
  /** Hours during which at least one hold was active (overlapping holds counted once). */
  heldHours: number;
  holds: { holdId: string; from: string; to?: string }[];
  notified: number;
  unreachable: number;
  /** Of the people with a final state, the share notified. */
  coverage?: number;
  /** Hours from awareness to each person's notice: the median and the longest. */
  timeToNotify?: { p50Hours: number; maxHours: number };
  /** Each notified person's notice time, for the fan-out curve. */
  notifiedAt: string[];
  findings: number;
}

const HOUR = 3_600_000;
const hours = (from: string, to: string) => Math.round(((Date.parse(to) - Date.parse(from)) / HOUR) * 10) / 10;

export function summarizeAudit(report: AuditExport, now: Date = new Date()): AuditSummary {
  const opened = report.entries.find((e) => e.kind === 'opened');
  const awareAt = opened?.fields?.awareAt ?? v1Text(opened, /aware at (\S+);/);
  const deadlineHours = opened?.fields?.deadlineHours ?? Number(v1Text(opened, /deadline (\d+(?:\.\d+)?) h after awareness/));
  const deadline = opened?.fields?.deadline ?? (awareAt && deadlineHours ? new Date(Date.parse(awareAt) + deadlineHours * HOUR).toISOString() : undefined);
  const notice = report.entries.find((e) => e.kind === 'authority-notified');
  const noticeAt = notice ? (notice.fields?.acceptedAt ?? v1Text(notice, /accepted by the relay at (\S+);/) ?? notice.at) : undefined;
  const holds = holdIntervals(report.entries);
  const notifiedAt = report.entries.filter((e) => e.kind === 'subject-notified').map((e) => e.at).sort();
  const unreachable = report.entries.filter((e) => e.kind === 'subject-unreachable').length;
  const waits = awareAt ? notifiedAt.map((at) => hours(awareAt, at)) : [];
  return {
    awareAt,
    deadline,
    noticeAt,
    noticeHours: awareAt && noticeAt ? hours(awareAt, noticeAt) : undefined,
    onTime: notice ? (notice.fields?.onTime ?? !/LATE/.test(notice.summary)) : undefined,
    heldHours: heldHours(holds, now),
    holds,
    notified: notifiedAt.length,
    unreachable,
    coverage: notifiedAt.length + unreachable ? Math.round((1000 * notifiedAt.length) / (notifiedAt.length + unreachable)) / 10 : undefined,
    timeToNotify: waits.length ? { p50Hours: waits[Math.floor((waits.length - 1) / 2)]!, maxHours: waits[waits.length - 1]! } : undefined,
    notifiedAt,
    findings: report.findings.length,
  };
}

/** A figure of an export filed as breach-audit/v1, whose entries give it only in words. */
function v1Text(entry: AuditEntry | undefined, pattern: RegExp): string | undefined {
  return entry ? pattern.exec(entry.summary)?.[1] : undefined;
}

function holdIntervals(entries: AuditEntry[]): AuditSummary['holds'] {
  const holds = new Map<string, { holdId: string; from: string; to?: string }>();
  for (const e of entries) {
    const holdId = e.fields?.holdId ?? v1Text(e, /^(hold-\d+)[: ]/);
    if (!holdId) continue;
    if (e.kind === 'hold-placed') holds.set(holdId, { holdId, from: e.at });
    else if (e.kind === 'hold-released' && holds.has(holdId)) holds.get(holdId)!.to = e.at;
  }
  return [...holds.values()];
}

function heldHours(holds: AuditSummary['holds'], now: Date): number {
  const spans = holds.map((h) => [Date.parse(h.from), h.to ? Date.parse(h.to) : now.getTime()] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [from, to] of spans) {
    if (to <= end) continue;
    total += to - Math.max(from, end);
    end = to;
  }
  return Math.round((total / HOUR) * 10) / 10;
}
