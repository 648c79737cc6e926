import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { AUDIT_FORMATS, type AuditFormat } from '../../audit/format-names';
import { InvalidExport, readExport, type AuditExport } from '../../audit/export-schema';
import { CommandFailed, describeError, UsageError } from '../errors';
import type { Run } from '../run';
import { say, warn } from '../terminal';

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
        // Loaded on use: the report's PDF and the S3 archive bring PDFKit and the AWS SDK, which every other command would wait for.
        const { printAudit } = require('../audit-report') as typeof import('../audit-report');
        await printAudit(session, id, { ...flags, format: flags.format as AuditFormat });
      }, id),
    );
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
