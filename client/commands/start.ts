import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Command } from 'commander';
import { breachWorkflowId } from '../../domain/ids';
import { describeTimeLeft } from '../../domain/deadline';
import { parseBreach, readBreachFile } from '../breach-file';
import { breachRegimes, parseResidents } from '../breach-regimes';
import { CommandFailed, UsageError } from '../errors';
import { startBreachWorkflow } from '../start-breach';
import { ROSTER_ENCODINGS, type RosterEncoding, type RosterRef } from '../../domain/individuals';
import { DUPLICATE_ROW, RosterError, validateRosterFile } from '../../roster/roster-file';
import { checkNotices } from '../notice-check';
import type { Run } from '../run';
import { say, warn } from '../terminal';

interface StartFlags {
  file?: string;
  id?: string;
  title?: string;
  description?: string;
  awareAt?: string;
  reporter?: string;
  categories?: string;
  subjects?: string;
  records?: string;
  consequences?: string;
  measures?: string;
  contact?: string;
  risk?: string;
  rationale?: string;
  by?: string;
  advice?: string;
  roster?: string;
  rosterEncoding?: string;
  skipInvalid?: boolean;
  regimes?: string;
  residents?: string;
  dataTypes?: string;
  discoveredAt?: string;
  determinedAt?: string;
  occurredFrom?: string;
  occurredUntil?: string;
  subjectCategories?: string;
}

export function registerStart(program: Command, run: Run): void {
  program
    .command('start')
    .description('open a breach and start its 72-hour authority clock')
    .option('--file <file>', 'breach description in YAML or JSON (flags override its fields)')
    .option('--id <id>', 'breach id')
    .option('--title <text>', 'short title')
    .option('--description <text>', 'nature of the breach')
    .option('--aware-at <iso>', 'when the company became aware (ISO 8601 with time zone)')
    .option('--reporter <name>', 'who reported the breach')
    .option('--categories <list>', 'categories of personal data, comma-separated')
    .option('--subjects <n>', 'approximate number of data subjects')
    .option('--records <n>', 'approximate number of records')
    .option('--consequences <text>', 'likely consequences')
    .option('--measures <text>', 'measures taken or proposed')
    .option('--contact <text>', 'contact point (DPO)')
    .option('--risk <level>', 'initial risk assessment: unlikely|risk|high')
    .option('--rationale <text>', 'rationale of the initial assessment')
    .option('--advice <text>', 'what affected people can do (in the notice to individuals)')
    .option('--roster <file>', 'affected individuals, CSV or JSONL; every row is validated first')
    .option('--roster-encoding <name>', `the roster's text encoding: ${ROSTER_ENCODINGS.join('|')} (default utf-8)`)
    .option('--skip-invalid', 'start even if some roster rows are invalid; they are recorded as unreachable')
    .option('--regimes <list>', 'the regimes that apply, comma-separated (default: the configured ones and those where the roster\'s people live)')
    .option('--residents <counts>', 'affected people per country or US state, e.g. US-CA=600,US-TX=250 (default: counted from the roster)')
    .option('--data-types <list>', 'kinds of data involved, comma-separated: phi, ssn, government-id, financial-account, payment-card, credentials, biometric, medical, contact, other')
    .option('--occurred-from <iso>', 'when the breach itself began, if known')
    .option('--occurred-until <iso>', 'when it ended, if known')
    .option('--subject-categories <list>', 'categories of people affected, comma-separated (customers, employees, …)')
    .option('--discovered-at <iso>', 'when the breach was first known to anyone in the company (default: --aware-at)')
    .option('--determined-at <iso>', 'when the company determined that a breach occurred')
    .option('--by <name>', 'who opens the breach (and assessed it)')
    .action((flags: StartFlags) =>
      run(async (session) => {
        const { facts, initialAssessment, regimeFacts } = parseBreach(startRequest(flags), flags.file);
        const encoding = rosterEncoding(flags);
        const roster = flags.roster ? await checkRoster(flags.roster, encoding, Boolean(flags.skipInvalid)) : undefined;
        const regimes = breachRegimes(session.config, regimeFacts, facts.approxSubjects, roster);
        if (roster) await checkNotices(session.config, facts, roster.languages, regimes);
        const client = await session.client(flags.by ?? facts.reporter);
        const { deadline } = await startBreachWorkflow(client, session.config, facts, initialAssessment, roster, regimes).catch((err: unknown) => {
          if (err instanceof WorkflowExecutionAlreadyStartedError) {
            throw new CommandFailed(`breach '${facts.breachId}' already exists; a breach can be started only once`);
          }
          throw err;
        });
        say(`Started breach ${facts.breachId} (workflow ${breachWorkflowId(facts.breachId)}).`);
        say(`Authority deadline: ${deadline.toISOString()} (${describeTimeLeft(deadline, new Date())}).`);
        if (roster) say(`Roster: ${roster.total} row(s), SHA-256 ${roster.ref.sha256}.`);
        say(`Regimes: ${regimes.packs.map((p) => p.id).join(', ')} (breach status lists their obligations).`);
      }),
    );
}

