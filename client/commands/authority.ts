import type { Command } from 'commander';
import { provideLateReasonUpdate, recordPortalSubmissionUpdate, supplementAuthorityReportUpdate } from '../../workflows/messages/breach';
import type { Run } from '../run';
import { say } from '../terminal';

/** Commands that complete the authority notice: late reasons, portal submissions, supplements. */
export function registerAuthority(program: Command, run: Run): void {
  program
    .command('late-reason <id>')
    .description('give the reasons for a notice that goes out after the deadline (Art. 33(1))')
    .requiredOption('--reason <text>', 'reasons for the delay')
    .requiredOption('--by <name>', 'who gives them')
    .action((id: string, flags: { reason: string; by: string }) =>
      run(async (session) => {
        await session.ask(id, flags.by, (handle) => handle.executeUpdate(provideLateReasonUpdate, { args: [flags] }));
        say(`Reason for the delay recorded on breach ${id}.`);
      }, id),
    );

  program
    .command('portal <id>')
    .description("record that the notice was submitted on the authority's portal")
    .requiredOption('--reference <ref>', "the portal's reference for the submission")
    .requiredOption('--by <name>', 'who submitted it')
    .option('--late-reason <text>', 'reasons for the delay, when after the deadline')
    .action((id: string, flags: { reference: string; by: string; lateReason?: string }) =>
      run(async (session) => {
        const notice = await session.ask(id, flags.by, (handle) => handle.executeUpdate(recordPortalSubmissionUpdate, { args: [flags] }));
        say(`Portal submission ${notice.portalReference} recorded at ${notice.sentAt} (${notice.onTime ? 'on time' : 'late'}).`);
      }, id),
    );

  program
    .command('supplement <id>')
    .description('send supplementary information to the authority (Art. 33(4))')
    .requiredOption('--information <text>', 'the new information')
    .requiredOption('--by <name>', 'who provides it')
    .option('--portal-reference <ref>', 'when submitted on the portal instead of mailed')
    .action((id: string, flags: { information: string; by: string; portalReference?: string }) =>
      run(async (session) => {
        const supplement = await session.ask(id, flags.by, (handle) => handle.executeUpdate(supplementAuthorityReportUpdate, { args: [flags] }));
        say(`Supplement ${supplement.sequence} sent at ${supplement.sentAt} (${supplement.messageId ?? supplement.portalReference}).`);
      }, id),
    );
}
