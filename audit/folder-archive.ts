import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ArchivedAudit } from '../domain/status';
import { ArchiveError, archiveName, parseExport, type AuditArchive } from './audit-archive';
import { exportJson, type AuditExport } from './export-schema';

export function archivePath(archiveDir: string, breachId: string): string {
  return path.join(archiveDir, archiveName(breachId));
}

/** One JSON file per breach in a folder: a local disk, a mounted volume or a synced bucket. */
export class FolderArchive implements AuditArchive {
  constructor(private readonly dir: string) {}

  async write(report: AuditExport): Promise<ArchivedAudit> {
    const file = archivePath(this.dir, report.breachId);
    try {
      await mkdir(this.dir, { recursive: true });
      // Written aside and renamed, so a reader never sees half a file.
      await writeFile(`${file}.tmp`, exportJson(report));
      await rename(`${file}.tmp`, file);
    } catch (err) {
      throw new ArchiveError(`could not write the audit export to ${file}: ${(err as NodeJS.ErrnoException).code ?? 'unknown error'}`);
    }
    return { location: file, file, sha256: report.sha256 };
  }

  async read(breachId: string): Promise<AuditExport | undefined> {
    const file = archivePath(this.dir, breachId);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      throw new ArchiveError(`could not read the audit archive at ${file}: ${code ?? 'unknown error'}`);
    }
    return parseExport(text, file);
  }
}
