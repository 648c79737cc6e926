/**
 * Writes the JSON Schema document of the audit export (`npm run audit-schema`), generated from
 * its zod definition in audit/export-schema.ts so that the document and the code cannot differ.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { auditExportJsonSchema } from '../audit/export-schema';

export const AUDIT_SCHEMA_DOCUMENT = path.resolve(__dirname, '..', 'docs', 'breach-audit-v1.schema.json');

export function auditSchemaDocument(): string {
  return JSON.stringify(auditExportJsonSchema(), null, 2) + '\n';
}

if (require.main === module) {
  writeFileSync(AUDIT_SCHEMA_DOCUMENT, auditSchemaDocument());
  console.log(`Wrote ${path.relative(process.cwd(), AUDIT_SCHEMA_DOCUMENT)}.`);
}
