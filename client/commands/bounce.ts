import type { Command } from 'commander';
import { WorkflowNotFoundError } from '@temporalio/common';
import { CHANNELS, type Channel } from '../../domain/individuals';
import { subjectWorkflowId } from '../../domain/cascade';
import { reportReturnedMailUpdate } from '../../workflows/breach';
import { reportDeliveryUpdate } from '../../workflows/notify-individual';
import { CommandFailed, UsageError } from '../errors';
import type { Run } from '../run';

export function registerBounce(program: Command, run: Run): void {
  program
    .command('bounce <id> <subjectId>')
    .description('report that a notice did not reach the person (a bounce, a failed fax); the cascade moves on')
    .requiredOption('--channel <channel>', CHANNELS.join('|'))
    .requiredOption('--reason <text>', 'what the report says')
    .option('--by <name>', 'who reports it')
    .action((id: string, subjectId: string, flags: { channel: string; reason: string; by?: string }) =>
      run(async (session) => {
        if (!CHANNELS.includes(flags.channel as Channel)) throw new UsageError(`--channel must be one of ${CHANNELS.join(', ')}`);
        const channel = flags.channel as Channel;
        if (channel === 'postal') {
          // Letters come back weeks after the subject's cascade ended: the breach records it.
          await session.ask(id, flags.by, (breach) => breach.executeUpdate(reportReturnedMailUpdate, { args: [{ subjectId, reason: flags.reason }] }));
          console.log(`Recorded: the letter to subject ${subjectId} of breach ${id} was returned; the subject is unreachable.`);
          return;
        }
        const client = await session.client(flags.by);
        const handle = client.workflow.getHandle(subjectWorkflowId(id, subjectId));
        try {
          await handle.executeUpdate(reportDeliveryUpdate, { args: [{ channel, reason: flags.reason, by: flags.by }] });
        } catch (err) {
          // The subject's own workflow is gone or never was: name the subject, not the workflow.
          if (err instanceof WorkflowNotFoundError) throw new CommandFailed(`no notice to subject '${subjectId}' of breach '${id}' is in progress`);
          throw err;
        }
        console.log(`Reported: the ${channel} notice to subject ${subjectId} of breach ${id} did not arrive; the cascade moves on.`);
      }, id),
    );
}
