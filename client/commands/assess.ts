import type { Command } from 'commander';
import { assessmentSchema } from '../breach-file';
import { UsageError } from '../errors';
import type { Run } from '../run';
import { assessUpdate } from '../../workflows/messages/breach';
import { say } from '../terminal';

export function registerAssess(program: Command, run: Run): void {
  program
    .command('assess <id>')
    .description('record the risk assessment: unlikely (document only), risk (notify the authority), high (and individuals)')
    .requiredOption('--risk <level>', 'unlikely|risk|high')
    .requiredOption('--rationale <text>', 'why')
    .requiredOption('--by <name>', 'who assessed')
    .action((id: string, flags: { risk: string; rationale: string; by: string }) =>
      run(async (session) => {
        const parsed = assessmentSchema.safeParse(flags);
        if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `--${i.path.join('.')} ${i.message}`).join('; '));
        const assessment = await session.ask(id, flags.by, (handle) => handle.executeUpdate(assessUpdate, { args: [parsed.data] }));
        say(`Breach ${id} assessed as '${assessment.risk}' by ${assessment.by} at ${assessment.at}.`);
      }, id),
    );
}
