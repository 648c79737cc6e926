import type { Command } from 'commander';
import { cohortRunsOf } from '../../audit/read-history';
import { SUBJECT_STATES, type SubjectState } from '../../domain/cascade';
import { breachWorkflowId, cohortWorkflowId } from '../../domain/ids';
import { subjectsInStateQuery } from '../../workflows/messages/cohort';
import { UsageError } from '../errors';
import type { Run } from '../run';
import { say } from '../terminal';

/** Cohorts asked at once: enough to hide the round trips, few enough to spare the worker. */
const ASKED_AT_ONCE = 16;

/** `breach subjects <id> --state …`: the ids of the people in one state, cohort by cohort, never their contact data. */
export function registerSubjects(program: Command, run: Run): void {
  program
    .command('subjects <id>')
    .description('list the subject ids of a breach in one state, e.g. those not contacted yet or unreachable (ids only)')
    .requiredOption('--state <state>', SUBJECT_STATES.join('|'))
    .option('--json', 'one JSON array instead of one id per line')
    .action((id: string, flags: { state: string; json?: boolean }) =>
      run(async (session) => {
        if (!SUBJECT_STATES.includes(flags.state as SubjectState)) throw new UsageError(`--state must be one of ${SUBJECT_STATES.join(', ')}`);
        const ids = await session.withWorker(undefined, async (client) => {
          // A breach that does not exist has no cohorts either; the runner names that case.
          await client.workflow.getHandle(breachWorkflowId(id)).describe();
          const cohorts = [...(await cohortRunsOf(client, id)).keys()];
          const found: string[] = [];
          for (let i = 0; i < cohorts.length; i += ASKED_AT_ONCE) {
            const answers = await Promise.all(cohorts.slice(i, i + ASKED_AT_ONCE).map((cohort) => client.workflow.getHandle(cohortWorkflowId(id, cohort)).query(subjectsInStateQuery, flags.state)));
            for (const answer of answers) found.push(...answer);
          }
          return found;
        });
        if (flags.json) say(JSON.stringify(ids));
        else if (ids.length) say(ids.join('\n'));
      }, id),
    );
}
