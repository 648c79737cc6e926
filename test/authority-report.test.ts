/**
 * What `breach start` takes for the authority report besides the Art. 33(3) facts, and how the
 * report shows it: the breach's dates, discovery and determination, the categories of people,
 * from flags or a file, with the problems named by flag.
 */
import { describe, expect, it } from 'vitest';
import { parseBreach } from '../client/breach-file';
import { renderAuthorityReport } from '../domain/authority-report';

const now = new Date('2026-12-01T12:00:00.000Z');
const facts = {
  id: 'report-1',
  title: 'Payroll export sent to the wrong recipient',
  description: 'A payroll export was emailed outside the company.',
  awareAt: '2026-11-30T08:00:00Z',
  reporter: 'Ines Responder',
  dataCategories: ['names', 'salaries'],
  approxSubjects: 340,
  approxRecords: 4080,
  likelyConsequences: 'Loss of confidentiality.',
  measures: 'Deletion confirmed.',
  contactPoint: 'dpo@company.test',
};

describe('the facts of the authority report', () => {
  it('takes the dates of the breach, discovery, determination and the categories of people', () => {
    const parsed = parseBreach(
      { ...facts, occurredFrom: '2026-11-20T00:00:00+01:00', occurredUntil: '2026-11-29T18:00:00Z', subjectCategories: ['employees', 'contractors'], discoveredAt: '2026-11-29T20:00:00Z', determinedAt: '2026-11-30T10:00:00Z' },
      'breach.yaml',
      now,
    );
    expect(parsed.facts).toMatchObject({ occurredFrom: '2026-11-19T23:00:00.000Z', occurredUntil: '2026-11-29T18:00:00.000Z', subjectCategories: ['employees', 'contractors'] });
    expect(parsed.regimeFacts.anchors).toEqual({ discovery: '2026-11-29T20:00:00.000Z', determination: '2026-11-30T10:00:00.000Z' });

    const report = renderAuthorityReport({
      facts: parsed.facts,
      assessment: { risk: 'risk', rationale: 'Salaries', by: 'Ines Responder', at: '2026-11-30T09:00:00.000Z' },
      authorityName: 'Test Authority',
      deadline: '2026-12-03T08:00:00.000Z',
      reportedAt: '2026-11-30T09:05:00.000Z',
      discoveredAt: '2026-11-29T20:00:00.000Z',
    });
    expect(report.text).toContain('Breach occurred: from 2026-11-19T23:00:00.000Z until 2026-11-29T18:00:00.000Z\nDiscovered at: 2026-11-29T20:00:00.000Z\nBecame aware at: 2026-11-30T08:00:00.000Z');
    expect(report.text).toContain('Categories of data subjects concerned: employees, contractors');
  });

  it('names the flag of what is wrong: an end before the start, a date in the future', () => {
    expect(() => parseBreach({ ...facts, occurredFrom: '2026-11-20T00:00:00Z', occurredUntil: '2026-11-10T00:00:00Z' }, undefined, now)).toThrow('--occurred-until is before --occurred-from');
    // Compared as instants, not as text: 09:00 in Berlin is before 08:30 UTC.
    expect(parseBreach({ ...facts, occurredFrom: '2026-11-20T09:00:00+01:00', occurredUntil: '2026-11-20T08:30:00Z' }, undefined, now).facts.occurredUntil).toBe('2026-11-20T08:30:00.000Z');
    expect(() => parseBreach({ ...facts, determinedAt: '2026-12-24T00:00:00Z' }, undefined, now)).toThrow('--determined-at 2026-12-24T00:00:00Z is in the future; give the time it happened');
  });
});
