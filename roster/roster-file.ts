import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseCsvLine } from 'csv-parse/sync';
import type { Channel, RosterEncoding, RosterEntry, RosterRef, Subject } from '../domain/individuals';
import { residenceCode } from '../domain/residence';
import { reachableChannels, validateRow, type RawRow, type RowResult } from '../domain/roster-row';

/**
 * Reading the roster of affected individuals: validation of the whole file before a breach starts,
 * pages by byte offset while the breach fans out, and single rows when a notice is sent. The file
 * is identified by its SHA-256, and every read checks that it is still the file that was started.
 */

export class RosterError extends Error {
  override name = 'RosterError';
}

export class RosterChangedError extends RosterError {
  override name = 'RosterChangedError';
}

export interface InvalidRow {
  /** 1-based line number in the file (the CSV header is line 1). */
  line: number;
  problem: string;
}

export interface RosterValidation {
  ref: RosterRef;
  valid: number;
  invalid: InvalidRow[];
  /** The languages the valid rows ask for (a row without one gets the default language). */
  languages: string[];
  /** Valid rows per country or US state (`DE`, `US-CA`), from their postal addresses: counts for the regimes' thresholds. */
  residents: Record<string, number>;
}

/** The problem of a row that repeats an earlier row's subject id: that subject is notified once, from the first row. */
export const DUPLICATE_ROW = 'duplicate subject id';

interface Line {
  offset: number;
  number: number;
  text: string;
  notUtf8?: true;
}

const CSV_COLUMNS = ['subject_id', 'full_name', 'email', 'fax', 'address_line1', 'address_line2', 'city', 'region', 'postal_code', 'country', 'language'];

function rosterFormat(file: string): RosterRef['format'] {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new RosterError(`${file}: a roster must be a .csv or .jsonl file`);
}

/** Checks every row; the caller decides whether invalid rows stop the start. */
export async function validateRosterFile(file: string, encoding: RosterEncoding = 'utf-8'): Promise<RosterValidation> {
  const absolute = path.resolve(file);
  const format = rosterFormat(absolute);
  const hash = createHash('sha256');
  const seen = new Set<string>();
  const invalid: InvalidRow[] = [];
  const languages = new Set<string>();
  const residents: Record<string, number> = {};
  let valid = 0;
  const parser = new RowParser(format);
  for await (const line of readLines({ path: absolute, encoding }, 0, hash)) {
    const result = parser.parse(line);
    if (result === 'header') continue;
    if ('problem' in result) {
      invalid.push({ line: line.number, problem: result.problem });
    } else if (seen.has(result.subject.subjectId)) {
      invalid.push({ line: line.number, problem: DUPLICATE_ROW });
    } else {
      seen.add(result.subject.subjectId);
      if (result.subject.language) languages.add(result.subject.language);
      const residence = residenceCode(result.subject.postal?.country, result.subject.postal?.region);
      if (residence) residents[residence] = (residents[residence] ?? 0) + 1;
      valid++;
    }
  }
  if (parser.lines === 0) throw new RosterError(`${file}: the roster is empty`);
  const ref: RosterRef = { path: absolute, sha256: hash.digest('hex'), format, ...(encoding === 'utf-8' ? {} : { encoding }) };
  return { ref, valid, invalid, languages: [...languages], residents };
}

/** Up to `pageSize` rows from byte offset `cursor`; `nextCursor` is null at the end of the file. */
export async function readRosterPage(
  ref: RosterRef,
  cursor: number,
  pageSize: number,
  channelOrder: readonly Channel[],
  firstLine = 1,
): Promise<{ entries: RosterEntry[]; nextCursor: number | null }> {
  await verifyRoster(ref);
  const parser = new RowParser(ref.format);
  if (ref.format === 'csv' && cursor > 0) parser.parse(await headerLine(ref));
  const entries: RosterEntry[] = [];
  for await (const line of readLines(ref, cursor, undefined, firstLine)) {
    if (entries.length === pageSize) return { entries, nextCursor: line.offset };
    const result = parser.parse(line);
    if (result === 'header') continue;
    if ('problem' in result) {
      entries.push({ subjectId: result.subjectId ?? `line-${line.number}`, rowOffset: line.offset, line: line.number, channels: [], problem: result.problem });
    } else {
      entries.push({ subjectId: result.subject.subjectId, rowOffset: line.offset, line: line.number, channels: reachableChannels(result.subject, channelOrder) });
    }
  }
  return { entries, nextCursor: null };
}

/**
 * The contact data of the rows at these byte offsets, read at send time in one pass from the
 * first offset to the last, each checked against the subject id the workflow recorded for it.
 */
