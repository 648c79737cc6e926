import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AuditExport } from './timeline';

/**
 * Temporal deletes a closed workflow's history after the namespace's retention period, while a
 * breach must stay documented for years. The audit export is therefore kept in an archive folder
 * (a mounted volume or a synced bucket in production), one JSON file per breach.
 */
export function archivePath(archiveDir: string, breachId: string): string {
  return path.join(archiveDir, `${encodeURIComponent(breachId)}.audit.json`);
}

export function writeArchive(archiveDir: string, report: AuditExport): string {
  mkdirSync(archiveDir, { recursive: true });
  const file = archivePath(archiveDir, report.breachId);
  // Written aside and renamed, so a reader never sees half a file.
  writeFileSync(`${file}.tmp`, JSON.stringify(report, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
  return file;
}

export function readArchive(archiveDir: string, breachId: string): AuditExport | undefined {
  try {
    return JSON.parse(readFileSync(archivePath(archiveDir, breachId), 'utf8')) as AuditExport;
  } catch {
    return undefined;
  }
}
