import type { Command } from 'commander';
import { differenceInMilliseconds } from 'date-fns';
import { statusQuery } from '../../workflows/messages/breach';
import type { Run } from '../run';
import { formatStatus } from '../status-view';
import { stuckCohorts } from '../stuck-cohorts';
import { say } from '../terminal';

export function registerStatus(program: Command, run: Run): void {
  program
    .command('status <id>')
    .description("show a breach's phase, deadline, assessment, authority notice and holds")
    .option('--json', 'machine-readable output')
    .action((id: string, flags: { json?: boolean }) =>
      run(async (session) => {
        const status = await session.ask(id, undefined, (handle) => handle.query(statusQuery));
        // Only a breach still notifying can have cohorts that ended without finishing it.
        const stuck = status.phase === 'notifying-individuals' ? await stuckCohorts(await session.client(), id) : [];
        const now = new Date();
        if (flags.json) {
          const timeLeftMs = differenceInMilliseconds(new Date(status.deadline), now);
          say(JSON.stringify({ ...status, stuckCohorts: stuck, timeLeftMs, webUi: session.webUiLink(id) }, null, 2));
        } else {
          say(formatStatus(status, now, stuck));
          say(`  web UI:     ${session.webUiLink(id)}`);
        }
      }, id),
    );
}