export async function loadSubjectsAt(ref: RosterRef, rows: { subjectId: string; rowOffset: number }[]): Promise<Map<string, Subject>> {
  await verifyRoster(ref);
  const wanted = new Map(rows.map((r) => [r.rowOffset, r.subjectId]));
  const subjects = new Map<string, Subject>();
  if (rows.length === 0) return subjects;
  const first = Math.min(...wanted.keys());
  const last = Math.max(...wanted.keys());
  const parser = new RowParser(ref.format);
  if (ref.format === 'csv') parser.parse(await headerLine(ref));
  for await (const line of readLines(ref, first)) {
    if (line.offset > last) break;
    const subjectId = wanted.get(line.offset);
    if (subjectId === undefined) continue;
    const result = parser.parse(line);
    if (result === 'header' || !('subject' in result)) throw new RosterError('the roster row at a recorded offset is not a valid subject');
    if (result.subject.subjectId !== subjectId) throw new RosterError('the roster row at a recorded offset belongs to another subject');
    subjects.set(subjectId, result.subject);
  }
  if (subjects.size !== new Set(wanted.values()).size) throw new RosterError('a recorded roster offset is past the end of the roster');
  return subjects;
}

/** The first row of one subject, read from the verified roster (for a notice preview); undefined when no row has the id. */
export async function findSubject(ref: RosterRef, subjectId: string): Promise<Subject | undefined> {
  await verifyRoster(ref);
  const parser = new RowParser(ref.format);
  for await (const line of readLines(ref, 0)) {
    const result = parser.parse(line);
    if (result !== 'header' && 'subject' in result && result.subject.subjectId === subjectId) return result.subject;
  }
  return undefined;
}

/**
 * Where each cohort of `cohortSize` rows begins, from byte `cursor` (line `line`), for at most
 * `count` cohorts. Only line breaks are counted, so planning a 1,000,000-row roster reads it once
 * without parsing it.
 */
export async function planCohorts(
  ref: RosterRef,
  from: { cursor: number; line: number },
  cohortSize: number,
  count: number,
): Promise<{ slices: { offset: number; line: number; rows: number }[]; next: { cursor: number; line: number } | null }> {
  await verifyRoster(ref);
  const slices: { offset: number; line: number; rows: number }[] = [];
  let headerSkipped = ref.format !== 'csv' || from.cursor > 0;
  for await (const line of readLines(ref, from.cursor, undefined, from.line)) {
    if (line.text.trim() === '') continue;
    if (!headerSkipped) {
      headerSkipped = true;
      continue;
    }
    const current = slices[slices.length - 1];
    if (current && current.rows < cohortSize) {
      current.rows++;
      continue;
    }
    if (slices.length === count) return { slices, next: { cursor: line.offset, line: line.number } };
    slices.push({ offset: line.offset, line: line.number, rows: 1 });
  }
  return { slices, next: null };
}

/**
 * Subject ids that occur on more than one row, with the line of their first row. A breach started
 * with --skip-invalid notifies such a subject once, at its first row. Read once per roster and worker.
 */
const duplicatesByRoster = new Map<string, Promise<Map<string, number>>>();

export function duplicateSubjects(ref: RosterRef): Promise<Map<string, number>> {
  let found = duplicatesByRoster.get(ref.sha256);
  if (!found) {
    found = findDuplicates(ref);
    duplicatesByRoster.set(ref.sha256, found);
    found.catch(() => duplicatesByRoster.delete(ref.sha256));
  }
  return found;
}

async function findDuplicates(ref: RosterRef): Promise<Map<string, number>> {
  await verifyRoster(ref);
  const firstLine = new Map<string, number>();
  const duplicates = new Map<string, number>();
  const parser = new RowParser(ref.format);
  for await (const line of readLines(ref, 0)) {
    const result = parser.parse(line);
    if (result === 'header') continue;
    const subjectId = 'subject' in result ? result.subject.subjectId : result.subjectId;
    if (subjectId === undefined) continue;
    const first = firstLine.get(subjectId);
    if (first === undefined) firstLine.set(subjectId, line.number);
    else if (!duplicates.has(subjectId)) duplicates.set(subjectId, first);
  }
  return duplicates;
}

/**
 * The roster must be byte-for-byte the file that was validated at start. Hashing is cached per
 * file size and modification time, so paging through a large roster hashes it once per change.
 */
const verified = new Map<string, string>();

async function verifyRoster(ref: RosterRef): Promise<void> {
  let stat;
  try {
    stat = statSync(ref.path);
  } catch {
    throw new RosterError('the roster file is missing or unreadable on this worker');
  }
  const key = `${ref.path}|${stat.size}|${stat.mtimeMs}`;
  if (verified.get(key) === ref.sha256) return;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(ref.path)) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  if (actual !== ref.sha256) throw new RosterChangedError(`the roster changed after the breach started (SHA-256 ${actual.slice(0, 12)}… instead of ${ref.sha256.slice(0, 12)}…)`);
  verified.set(key, actual);
}

