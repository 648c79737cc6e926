import { writeFileSync } from 'node:fs';
import { formatAudit } from '../audit/formats';
import type { AuditFormat } from '../audit/format-names';
import { openAuditArchive } from '../audit/archive';
import { buildAudit, type AuditProgress } from '../audit/build-audit';
import { CommandFailed, UsageError } from './errors';
import type { Session } from './session';
import { printable, say, warn } from './terminal';

/** The audit of breach `id` (or of one subject) from Temporal's history, or from the archive once the history is gone, in a format. */
export async function printAudit(session: Session, id: string, flags: { format: AuditFormat; out?: string; subject?: string }): Promise<void> {
  const fromHistory = await buildAudit(await session.client(), id, flags.subject, progressLine());
  // Once Temporal's retention has deleted the history, the archived export is the record.
  const report = fromHistory ?? (flags.subject ? undefined : await openAuditArchive(session.config.audit).read(id));
  if (!report) throw new CommandFailed(flags.subject ? `no subject '${flags.subject}' in breach '${id}'` : `no breach '${id}' found`);
  if (!fromHistory) warn(`(from the archive: Temporal no longer holds the history of breach '${id}')`);
  if (flags.format === 'pdf' && !flags.out) throw new UsageError('--format pdf needs --out FILE');
  const text = await formatAudit(report, flags.format);
  if (flags.out) {
    writeFileSync(flags.out, text);
    say(`Audit of breach ${id} written to ${flags.out}.`);
  } else {
    // JSON escapes control characters itself; every other format is shown as a terminal can print it.
    process.stdout.write(flags.format === 'json' ? text : printable(text as string));
  }
  if (flags.format === 'table') say(`Web UI: ${session.webUiLink(id)}`);
}

/** On a terminal, how far the reading of the cohorts' histories has come, redrawn on one line of stderr. */
function progressLine(): AuditProgress | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  return (read, total) => {
    if (read < total && Date.now() - last < 250) return;
    last = Date.now();
    process.stderr.write(`\rreading the histories of the cohorts: ${read} of ${total}${read === total ? '\n' : ''}`);
  };
}
