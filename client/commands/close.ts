import type { Command } from 'commander';
import { closeUpdate } from '../../workflows/messages/breach';
import { UsageError } from '../errors';
import type { Run } from '../run';
import { say } from '../terminal';

export function registerClose(program: Command, run: Run): void {
  program
    .command('close <id>')
    .description('close a breach once no hold is active and no work is pending')
    .requiredOption('--by <name>', 'who closes it')
    .option('--accept-incomplete', 'close although notifying individuals stopped before everyone was reached (needs --reason)')
    .option('--reason <text>', 'why the breach may close incomplete')
    .action((id: string, flags: { by: string; acceptIncomplete?: boolean; reason?: string }) =>
      run(async (session) => {
        if (flags.acceptIncomplete && !flags.reason?.trim()) throw new UsageError('--accept-incomplete needs a --reason');
        if (flags.reason && !flags.acceptIncomplete) throw new UsageError('--reason goes with --accept-incomplete');
        const request = { by: flags.by, ...(flags.acceptIncomplete ? { incompleteReason: flags.reason } : {}) };
        const summary = await session.ask(id, flags.by, (handle) => handle.executeUpdate(closeUpdate, { args: [request] }));
        const notice = summary.authorityNotice;
        say(`Breach ${id} closed at ${summary.closedAt} by ${summary.closedBy}.`);
        say(
          `  risk ${summary.risk}; authority ${notice ? `notified ${notice.sentAt} (${notice.onTime ? 'on time' : 'late'})` : 'not notified (risk unlikely)'}; ` +
            `${summary.supplements} supplement(s), ${summary.holdsPlaced} hold(s), ${summary.remindersSent} reminder(s)`,
        );
      }, id),
    );
}
