/**
 * The first lines of `breach status`: the time left (or how late), a banner while a hold is
 * active, and the next step with the command to type, for each phase.
 */
import { describe, expect, it } from 'vitest';
import { formatStatus } from '../client/status-view';
import type { Hold } from '../domain/holds';
import type { BreachStatus } from '../domain/status';

const now = new Date('2026-12-01T14:48:00.000Z');
const hold: Hold = { holdId: 'hold-1', agency: 'NCA', caseRef: 'NCA-17', reason: 'Would alert suspects', by: 'Lena Legal', placedAt: '2026-12-01T09:00:00.000Z' };

function status(overrides: Partial<BreachStatus>): BreachStatus {
  return {
    breachId: '2026-031',
    title: 'Customer DB exposed',
    phase: 'awaiting-assessment',
    awareAt: '2026-11-30T08:00:00.000Z',
    deadline: '2026-12-03T08:00:00.000Z',
    asOf: now.toISOString(),
    pastDeadline: false,
    assessments: [],
    supplements: [],
    holds: { active: [], released: [] },
    reminders: [],
    individuals: { pending: 0, inProgress: 0, notifiedByEmail: 0, notifiedByFax: 0, notifiedByPostal: 0, unreachable: 0 },
    unreachableSubjects: [],
    channelFailures: [],
    ...overrides,
  };
}

/** The status of a breach assessed at `risk`. */
const assessed = (risk: 'unlikely' | 'risk' | 'high') => ({ risk, assessments: [{ risk, rationale: 'Contact data exposed', by: 'Ines Responder', at: '2026-11-30T09:00:00.000Z' }] });

const head = (s: BreachStatus, lines = 2) => formatStatus(s, now).split('\n').slice(0, lines);

describe('the first lines of breach status', () => {
  it('starts with the time left to the authority deadline and the next command', () => {
    expect(head(status({}))).toEqual([
      'DEADLINE in 41h 12m: Thu, 03 Dec 2026 08:00 UTC',
      'Next: breach assess 2026-031 --risk unlikely|risk|high --rationale "…" --by "…" (scoring flags: see breach assess --help)',
    ]);
  });

  it('says how late once the deadline has passed, and asks for the reason', () => {
    expect(head(status({ phase: 'awaiting-late-reason', ...assessed('risk'), deadline: '2026-12-01T12:00:00.000Z', pastDeadline: true }))).toEqual([
      'LATE: the authority deadline passed 2h 48m ago (Tue, 01 Dec 2026 12:00 UTC)',
      'Next: breach late-reason 2026-031 --reason "…" --by "…": the report goes out with it',
    ]);
  });

  it('puts a hold banner first after the deadline, and names the hold to release', () => {
    expect(head(status({ phase: 'notice-held', ...assessed('high'), holds: { active: [hold], released: [] } }), 3)).toEqual([
      'DEADLINE in 41h 12m: Thu, 03 Dec 2026 08:00 UTC',
      'HOLD ACTIVE: no individual is contacted while hold-1 (NCA) is in force',
      'Next: the authority notice waits for the hold: breach hold release 2026-031 hold-1 --reason "…" --by "…" once the agency agrees',
    ]);
  });

  it('once the authority is notified, says when and whether on time, and what is left', () => {
    const notified = status({ phase: 'individuals-notified', ...assessed('high'), authorityNotice: { channel: 'email', messageId: '<m@x>', sentAt: '2026-12-01T10:00:00.000Z', deadline: '2026-12-03T08:00:00.000Z', onTime: true } });
    expect(head(notified)).toEqual(['Authority notified at 2026-12-01T10:00:00.000Z, on time (deadline Thu, 03 Dec 2026 08:00 UTC)', 'Next: breach close 2026-031 --by "…"']);
    expect(head({ ...notified, phase: 'notifying-individuals', individuals: { ...notified.individuals, inProgress: 40, pending: 60 } })[1]).toBe('Next: nothing: 100 individual(s) still being notified');
    expect(head(status({ phase: 'documented', ...assessed('unlikely') }))[0]).toBe('No authority notice due: the risk is assessed as unlikely (deadline would have been Thu, 03 Dec 2026 08:00 UTC)');
    expect(head(status({ phase: 'notification-stopped', ...assessed('high'), fanOutError: 'the roster changed' }))[1]).toBe(
      'Next: fix the cause (the roster changed) or breach close 2026-031 --accept-incomplete --reason "…" --by "…"',
    );
    expect(head(status({ phase: 'closed', closed: { at: '2026-12-02T09:00:00.000Z', by: 'Ines Responder' } }))).toEqual(['CLOSED at 2026-12-02T09:00:00.000Z by Ines Responder', 'Next: nothing: the breach is closed']);
  });

  it('points at the cohort to retry when a cohort workflow ended before its people were final', () => {
    const lines = formatStatus(status({ phase: 'notifying-individuals', ...assessed('high') }), now, [{ cohort: 3, workflowId: 'breach-2026-031:cohort-3', ended: 'terminated' }]).split('\n');
    expect(lines[1]).toBe('Next: breach cohort retry 2026-031 3 --reason "…" --by "…" (or resolve its people by hand)');
  });

  it('shows the people by state: not contacted, being sent, waiting for reports, paused by a hold, notified, unreachable; with an ETA', () => {
    const individuals = { pending: 600, inProgress: 400, sending: 100, awaitingReports: 300, notifiedByEmail: 950, notifiedByFax: 30, notifiedByPostal: 15, unreachable: 5 };
    const notifying = status({ phase: 'notifying-individuals', ...assessed('high'), individuals, fanOutStartedAt: '2026-12-01T14:28:00.000Z' });
    const lines = formatStatus(notifying, now).split('\n');
    const at = lines.findIndex((l) => l.startsWith('  individuals:'));
    // 1,300 contacted in 20 minutes: the 700 left take about 10 more.
    expect(lines.slice(at, at + 2)).toEqual([
      '  individuals: 600 not contacted yet, 100 being sent, 300 sent and waiting for delivery reports, notified 950 by email / 30 by fax / 15 by post, 5 unreachable',
      '    ETA: everyone contacted by about Tue, 01 Dec 2026 14:58 UTC (65 people a minute so far)',
    ]);
    const held = formatStatus({ ...notifying, holds: { active: [hold], released: [] } }, now).split('\n');
    expect(held).toContain('    PAUSED by the hold: 700 not yet sent wait for its release');
    expect(held.some((l) => l.includes('ETA'))).toBe(false);
  });

  it('names the next obligation deadline once the authority is notified', () => {
    const notified = status({
      phase: 'authority-notified',
      ...assessed('risk'),
      authorityNotice: { channel: 'email', messageId: '<m@x>', sentAt: '2026-12-01T10:00:00.000Z', deadline: '2026-12-03T08:00:00.000Z', onTime: true },
      obligations: [
        { id: 'texas:attorney-general', regime: 'texas', recipient: 'the Texas Attorney General', citation: 'c', status: 'due', deadline: '2026-12-31T14:00:00.000Z', counts: 'determination', completedBy: 'submission' },
      ],
    });
    expect(head(notified)).toEqual([
      'Authority notified at 2026-12-01T10:00:00.000Z, on time (deadline Thu, 03 Dec 2026 08:00 UTC); NEXT DEADLINE texas:attorney-general in 719h 12m (Thu, 31 Dec 2026 14:00 UTC)',
      'Next: notify the Texas Attorney General (c), then breach obligation record 2026-031 texas:attorney-general --reference … --by "…"',
    ]);
  });
});
