import type { ArchivedAudit } from '../domain/status';
import { InvalidExport, readExport, type AuditExport } from './export-schema';

/**
 * Temporal deletes a closed workflow's history after the namespace's retention period, while a
 * breach must stay documented for years. The audit export of each closed breach is therefore kept
 * in an archive: a folder by default, or an object store.
 */
export interface AuditArchive {
  /** Stores the export, replacing an earlier one of the same breach. */
  write(report: AuditExport): Promise<ArchivedAudit>;
  /** The archived export of a breach, or undefined when the archive holds none. */
  read(breachId: string): Promise<AuditExport | undefined>;
}

/** The archive could not be written or read; the message names the location, never the content. */
export class ArchiveError extends Error {
  override name = 'ArchiveError';
}

/** One object or file per breach; the breach id is encoded so that it cannot leave the archive. */
export function archiveName(breachId: string): string {
  return `${encodeURIComponent(breachId)}.audit.json`;
}

/** An archived export, checked against its schema and its integrity hash before anyone relies on it. */
export function parseExport(text: string, location: string): AuditExport {
  try {
    return readExport(text);
  } catch (err) {
    if (err instanceof InvalidExport) throw new ArchiveError(`the archived audit export at ${location} ${err.message}`);
    throw err;
  }
}
