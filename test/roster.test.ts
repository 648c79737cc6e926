import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Channel, RosterRef } from '../domain/individuals';
import { duplicateSubjects, loadSubjectsAt, planCohorts, readRosterPage, RosterChangedError, validateRosterFile } from '../roster/roster-file';

const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-roster-'));
let counter = 0;
const HEADER = 'subject_id,full_name,email,fax,address_line1,address_line2,city,region,postal_code,country,language';

function file(ext: string, lines: string[]): string {
  const name = path.join(dir, `roster-${++counter}.${ext}`);
  writeFileSync(name, lines.join('\n') + '\n');
  return name;
}

const CHANNELS: Channel[] = ['email', 'fax', 'postal'];

/** CSV rows p-0 … p-(n-1), each with an email address. */
function people(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `p-${i},Person ${i},p${i}@example.org,,,,,,,,en`);
}

describe('roster validation', () => {
  it('names the line and the problem of each kind of bad row, without echoing personal data', async () => {
    const csv = file('csv', [
      HEADER,
      'ok-1,Ada Lovelace,ada@example.org,,,,,,,,en',
      'bad-email,Bob,bob-at-example,,,,,,,,en',
      'bad-fax,Cy,,555-0123,,,,,,,en',
      'no-city,Di,,,1 Main St,,,CA,94107,US,en',
      'no-state,Ed,,,1 Main St,,Springfield,,62701,US,en',
      'no-contact,Flo,,,,,,,,,en',
      'ok-1,Ada Again,ada2@example.org,,,,,,,,en',
      ',Nameless,x@example.org,,,,,,,,en',
      'no-name,,x@example.org,,,,,,,,en',
      'quotes,"Unclosed,x@example.org,,,,,,,,en',
      'short,Gus,gus@example.org',
      'ok-2,Hal,,+13125550123,,,,,,,en',
    ]);
    const { valid, invalid } = await validateRosterFile(csv);
    expect(valid).toBe(2);
    expect(invalid).toEqual([
      { line: 3, problem: 'email is not a valid address' },
      { line: 4, problem: 'fax number is not a valid international number (e.g. +13125550123)' },
      { line: 5, problem: 'incomplete postal address: missing city' },
      { line: 6, problem: 'incomplete postal address: missing state' },
      { line: 7, problem: 'no usable contact: no email, fax number or postal address' },
      { line: 8, problem: 'duplicate subject id' },
      { line: 9, problem: 'subject id is missing' },
      { line: 10, problem: 'full name is missing' },
      { line: 11, problem: 'malformed CSV (unbalanced quotes or a line break inside a field)' },
      { line: 12, problem: 'malformed CSV: 3 fields where the header has 11' },
    ]);
    expect(JSON.stringify(invalid)).not.toMatch(/bob-at-example|555-0123|Main St/);
  });

  it('validates JSONL rows the same way', async () => {
    const jsonl = file('jsonl', [
      JSON.stringify({ subjectId: 'j-1', fullName: 'Ada', email: 'ada@example.org' }),
      JSON.stringify({ subjectId: 'j-2', fullName: 'Bo', address: { lines: ['1 Main St'], city: 'Springfield', region: 'IL', postalCode: '62701', country: 'US' } }),
      '{not json',
      JSON.stringify({ subjectId: 'j-3', fullName: 'Cy', fax: '+44 20 7946 0000' }),
      JSON.stringify({ subjectId: 'j-4', fullName: 'Di', fax: '+44 20' }),
    ]);
    const { valid, invalid } = await validateRosterFile(jsonl);
    expect(valid).toBe(3);
    expect(invalid).toEqual([
      { line: 3, problem: 'malformed JSON: each line must be one JSON object' },
      { line: 5, problem: 'fax number is not a valid international number (e.g. +13125550123)' },
    ]);
  });

  it('refuses files that are not CSV or JSONL, and a CSV without the required header', async () => {
    await expect(validateRosterFile(file('txt', ['x']))).rejects.toThrow('a roster must be a .csv or .jsonl file');
    await expect(validateRosterFile(file('csv', ['id,name', 'a,b']))).rejects.toThrow('the CSV header must name the columns');
  });
});

