import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSubjectAt, readRosterPage, RosterChangedError, validateRosterFile } from '../roster/roster-file';

const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-roster-'));
let counter = 0;
const HEADER = 'subject_id,full_name,email,fax,address_line1,address_line2,city,region,postal_code,country,language';

function file(ext: string, lines: string[]): string {
  const name = path.join(dir, `roster-${++counter}.${ext}`);
  writeFileSync(name, lines.join('\n') + '\n');
  return name;
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
      for (const entry of page.entries) {
        const subject = await loadSubjectAt(ref, entry.rowOffset);
        expect(subject.subjectId).toBe(entry.subjectId);
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
    expect((await loadSubjectAt(ref, page.entries[0]!.rowOffset)).language).toBeUndefined();
  });

  it('detects a roster changed after the breach started', async () => {
    const name = file('csv', [HEADER, 'c-1,Ada,ada@example.org,,,,,,,,en']);
    const { ref } = await validateRosterFile(name);
    await readRosterPage(ref, 0, 10, ['email']);
    appendFileSync(name, 'c-2,Eve,eve@example.org,,,,,,,,en\n');
    await expect(readRosterPage(ref, 0, 10, ['email'])).rejects.toBeInstanceOf(RosterChangedError);
    await expect(loadSubjectAt(ref, 0)).rejects.toThrow('the roster changed after the breach started');
  });
});
