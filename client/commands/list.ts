import type { Command } from 'commander';
import { BREACH_PHASES, type BreachPhase } from '../../domain/status';
import { AuthorityDeadlineKey, BreachIdKey, BreachPhaseKey, HoldActiveKey } from '../../domain/search-attributes';
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
  json?: boolean;
}

interface ListedBreach {
  breachId: string;
  phase: string;
  authorityDeadline?: string;
  holdActive: boolean;
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
    .option('--opened-after <iso>', 'opened (started) after this time')
    .option('--opened-before <iso>', 'opened (started) before this time')
    .option('--json', 'machine-readable output')
    .action((flags: ListFlags) =>
      run(async (session) => {
        const query = listQuery(flags);
        const client = await session.client();
        const breaches: ListedBreach[] = [];
        for await (const execution of client.workflow.list({ query })) {
          const attributes = execution.typedSearchAttributes;
          breaches.push({
            breachId: attributes.get(BreachIdKey) ?? execution.workflowId,
            phase: attributes.get(BreachPhaseKey) ?? 'unknown',
            authorityDeadline: attributes.get(AuthorityDeadlineKey)?.toISOString(),
            holdActive: attributes.get(HoldActiveKey) ?? false,
            openedAt: execution.startTime.toISOString(),
            workflowId: execution.workflowId,
          });
        }
        if (flags.json) say(JSON.stringify(breaches, null, 2));
        else say(formatTable(breaches));
      }),
    );
}

/** The visibility query for the filters; only the latest run of each breach is listed. */
function listQuery(flags: ListFlags): string {
  const clauses = ["WorkflowType = 'BreachWorkflow'", "ExecutionStatus != 'ContinuedAsNew'"];
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
  time('--opened-after', flags.openedAfter, (iso) => `StartTime > '${iso}'`);
  time('--opened-before', flags.openedBefore, (iso) => `StartTime < '${iso}'`);
  return clauses.join(' AND ');
}

function formatTable(breaches: ListedBreach[]): string {
  if (breaches.length === 0) return 'No breaches match.';
  return columns([['BREACH', 'PHASE', 'DEADLINE', 'HOLD', 'OPENED'], ...breaches.map((b) => [b.breachId, b.phase, b.authorityDeadline ?? '', b.holdActive ? 'yes' : 'no', b.openedAt ?? ''])]);
}