function rosterEncoding(flags: StartFlags): RosterEncoding {
  const name = flags.rosterEncoding?.toLowerCase() ?? 'utf-8';
  if (flags.rosterEncoding !== undefined && !flags.roster) throw new UsageError('--roster-encoding goes with --roster');
  if (!ROSTER_ENCODINGS.includes(name as RosterEncoding)) throw new UsageError(`--roster-encoding must be one of ${ROSTER_ENCODINGS.join(', ')}`);
  return name as RosterEncoding;
}

/** Merges the file (if any) with the flags; flags win so a template file can be reused. */
function startRequest(flags: StartFlags): Record<string, unknown> {
  const fromFile = flags.file ? readBreachFile(flags.file) : {};
  if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
    throw new UsageError(`${flags.file} must hold one breach as a mapping of fields`);
  }
  const fromFlags = definedOnly({
    id: flags.id,
    title: flags.title,
    description: flags.description,
    awareAt: flags.awareAt,
    reporter: flags.reporter ?? (flags.file ? undefined : flags.by),
    dataCategories: flags.categories?.split(',').map((c) => c.trim()).filter(Boolean),
    approxSubjects: flags.subjects,
    approxRecords: flags.records,
    likelyConsequences: flags.consequences,
    measures: flags.measures,
    contactPoint: flags.contact,
    advice: flags.advice,
    regimes: flags.regimes?.split(',').map((r) => r.trim()).filter(Boolean),
    residents: flags.residents === undefined ? undefined : parseResidents(flags.residents),
    dataTypes: flags.dataTypes?.split(',').map((d) => d.trim()).filter(Boolean),
    discoveredAt: flags.discoveredAt,
    determinedAt: flags.determinedAt,
    occurredFrom: flags.occurredFrom,
    occurredUntil: flags.occurredUntil,
    subjectCategories: flags.subjectCategories?.split(',').map((c) => c.trim()).filter(Boolean),
  });
  const request: Record<string, unknown> = { ...fromFile, ...fromFlags };
  if (flags.risk !== undefined || flags.rationale !== undefined) {
    request.assessment = { risk: flags.risk, rationale: flags.rationale, by: flags.by ?? request.reporter };
  }
  return request;
}

function definedOnly(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

/**
 * Every row is checked before anything starts. Bad rows are listed by line number and reason
 * (never by content: it is personal data); they stop the start unless --skip-invalid is given.
 */
async function checkRoster(file: string, encoding: RosterEncoding, skipInvalid: boolean): Promise<{ ref: RosterRef; total: number; languages: string[]; residents: Record<string, number> }> {
  let validation;
  try {
    validation = await validateRosterFile(file, encoding);
  } catch (err) {
    throw new UsageError(err instanceof RosterError ? err.message : `cannot read roster ${file}`);
  }
  const { ref, valid, invalid, languages, residents } = validation;
  if (invalid.length > 0) {
    for (const row of invalid) warn(`${file}:${row.line}: ${row.problem}`);
    if (!skipInvalid) {
      throw new UsageError(`${file}: ${invalid.length} invalid row(s); fix them, or start with --skip-invalid to record them as unreachable`);
    }
    const duplicates = invalid.filter((row) => row.problem === DUPLICATE_ROW).length;
    if (invalid.length > duplicates) warn(`${file}: ${invalid.length - duplicates} invalid row(s) will be recorded as unreachable`);
    if (duplicates > 0) warn(`${file}: ${duplicates} duplicate row(s) will be skipped: each subject is notified once, from its first row (the audit counts them)`);
  }
  return { ref, total: valid + invalid.length, languages, residents };
}
