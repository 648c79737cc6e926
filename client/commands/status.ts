import type { Command } from 'commander';
import { differenceInMilliseconds } from 'date-fns/differenceInMilliseconds';
import { statusQuery } from '../../workflows/messages/breach';
import type { Run } from '../run';
import { formatStatus } from '../status-view';
import { stuckCohorts } from '../stuck-cohorts';
import { say } from '../terminal';
import { UsageError } from '../errors';

export function registerStatus(program: Command, run: Run): void {
  program
    .command('status <id>')
    .description("show a breach's phase, deadline, assessment, authority notice and holds")
    .option('--json', 'machine-readable output')
    .option('--watch [seconds]', 'redraw every few seconds (default 2) until the breach closes or Ctrl-C; with --json, one JSON line per change')
    .action((id: string, flags: { json?: boolean; watch?: boolean | string }) =>
      run(async (session) => {
        const every = watchInterval(flags.watch);
        let last = '';
        for (;;) {
          const status = await session.ask(id, undefined, (handle) => handle.query(statusQuery));
          // Only a breach still notifying can have cohorts that ended without finishing it.
          const stuck = status.phase === 'notifying-individuals' ? await stuckCohorts(await session.client(), id) : [];
          const now = new Date();
          const timeLeftMs = differenceInMilliseconds(new Date(status.deadline), now);
          if (every === undefined && flags.json) say(JSON.stringify({ ...status, stuckCohorts: stuck, timeLeftMs, webUi: session.webUiLink(id) }, null, 2));
          else if (flags.json) {
            // One line per change: the clock alone does not make a new line.
            const { asOf: _, ...changed } = status;
            const key = JSON.stringify({ ...changed, stuck });
            if (key !== last) say(JSON.stringify({ ...status, stuckCohorts: stuck, timeLeftMs }));
            last = key;
          } else {
            // Redrawn in place on a terminal; a pipe gets each view after the last.
            if (every !== undefined && process.stdout.isTTY) process.stdout.write('\x1b[H\x1b[2J');
            say(formatStatus(status, now, stuck));
            say(`  web UI:     ${session.webUiLink(id)}`);
          }
          if (every === undefined || status.phase === 'closed') return;
          await new Promise((resolve) => setTimeout(resolve, every * 1000));
        }
      }, id),
    );
}

function watchInterval(flag: boolean | string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  if (typeof flag !== 'string') return 2;
  if (!/^\d+(\.\d+)?$/.test(flag) || Number(flag) < 0.5 || Number(flag) > 3600) throw new UsageError(`--watch takes the seconds between redraws, from 0.5 to 3600, not '${flag}'`);
  return Number(flag);
}
