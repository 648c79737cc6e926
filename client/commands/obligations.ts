import type { Command } from 'commander';
import { countingFrom } from '../../domain/obligations';
import { ANCHOR_EVENTS, type AnchorEvent } from '../../domain/regimes/rule-pack';
import { recordAnchorUpdate, recordObligationUpdate } from '../../workflows/messages/breach';
import { UsageError } from '../errors';
import { isoDateFlag } from '../flags';
import type { Run } from '../run';
import { say } from '../terminal';

/** Commands that move a breach's obligations: the events their deadlines count from, and their completion outside the engine. */
export function registerObligations(program: Command, run: Run): void {
  program
    .command('anchor <id> <event>')
    .description(`record when an event deadlines count from happened: ${ANCHOR_EVENTS.filter((e) => e !== 'awareness').join('|')}`)
    .requiredOption('--at <iso>', 'when it happened (ISO 8601 with time zone)')
    .requiredOption('--by <name>', 'who records it')
    .option('--reason <text>', 'what it rests on (the board minutes, the investigation report)')
    .action((id: string, event: string, flags: { at: string; by: string; reason?: string }) =>
      run(async (session) => {
        if (!ANCHOR_EVENTS.includes(event as AnchorEvent)) throw new UsageError(`the event must be one of ${ANCHOR_EVENTS.join(', ')}`);
        const request = { event: event as AnchorEvent, at: isoDateFlag('--at', flags.at), by: flags.by, reason: flags.reason };
        const views = await session.ask(id, flags.by, (handle) => handle.executeUpdate(recordAnchorUpdate, { args: [request] }));
        say(`${event} recorded on breach ${id} at ${request.at}.`);
        for (const v of countingFrom(views, event as AnchorEvent)) say(`  ${v.id} is due at ${v.deadline}.`);
      }, id),
    );

  const obligation = program.command('obligation').description("a breach's obligations under its regimes (breach status lists them)");
  obligation
    .command('record <id> <obligationId>')
    .description('record that an obligation was met outside the engine: a portal filing, a letter, a posting')
    .requiredOption('--reference <ref>', 'the filing number, portal reference or other evidence')
    .requiredOption('--by <name>', 'who submitted it')
    .option('--at <iso>', 'when it was submitted, if not now')
    .option('--late-reason <text>', 'why it was late, when after its deadline')
    .action((id: string, obligationId: string, flags: { reference: string; by: string; at?: string; lateReason?: string }) =>
      run(async (session) => {
        const request = { obligationId, ...flags, at: flags.at === undefined ? undefined : isoDateFlag('--at', flags.at) };
        const view = await session.ask(id, flags.by, (handle) => handle.executeUpdate(recordObligationUpdate, { args: [request] }));
        say(`${view.id} recorded as done at ${view.completion?.at} (${view.completion?.onTime ? 'on time' : 'late'}).`);
      }, id),
    );
  obligation
    .command('not-required <id> <obligationId>')
    .description('record why an obligation is not owed (e.g. no likely harm after consulting law enforcement)')
    .requiredOption('--reason <text>', 'why it is not required, and what the decision rests on')
    .requiredOption('--by <name>', 'who decided')
    .action((id: string, obligationId: string, flags: { reason: string; by: string }) =>
      run(async (session) => {
        const request = { obligationId, reference: 'not required', by: flags.by, notRequiredReason: flags.reason };
        const view = await session.ask(id, flags.by, (handle) => handle.executeUpdate(recordObligationUpdate, { args: [request] }));
        say(`${view.id} recorded as not required.`);
      }, id),
    );
}