describe('roster paging', () => {
  it('reads pages by byte offset and finds each row again at its offset', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => `p-${i},Person ${i},p${i}@example.org,${i % 2 ? '+13125550123' : ''},,,,,,,en`);
    const { ref } = await validateRosterFile(file('csv', [HEADER, ...rows]));
    const seen: string[] = [];
    let cursor: number | null = 0;
    let pages = 0;
    while (cursor !== null) {
      const page = await readRosterPage(ref, cursor, 3, ['email', 'fax', 'postal']);
      seen.push(...page.entries.map((e) => e.subjectId));
      const subjects = await loadSubjectsAt(ref, page.entries);
      expect([...subjects.keys()]).toEqual(page.entries.map((e) => e.subjectId));
      for (const entry of page.entries) {
        expect(subjects.get(entry.subjectId)?.fullName).toBe(`Person ${entry.subjectId.slice(2)}`);
        expect(entry.channels).toEqual(Number(entry.subjectId.slice(2)) % 2 ? ['email', 'fax'] : ['email']);
      }
      cursor = page.nextCursor;
      pages++;
    }
    expect(seen).toEqual(rows.map((_, i) => `p-${i}`));
    expect(pages).toBe(3);
  });

  it('names a bad row by its subject id whatever the column order, and leaves the language to the configuration', async () => {
    const reordered = 'full_name,subject_id,email,language';
    const { ref } = await validateRosterFile(file('csv', [reordered, 'Ada,r-1,ada@example.org,', 'Ben,r-2,not-an-address,de', ',r-3,cy@example.org,']));
    const page = await readRosterPage(ref, 0, 10, ['email']);
    expect(page.entries.map((e) => [e.subjectId, e.problem])).toEqual([
      ['r-1', undefined],
      ['r-2', 'email is not a valid address'],
      ['r-3', 'full name is missing'],
    ]);
    expect((await loadSubjectsAt(ref, [page.entries[0]!])).get('r-1')?.language).toBeUndefined();
  });

  it('detects a roster changed after the breach started', async () => {
    const name = file('csv', [HEADER, 'c-1,Ada,ada@example.org,,,,,,,,en']);
    const { ref } = await validateRosterFile(name);
    await readRosterPage(ref, 0, 10, ['email']);
    appendFileSync(name, 'c-2,Eve,eve@example.org,,,,,,,,en\n');
    await expect(readRosterPage(ref, 0, 10, ['email'])).rejects.toBeInstanceOf(RosterChangedError);
    await expect(loadSubjectsAt(ref, [{ subjectId: 'c-1', rowOffset: HEADER.length + 1 }])).rejects.toThrow('the roster changed after the breach started');
  });

  it('numbers the lines of a page from the line its cursor starts at', async () => {
    const { ref } = await validateRosterFile(file('csv', [HEADER, ...people(6)]));
    const [, second] = (await planCohorts(ref, { cursor: 0, line: 1 }, 3, 10)).slices;

    const page = await readRosterPage(ref, second!.offset, second!.rows, CHANNELS, second!.line);

    expect(page.entries.map((e) => [e.subjectId, e.line])).toEqual([
      ['p-3', 5],
      ['p-4', 6],
      ['p-5', 7],
    ]);
  });
});

describe('roster rows at send time', () => {
  it('reads the rows a batch names in one pass, whatever their order', async () => {
    const { ref } = await validateRosterFile(file('csv', [HEADER, ...people(5)]));
    const { entries } = await readRosterPage(ref, 0, 10, CHANNELS);
    const wanted = [entries[3]!, entries[0]!, entries[4]!];

    const subjects = await loadSubjectsAt(ref, wanted);

    expect([...subjects.keys()].sort()).toEqual(['p-0', 'p-3', 'p-4']);
    expect(subjects.get('p-3')).toMatchObject({ subjectId: 'p-3', fullName: 'Person 3', email: 'p3@example.org' });
    expect((await loadSubjectsAt(ref, [])).size).toBe(0);
  });

  it('refuses a recorded offset that holds another subject or lies past the end', async () => {
    const { ref } = await validateRosterFile(file('csv', [HEADER, ...people(3)]));
    const { entries } = await readRosterPage(ref, 0, 10, CHANNELS);

    await expect(loadSubjectsAt(ref, [{ subjectId: 'p-0', rowOffset: entries[1]!.rowOffset }])).rejects.toThrow('the roster row at a recorded offset belongs to another subject');
    await expect(loadSubjectsAt(ref, [{ subjectId: 'p-9', rowOffset: 1_000_000 }])).rejects.toThrow('a recorded roster offset is past the end of the roster');
  });
});

