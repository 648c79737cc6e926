/**
 * Writes the JSON Schema document of each audit export version (`npm run audit-schema`),
 * generated from the zod definitions in audit/export-schema.ts so that the documents and the code
 * cannot differ.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { AUDIT_SCHEMA_VERSIONS, auditExportJsonSchema, type AuditSchemaVersion } from '../audit/export-schema';

export function auditSchemaFile(version: AuditSchemaVersion): string {
  return path.resolve(__dirname, '..', 'docs', `${version.replace('/', '-')}.schema.json`);
}

export function auditSchemaDocument(version: AuditSchemaVersion): string {
  return JSON.stringify(auditExportJsonSchema(version), null, 2) + '\n';
}

if (require.main === module) {
  for (const version of AUDIT_SCHEMA_VERSIONS) {
    writeFileSync(auditSchemaFile(version), auditSchemaDocument(version));
    console.log(`Wrote ${path.relative(process.cwd(), auditSchemaFile(version))}.`);
  }
}
