import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { DeliveryReport } from '../../domain/cascade';
import { cohortWorkflowId } from '../../domain/ids';
import { CHANNELS, type Channel } from '../../domain/individuals';
import { reportDeliveryUpdate } from '../../workflows/messages/cohort';
import { UsageError } from '../errors';
import type { Run } from '../run';
import { requireSubjectCohort } from '../subject-cohort';
import { say } from '../terminal';

export function registerBounce(program: Command, run: Run): void {
  program
    .command('bounce <id> <subjectId>')
    .description('report that a notice did not reach the person (a bounce, a failed fax, a returned letter); the cascade moves on')
    .requiredOption('--channel <channel>', CHANNELS.join('|'))
    .requiredOption('--reason <text>', 'what the report says')
    .option('--by <name>', 'who reports it')
    .action((id: string, subjectId: string, flags: { channel: string; reason: string; by?: string }) =>
      run(async (session) => {
        if (!CHANNELS.includes(flags.channel as Channel)) throw new UsageError(`--channel must be one of ${CHANNELS.join(', ')}`);
        const report: DeliveryReport = { subjectId, channel: flags.channel as Channel, reason: flags.reason, source: 'cli', by: flags.by };
        // Finding the cohort asks the cohorts themselves, so it needs a worker as much as the report does.
        await session.withWorker(flags.by, (client) => reportToCohort(client, id, report));
        say(
          report.channel === 'postal'
            ? `Recorded: the letter to subject ${subjectId} of breach ${id} was returned; the subject is unreachable.`
            : `Reported: the ${report.channel} notice to subject ${subjectId} of breach ${id} did not arrive; the cascade moves on.`,
        );
      }, id),
    );
}

/**
 * The cohort that notifies the subject takes the report; its validator decides whether the report
 * fits (a letter can come back only from someone notified by post). A cohort that is gone leaves
 * a WorkflowNotFoundError, which the runner explains as a closed breach.
 */
async function reportToCohort(client: Client, breachId: string, report: DeliveryReport): Promise<void> {
  const view = await requireSubjectCohort(client, breachId, report.subjectId);
  await client.workflow.getHandle(cohortWorkflowId(breachId, view.cohort)).executeUpdate(reportDeliveryUpdate, { args: [report] });
}
