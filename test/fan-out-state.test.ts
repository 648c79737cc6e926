/**
 * The breach's own state for a 1,000,000-person roster: a few numbers per cohort and at most
 * 1,000 listed unreachable people and a progress series of at most 120 points, so it fits in one payload and is carried through
 * continue-as-new whatever the roster's size.
 */
import { expect, it } from 'vitest';
import type { CohortReport } from '../domain/cascade';
import { individualCounts, newFanOut, recordCohortReport, recordProgress, startCohort, UNREACHABLE_LISTED } from '../domain/fan-out';
import { UNREACHABLE_REPORTED } from '../domain/cohort-state';

const PEOPLE = 1_000_000;
const COHORT = 500;

it('keeps the state of a 1,000,000-person breach under 512 kB, with every count exact', () => {
  const fan = newFanOut({ path: '/data/roster.jsonl', sha256: 'f'.repeat(64), format: 'jsonl' }, PEOPLE, new Date());
  for (let offset = 0, line = 1; offset < PEOPLE; offset += COHORT, line += COHORT) {
    const cohort = startCohort(fan, { offset: offset * 120, line, rows: COHORT });
    // The worst case for the list: every cohort reports as many unreachable people as it may, with long reasons.
    const unreachable = Array.from({ length: UNREACHABLE_REPORTED }, (_, i) => ({
      subjectId: `subject-${String(offset + i).padStart(12, '0')}`,
      state: 'unreachable' as const,
      reasons: ['email: SMTP server refused the message permanently (reply 550)', 'fax: receiver_no_answer', 'postal: US address verification: undeliverable'],
    }));
    const report: CohortReport = {
      cohort,
      stage: 'final',
      counts: { rows: COHORT, 'notified-email': 400, 'notified-fax': 40, 'notified-postal': 10, unreachable: 50, duplicate: 0 },
      unreachable,
      failing: { channel: 'email', since: '2026-12-01T07:00:00.000Z', reason: 'SMTP delivery failed (ECONNREFUSED)' },
    };
    recordCohortReport(fan, report);
    // Each report moves the counts: the progress series gets a point every time, and must stay bounded.
    recordProgress(fan, new Date(Date.UTC(2026, 11, 1) + offset * 10));
  }
  expect(fan.cohorts).toHaveLength(PEOPLE / COHORT);
  expect(fan.unreachable).toHaveLength(UNREACHABLE_LISTED);
  // The series spans the whole fan-out in at most 120 points, and ends with everyone final.
  expect(fan.progress!.length).toBeLessThanOrEqual(120);
  expect(fan.progress![0]).toMatchObject({ notified: 450, unreachable: 50 });
  expect(fan.progress![fan.progress!.length - 1]).toMatchObject({ notified: 900_000, unreachable: 100_000 });
  expect(individualCounts(fan)).toEqual({ pending: 0, inProgress: 0, sending: 0, awaitingReports: 0, notifiedByEmail: 800_000, notifiedByFax: 80_000, notifiedByPostal: 20_000, unreachable: 100_000 });
  const bytes = Buffer.byteLength(JSON.stringify(fan));
  console.log(`breach fan-out state for ${PEOPLE} people: ${bytes} bytes`);
  expect(bytes).toBeLessThan(512 * 1024);
});
