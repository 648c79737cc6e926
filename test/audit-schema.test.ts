/**
 * The JSON export's published schema: the document in docs/ is the one the code defines, a real
 * export validates against it with an independent JSON Schema validator, and `breach audit verify`
 * refuses a file that does not follow it, naming where.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { expect, it } from 'vitest';
import { findings } from '../audit/findings';
import { auditExport, buildTimeline } from '../audit/timeline';
import { AUDIT_SCHEMA_VERSIONS, entriesSha256 } from '../audit/export-schema';
import { auditSchemaDocument, auditSchemaFile } from '../scripts/audit-schema';
import { capturedHistory } from './support/histories';

const root = path.resolve(__dirname, '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-audit-schema-'));
const published = (version: (typeof AUDIT_SCHEMA_VERSIONS)[number]) => JSON.parse(readFileSync(auditSchemaFile(version), 'utf8')) as Record<string, unknown>;

function exportOf(name: string) {
  const run = capturedHistory(name);
  const entries = buildTimeline([run]);
  return auditExport(`breach-${name}`, `breach-${name}`, [run], entries, findings([run], new Map(), new Date()));
}

function verify(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(path.join(root, 'bin', 'breach'), ['audit', 'verify', file], (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr })),
  );
}

it('publishes the schema of each version the code defines (run `npm run audit-schema` after changing it)', () => {
  for (const version of AUDIT_SCHEMA_VERSIONS) expect(readFileSync(auditSchemaFile(version), 'utf8')).toBe(auditSchemaDocument(version));
});

it('describes real exports, and rejects one that breaks it', () => {
  const validate = addFormats(new Ajv2020({ allErrors: true })).compile(published('breach-audit/v2'));
  for (const name of ['supplement-and-close', 'two-agency-holds', 'clock-late-report', 'portal-submission']) {
    const report = JSON.parse(JSON.stringify(exportOf(name)));
    expect(validate(report), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
  }
  const broken = JSON.parse(JSON.stringify(exportOf('supplement-and-close')));
  delete broken.entries[0].summary;
  expect(validate(broken)).toBe(false);
  const wrongField = JSON.parse(JSON.stringify(exportOf('supplement-and-close')));
  wrongField.entries[0].fields.awareAt = 'last Tuesday';
  expect(validate(wrongField)).toBe(false);
});

it('gives the facts of each entry as fields, and still verifies an export filed as v1', async () => {
  const report = exportOf('two-agency-holds');
  const placed = report.entries.filter((e) => e.kind === 'hold-placed');
  expect(placed.length).toBe(2);
  for (const entry of placed) expect(entry.fields).toMatchObject({ holdId: expect.stringMatching(/^hold-\d+$/), agency: expect.any(String), caseRef: expect.any(String) });
  expect(report.entries.find((e) => e.kind === 'opened')!.fields).toMatchObject({ awareAt: expect.any(String), deadlineHours: 72, deadline: expect.any(String) });

  // An export filed before fields existed: the same entries in words only, under v1.
  const entries = report.entries.map(({ fields: _, ...words }) => words);
  const v1 = { ...report, schema: 'breach-audit/v1', entries, sha256: entriesSha256(entries) };
  expect(addFormats(new Ajv2020()).compile(published('breach-audit/v1'))(v1)).toBe(true);
  const file = path.join(dir, 'filed-v1.json');
  writeFileSync(file, JSON.stringify(v1));
  expect(await verify(file)).toMatchObject({ code: 0, stdout: expect.stringContaining('intact') });
  // Fields are not v1's: a v1 export that has them was not written by the engine.
  writeFileSync(file, JSON.stringify({ ...report, schema: 'breach-audit/v1' }));
  expect((await verify(file)).stderr).toMatch(/is not a breach-audit\/v1 export: entries\.0: /);
  writeFileSync(file, JSON.stringify({ ...report, schema: 'breach-audit/v9' }));
  expect((await verify(file)).stderr).toContain('is not an audit export: schema must be one of breach-audit/v1, breach-audit/v2');
});

it('verify refuses a file that does not follow the schema, and names where', async () => {
  const report = JSON.parse(JSON.stringify(exportOf('supplement-and-close')));
  report.entries[2].at = 'yesterday';
  const file = path.join(dir, 'not-v2.json');
  writeFileSync(file, JSON.stringify(report));
  const result = await verify(file);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(new RegExp(`^breach: ${file} is not a breach-audit/v2 export: entries\\.2\\.at: .+\\n$`));
});
