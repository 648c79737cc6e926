import type { Command } from 'commander';
import { BREACH_PHASES, type BreachPhase } from '../../domain/status';
import { AuthorityDeadlineKey, BreachIdKey, BreachPhaseKey, HoldActiveKey, NextDeadlineKey } from '../../domain/search-attributes';
import { listBreachRuns } from '../breach-list';
import { UsageError } from '../errors';
import { isoDateFlag } from '../flags';
import type { Run } from '../run';
import { columns } from '../table';
import { say } from '../terminal';

interface ListFlags {
  phase?: string;
  held?: boolean;
  deadlineBefore?: string;
  deadlineAfter?: string;
  openedAfter?: string;
  openedBefore?: string;
  nextDeadlineBefore?: string;
  nextDeadlineAfter?: string;
  json?: boolean;
}

interface ListedBreach {
  breachId: string;
  phase: string;
  authorityDeadline?: string;
  holdActive: boolean;
  /** The earliest deadline of an open obligation (breaches with regimes). */
  nextDeadline?: string;
  openedAt?: string;
  workflowId: string;
}

export function registerList(program: Command, run: Run): void {
  program
    .command('list')
    .description('find breaches by phase, holds, deadline or opening time (from the search attributes)')
    .option('--phase <phase>', BREACH_PHASES.join('|'))
    .option('--held', 'only breaches with an active hold')
    .option('--deadline-before <iso>', 'authority deadline before this time')
    .option('--deadline-after <iso>', 'authority deadline after this time')
    .option('--next-deadline-before <iso>', "an open obligation's deadline before this time (breaches with regimes)")
    .option('--next-deadline-after <iso>', "next open obligation's deadline after this time")
    .option('--opened-after <iso>', 'opened (started) after this time')
    .option('--opened-before <iso>', 'opened (started) before this time')
    .option('--json', 'machine-readable output')
    .action((flags: ListFlags) =>
      run(async (session) => {
        const filters = listFilters(flags);
        const client = await session.client();
        const breaches: ListedBreach[] = [];
        for (const execution of await listBreachRuns(client, filters)) {
          const attributes = execution.typedSearchAttributes;
          breaches.push({
            breachId: attributes.get(BreachIdKey) ?? execution.workflowId,
            phase: attributes.get(BreachPhaseKey) ?? 'unknown',
            authorityDeadline: attributes.get(AuthorityDeadlineKey)?.toISOString(),
            holdActive: attributes.get(HoldActiveKey) ?? false,
            nextDeadline: attributes.get(NextDeadlineKey)?.toISOString(),
            openedAt: execution.startTime.toISOString(),
            workflowId: execution.workflowId,
          });
        }
        if (flags.json) say(JSON.stringify(breaches, null, 2));
        else say(formatTable(breaches));
      }),
    );
}

/** The visibility query clauses of the filters. */
function listFilters(flags: ListFlags): string[] {
  const clauses: string[] = [];
  if (flags.phase !== undefined) {
    if (!BREACH_PHASES.includes(flags.phase as BreachPhase)) throw new UsageError(`--phase must be one of ${BREACH_PHASES.join(', ')}`);
    clauses.push(`BreachPhase = '${flags.phase}'`);
  }
  if (flags.held) clauses.push('HoldActive = true');
  const time = (flag: string, value: string | undefined, clause: (iso: string) => string) => {
    if (value !== undefined) clauses.push(clause(isoDateFlag(flag, value)));
  };
  time('--deadline-before', flags.deadlineBefore, (iso) => `AuthorityDeadline < '${iso}'`);
  time('--deadline-after', flags.deadlineAfter, (iso) => `AuthorityDeadline > '${iso}'`);
  time('--next-deadline-before', flags.nextDeadlineBefore, (iso) => `${NextDeadlineKey.name} < '${iso}'`);
  time('--next-deadline-after', flags.nextDeadlineAfter, (iso) => `${NextDeadlineKey.name} > '${iso}'`);
  time('--opened-after', flags.openedAfter, (iso) => `StartTime > '${iso}'`);
  time('--opened-before', flags.openedBefore, (iso) => `StartTime < '${iso}'`);
  return clauses;
}

function formatTable(breaches: ListedBreach[]): string {
  if (breaches.length === 0) return 'No breaches match.';
  return columns([
    ['BREACH', 'PHASE', 'DEADLINE', 'NEXT OBLIGATION', 'HOLD', 'OPENED'],
    ...breaches.map((b) => [b.breachId, b.phase, b.authorityDeadline ?? '', b.nextDeadline ?? '', b.holdActive ? 'yes' : 'no', b.openedAt ?? '']),
  ]);
}
