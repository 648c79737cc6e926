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
import { AUDIT_SCHEMA_DOCUMENT, auditSchemaDocument } from '../scripts/audit-schema';
import { capturedHistory } from './support/histories';

const root = path.resolve(__dirname, '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-audit-schema-'));
const published = JSON.parse(readFileSync(AUDIT_SCHEMA_DOCUMENT, 'utf8')) as Record<string, unknown>;

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

it('publishes the schema the code defines (run `npm run audit-schema` after changing it)', () => {
  expect(readFileSync(AUDIT_SCHEMA_DOCUMENT, 'utf8')).toBe(auditSchemaDocument());
});

it('describes real exports, and rejects one that breaks it', () => {
  const validate = addFormats(new Ajv2020({ allErrors: true })).compile(published);
  for (const name of ['supplement-and-close', 'two-agency-holds', 'clock-late-report', 'portal-submission']) {
    const report = JSON.parse(JSON.stringify(exportOf(name)));
    expect(validate(report), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
  }
  const broken = JSON.parse(JSON.stringify(exportOf('supplement-and-close')));
  delete broken.entries[0].summary;
  expect(validate(broken)).toBe(false);
});

it('verify refuses a file that does not follow the schema, and names where', async () => {
  const report = JSON.parse(JSON.stringify(exportOf('supplement-and-close')));
  report.entries[2].at = 'yesterday';
  const file = path.join(dir, 'not-v1.json');
  writeFileSync(file, JSON.stringify(report));
  const result = await verify(file);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(new RegExp(`^breach: ${file} is not a breach-audit/v1 export: entries\\.2\\.at: .+\\n$`));
});
