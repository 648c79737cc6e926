import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { AUDIT_FORMATS, formatAudit, type AuditFormat } from '../../audit/formats';
import { openAuditArchive } from '../../audit/archive';
import { buildAudit, type AuditProgress } from '../../audit/build-audit';
import { InvalidExport, readExport, type AuditExport } from '../../audit/export-schema';
import { CommandFailed, describeError, UsageError } from '../errors';
import type { Run } from '../run';
import { printable, say, warn } from '../terminal';

export function registerAudit(program: Command, run: Run): void {
  program
    .command('audit <id> [file]')
    .description("a breach's timeline from Temporal's own history; `breach audit verify FILE` checks a JSON export")
    .option('--format <format>', AUDIT_FORMATS.join('|'), 'table')
    .option('--out <file>', 'write the report to a file')
    .option('--subject <subjectId>', "every attempt to reach one person, with the providers' evidence")
    .action((id: string, file: string | undefined, flags: { format: string; out?: string; subject?: string }) =>
      id === 'verify' ? verifyCommand(file) : run(async (session) => {
        if (!AUDIT_FORMATS.includes(flags.format as AuditFormat)) throw new UsageError(`--format must be one of ${AUDIT_FORMATS.join(', ')}`);
        const fromHistory = await buildAudit(await session.client(), id, flags.subject, progressLine());
        // Once Temporal's retention has deleted the history, the archived export is the record.
        const report = fromHistory ?? (flags.subject ? undefined : await openAuditArchive(session.config.audit).read(id));
        if (!report) throw new CommandFailed(flags.subject ? `no subject '${flags.subject}' in breach '${id}'` : `no breach '${id}' found`);
        if (!fromHistory) warn(`(from the archive: Temporal no longer holds the history of breach '${id}')`);
        if (flags.format === 'pdf' && !flags.out) throw new UsageError('--format pdf needs --out FILE');
        const text = await formatAudit(report, flags.format as AuditFormat);
        if (flags.out) {
          writeFileSync(flags.out, text);
          say(`Audit of breach ${id} written to ${flags.out}.`);
        } else {
          // JSON escapes control characters itself; every other format is shown as a terminal can print it.
          process.stdout.write(flags.format === 'json' ? text : printable(text as string));
        }
        if (flags.format === 'table') say(`Web UI: ${session.webUiLink(id)}`);
      }, id),
    );
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

/** Verification needs neither the configuration nor Temporal, so it runs without a session. */
async function verifyCommand(file: string | undefined): Promise<void> {
  try {
    await verify(file);
  } catch (err) {
    const { message, exitCode } = describeError(err);
    warn(`breach: ${message}`);
    process.exitCode = exitCode;
  }
}

/** Checks a JSON export against its schema and recomputes the SHA-256 of its entries. */
function verify(file: string | undefined): Promise<void> {
  if (!file) throw new UsageError('usage: breach audit verify FILE');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new CommandFailed(`${file} is not a readable JSON audit export`);
  }
  let report: AuditExport;
  try {
    report = readExport(text);
  } catch (err) {
    if (err instanceof InvalidExport) throw new CommandFailed(`${file} ${err.message}`);
    throw err;
  }
  say(`${file}: intact (breach ${report.breachId}, ${report.entries.length} entries, SHA-256 ${report.sha256}).`);
  return Promise.resolve();
}
