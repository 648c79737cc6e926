import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { RESOLVED_STATES, type CohortRetried, type ResolvedState, type RetryCohortRequest } from '../../domain/cohort-recovery';
import { breachWorkflowId } from '../../domain/ids';
import { resolveSubjectUpdate, retryCohortUpdate } from '../../workflows/messages/breach';
import { UsageError } from '../errors';
import { cohortArgument } from '../flags';
import type { Run } from '../run';
import { requireSubjectCohort } from '../subject-cohort';
import { say } from '../terminal';

/**
 * The way out for people whose cohort workflow ended (terminated, failed, timed out) before they
 * had a final state, as `breach status` lists them: retry the cascade, or record by hand what
 * happened to one person.
 */
export function registerRecovery(program: Command, run: Run): void {
  const subject = program.command('subject').description('one person whose notification stopped because their cohort\'s workflow ended');

  subject
    .command('retry <id> <subjectId>')
    .description("start the subject's cascade again, with every other person of their cohort who has no final state")
    .requiredOption('--reason <text>', 'why the cascade is started again')
    .requiredOption('--by <name>', 'who starts it again')
    .action((id: string, subjectId: string, flags: { reason: string; by: string }) =>
      run(async (session) => {
        const retried = await session.withWorker(flags.by, async (client) => {
          const view = await requireSubjectCohort(client, id, subjectId);
          return retry(client, id, { cohort: view.cohort, subjectId, ...flags });
        });
        say(retriedText(id, retried));
      }, id),
    );

  subject
    .command('resolve <id> <subjectId>')
    .description('record by hand the final state of a subject whose cohort\'s workflow ended before giving them one')
    .requiredOption('--state <state>', RESOLVED_STATES.join('|'))
    .requiredOption('--reason <text>', 'what happened, and how it is known')
    .requiredOption('--by <name>', 'who records it')
    .action((id: string, subjectId: string, flags: { state: string; reason: string; by: string }) =>
      run(async (session) => {
        if (!RESOLVED_STATES.includes(flags.state as ResolvedState)) throw new UsageError(`--state must be one of ${RESOLVED_STATES.join(', ')}`);
        const resolved = await session.withWorker(flags.by, async (client) => {
          const view = await requireSubjectCohort(client, id, subjectId);
          const request = { cohort: view.cohort, subjectId, state: flags.state as ResolvedState, reason: flags.reason, by: flags.by };
          return client.workflow.getHandle(breachWorkflowId(id)).executeUpdate(resolveSubjectUpdate, { args: [request] });
        });
        const left =
          resolved.remaining === 0
            ? `nobody in cohort ${resolved.cohort} is left without a final state, so its workflow was started again to record everyone's outcome`
            : `cohort ${resolved.cohort} has ${resolved.remaining} more row(s) without a final state`;
        say(`Recorded: subject ${subjectId} of breach ${id} is ${resolved.state} (resolved by hand); ${left}.`);
      }, id),
    );

  program
    .command('cohort')
    .description('a cohort whose workflow ended before its people had a final state')
    .command('retry <id> <cohort>')
    .description('start the cascade of every person of the cohort who has no final state again (for a cohort that ended before it read its rows)')
    .requiredOption('--reason <text>', 'why the cascade is started again')
    .requiredOption('--by <name>', 'who starts it again')
    .action((id: string, cohort: string, flags: { reason: string; by: string }) =>
      run(async (session) => {
        const request = { cohort: cohortArgument(cohort), ...flags };
        say(retriedText(id, await session.withWorker(flags.by, (client) => retry(client, id, request))));
      }, id),
    );
}

function retry(client: Client, breachId: string, request: RetryCohortRequest): Promise<CohortRetried> {
  return client.workflow.getHandle(breachWorkflowId(breachId)).executeUpdate(retryCohortUpdate, { args: [request] });
}

function retriedText(breachId: string, r: CohortRetried): string {
  const fresh = r.rows - r.final - r.awaiting - r.mayHaveBeenSent;
  return (
    `Cohort ${r.cohort} of breach ${breachId} started again (its workflow ${r.workflowId} had been ${r.ended}). Of its ${r.rows} row(s): ` +
    `${r.final} keep the final state they had; ${r.awaiting} go on waiting for a delivery report; ` +
    `${r.mayHaveBeenSent} whose notice may have gone out are looked up at the provider or resent with the same notice id; ${fresh} start their cascade from the beginning.`
  );
}
