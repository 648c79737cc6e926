import type { Command } from 'commander';
import { differenceInMilliseconds } from 'date-fns';
import { statusQuery } from '../../workflows/messages/breach';
import type { Run } from '../run';
import { formatStatus } from '../status-view';
import { say } from '../terminal';

export function registerStatus(program: Command, run: Run): void {
  program
    .command('status <id>')
    .description("show a breach's phase, deadline, assessment, authority notice and holds")
    .option('--json', 'machine-readable output')
    .action((id: string, flags: { json?: boolean }) =>
      run(async (session) => {
        const status = await session.ask(id, undefined, (handle) => handle.query(statusQuery));
        const now = new Date();
        if (flags.json) {
          const timeLeftMs = differenceInMilliseconds(new Date(status.deadline), now);
          say(JSON.stringify({ ...status, timeLeftMs, webUi: session.webUiLink(id) }, null, 2));
        } else {
          say(formatStatus(status, now));
          say(`  web UI:     ${session.webUiLink(id)}`);
        }
      }, id),
    );
}
