import type { Command } from 'commander';
import { closeUpdate } from '../../workflows/messages/breach';
import type { Run } from '../run';
import { say } from '../terminal';

export function registerClose(program: Command, run: Run): void {
  program
    .command('close <id>')
    .description('close a breach once no hold is active and no work is pending')
    .requiredOption('--by <name>', 'who closes it')
    .action((id: string, flags: { by: string }) =>
      run(async (session) => {
        const summary = await session.ask(id, flags.by, (handle) => handle.executeUpdate(closeUpdate, { args: [flags] }));
        const notice = summary.authorityNotice;
        say(`Breach ${id} closed at ${summary.closedAt} by ${summary.closedBy}.`);
        say(
          `  risk ${summary.risk}; authority ${notice ? `notified ${notice.sentAt} (${notice.onTime ? 'on time' : 'late'})` : 'not notified (risk unlikely)'}; ` +
            `${summary.supplements} supplement(s), ${summary.holdsPlaced} hold(s), ${summary.remindersSent} reminder(s)`,
        );
      }, id),
    );
}