describe('duplicate subjects', () => {
  it('names each subject id found on more than one row with the line of its first row', async () => {
    const rows = [HEADER, 'd-1,Ada,ada@example.org,,,,,,,,en', 'd-2,Bo,bo@example.org,,,,,,,,en', 'd-1,Ada Again,ada2@example.org,,,,,,,,en', 'd-2,Bo,,,,,,,,,en', 'd-1,Ada Thrice,x@example.org,,,,,,,,en', 'd-3,Cy,cy@example.org,,,,,,,,en'];
    const { ref } = await validateRosterFile(file('csv', rows));

    expect(await duplicateSubjects(ref)).toEqual(
      new Map([
        ['d-1', 2],
        ['d-2', 3],
      ]),
    );
  });
});

describe('cohort planning', () => {
  it('cuts a CSV roster into slices of cohortSize rows after its header, and goes on from the cursor it returns', async () => {
    // A blank line is no row, but it still counts as a line.
    const rows = people(7);
    const { ref } = await validateRosterFile(file('csv', [HEADER, ...rows.slice(0, 2), '', ...rows.slice(2)]));
    const { entries } = await readRosterPage(ref, 0, 10, CHANNELS);
    expect(entries.map((e) => e.line)).toEqual([2, 3, 5, 6, 7, 8, 9]);

    const all = await planCohorts(ref, { cursor: 0, line: 1 }, 3, 10);
    expect(all).toEqual({
      slices: [
        { offset: entries[0]!.rowOffset, line: 2, rows: 3 },
        { offset: entries[3]!.rowOffset, line: 6, rows: 3 },
        { offset: entries[6]!.rowOffset, line: 9, rows: 1 },
      ],
      next: null,
    });

    const first = await planCohorts(ref, { cursor: 0, line: 1 }, 3, 2);
    expect(first).toEqual({ slices: all.slices.slice(0, 2), next: { cursor: entries[6]!.rowOffset, line: 9 } });
    expect(await planCohorts(ref, first.next!, 3, 2)).toEqual({ slices: all.slices.slice(2), next: null });

    // Read back slice by slice, the cohorts hold every row once, with its line number.
    const readBack = [];
    for (const slice of all.slices) readBack.push(...(await readRosterPage(ref, slice.offset, slice.rows, CHANNELS, slice.line)).entries);
    expect(readBack).toEqual(entries);
  });

  it('cuts a JSONL roster from its first line', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => JSON.stringify({ subjectId: `j-${i}`, fullName: `J ${i}`, email: `j${i}@example.org` }));
    const { ref } = await validateRosterFile(file('jsonl', rows));
    const { entries } = await readRosterPage(ref, 0, 10, CHANNELS);

    expect(await planCohorts(ref, { cursor: 0, line: 1 }, 2, 10)).toEqual({
      slices: [
        { offset: 0, line: 1, rows: 2 },
        { offset: entries[2]!.rowOffset, line: 3, rows: 2 },
        { offset: entries[4]!.rowOffset, line: 5, rows: 1 },
      ],
      next: null,
    });
  });

  it('plans a roster of 1,000,000 rows into 2000 cohorts of 500 by counting lines', async () => {
    // Fixed-width rows, so that every slice's byte offset can be computed.
    const row = (i: number) => `{"subjectId":"m-${String(i).padStart(7, '0')}","fullName":"M","email":"m@example.org"}\n`;
    const width = row(0).length;
    const content = Buffer.from(Array.from({ length: 1_000_000 }, (_, i) => row(i)).join(''));
    const name = path.join(dir, `roster-${++counter}.jsonl`);
    writeFileSync(name, content);
    // Validating would parse every row; the test needs only the hash a started breach records.
    const ref: RosterRef = { path: name, sha256: createHash('sha256').update(content).digest('hex'), format: 'jsonl' };

    const parse = vi.spyOn(JSON, 'parse');
    const first = await planCohorts(ref, { cursor: 0, line: 1 }, 500, 1500);
    const rest = await planCohorts(ref, first.next!, 500, 1500);
    const parsed = parse.mock.calls.length;
    parse.mockRestore();
    const slices = [...first.slices, ...rest.slices];

    // Planning counts line breaks; no row is parsed (the test runner itself may parse a few messages).
    expect(parsed).toBeLessThan(100);

    expect(first.next).toEqual({ cursor: 1500 * 500 * width, line: 1500 * 500 + 1 });
    expect(rest.next).toBeNull();
    expect(slices).toHaveLength(2000);
    expect(slices.every((s, i) => s.rows === 500 && s.line === i * 500 + 1 && s.offset === i * 500 * width)).toBe(true);
  });
});
