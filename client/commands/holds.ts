import type { Command } from 'commander';
import { placeHoldUpdate, releaseHoldUpdate } from '../../workflows/messages/breach';
import { isoDateFlag } from '../flags';
import type { Run } from '../run';
import { say } from '../terminal';

export function registerHolds(program: Command, run: Run): void {
  const hold = program.command('hold').description('law-enforcement holds: while any is active, no individual is contacted');

  hold
    .command('place <id>')
    .description('place a hold requested by a law-enforcement agency')
    .requiredOption('--agency <text>', 'the requesting agency')
    .requiredOption('--case-ref <text>', "the agency's case reference")
    .requiredOption('--reason <text>', 'why notice would impede the investigation')
    .requiredOption('--by <name>', 'who places the hold')
    .option('--review-at <iso>', 'when legal must confirm the hold is still needed')
    .action((id: string, flags: { agency: string; caseRef: string; reason: string; by: string; reviewAt?: string }) =>
      run(async (session) => {
        const placed = await session.ask(id, flags.by, (handle) => handle.executeUpdate(placeHoldUpdate, { args: [{ ...flags, reviewAt: flags.reviewAt === undefined ? undefined : isoDateFlag('--review-at', flags.reviewAt) }] }));
        say(`Hold ${placed.holdId} placed on breach ${id} (${placed.agency}, case ${placed.caseRef}).`);
      }, id),
    );

  hold
    .command('release <id> <holdId>')
    .description('release a hold')
    .requiredOption('--reason <text>', 'why it is released')
    .requiredOption('--by <name>', 'who releases it')
    .action((id: string, holdId: string, flags: { reason: string; by: string }) =>
      run(async (session) => {
        const released = await session.ask(id, flags.by, (handle) => handle.executeUpdate(releaseHoldUpdate, { args: [{ holdId, ...flags }] }));
        say(`Hold ${released.holdId} on breach ${id} released at ${released.release?.at}.`);
      }, id),
    );
}