/** The CSV header, read once per roster: every send reads one row and needs it to parse the row. */
const headers = new Map<string, Line>();

async function headerLine(ref: RosterRef): Promise<Line> {
  const known = headers.get(ref.sha256);
  if (known) return known;
  for await (const line of readLines(ref, 0)) {
    headers.set(ref.sha256, line);
    return line;
  }
  throw new RosterError('the roster is empty');
}

async function* readLines(file: Pick<RosterRef, 'path' | 'encoding'>, start: number, hash?: ReturnType<typeof createHash>, firstLine = 1): AsyncGenerator<Line> {
  const decodeLine = lineDecoder(file.encoding ?? 'utf-8');
  let pending: Buffer = Buffer.alloc(0);
  let offset = start;
  let number = firstLine - 1;
  for await (const chunk of createReadStream(file.path, { start })) {
    hash?.update(chunk as Buffer);
    pending = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
    let newline: number;
    while ((newline = pending.indexOf(0x0a)) !== -1) {
      yield { offset, number: ++number, ...decodeLine(pending.subarray(0, newline)) };
      offset += newline + 1;
      pending = pending.subarray(newline + 1);
    }
  }
  if (pending.length) yield { offset, number: ++number, ...decodeLine(pending) };
}

/**
 * Reads a line's bytes as text in the roster's encoding. Bytes that are not UTF-8 make the row
 * invalid rather than reaching a notice as "Jos\uFFFD"; the single-byte encodings decode every byte.
 */
function lineDecoder(encoding: RosterEncoding): (bytes: Buffer) => { text: string; notUtf8?: true } {
  const decoder = new TextDecoder(encoding, { fatal: true });
  return (bytes) => {
    try {
      return { text: decoder.decode(bytes).replace(/\r$/, '') };
    } catch {
      return { text: bytes.toString('utf8').replace(/\r$/, ''), notUtf8: true };
    }
  };
}

const NOT_UTF8_ADVICE = 'save the roster as UTF-8, or name its encoding (breach start --roster-encoding windows-1252)';

/** Turns lines into validated rows; for CSV the first non-empty line is the header. */
class RowParser {
  private columns?: string[];
  lines = 0;

  constructor(private readonly format: RosterRef['format']) {}

  parse(line: Line): RowResult | 'header' {
    if (line.text.trim() === '') return 'header';
    this.lines++;
    if (line.notUtf8) {
      if (this.format === 'csv' && !this.columns) throw new RosterError(`the CSV header is not valid UTF-8; ${NOT_UTF8_ADVICE}`);
      return { problem: `not valid UTF-8; ${NOT_UTF8_ADVICE}` };
    }
    if (this.format === 'jsonl') {
      const row = jsonRow(line.text);
      return row ? validateRow(row) : { problem: 'malformed JSON: each line must be one JSON object' };
    }
    const fields = csvFields(line.text);
    if (!this.columns) {
      this.columns = fields?.map((f) => f.trim().toLowerCase());
      const missing = CSV_COLUMNS.slice(0, 2).filter((c) => !this.columns?.includes(c));
      if (missing.length) throw new RosterError(`the CSV header must name the columns ${CSV_COLUMNS.join(', ')} (missing ${missing.join(', ')})`);
      return 'header';
    }
    if (!fields) return { problem: 'malformed CSV (unbalanced quotes or a line break inside a field)' };
    if (fields.length !== this.columns.length) return { problem: `malformed CSV: ${fields.length} fields where the header has ${this.columns.length}` };
    const value = (name: string) => fields[this.columns!.indexOf(name)];
    return validateRow(
      {
        subjectId: value('subject_id'),
        fullName: value('full_name'),
        email: value('email'),
        fax: value('fax'),
        addressLines: [value('address_line1') ?? '', value('address_line2') ?? ''],
        city: value('city'),
        region: value('region'),
        postalCode: value('postal_code'),
        country: value('country'),
        language: value('language'),
      },
    );
  }
}

function csvFields(text: string): string[] | undefined {
  try {
    const rows = parseCsvLine(text, { relax_column_count: true }) as string[][];
    return rows.length === 1 ? rows[0] : undefined;
  } catch {
    return undefined;
  }
}

function jsonRow(text: string): RawRow | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  const address = (typeof o.address === 'object' && o.address !== null ? o.address : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    subjectId: str(o.subjectId),
    fullName: str(o.fullName),
    email: str(o.email),
    fax: str(o.fax),
    addressLines: Array.isArray(address.lines) ? address.lines.filter((l): l is string => typeof l === 'string') : [],
    city: str(address.city),
    region: str(address.region),
    postalCode: str(address.postalCode),
    country: str(address.country),
    language: str(o.language),
  };
}
