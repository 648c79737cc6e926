import { Command, CommanderError } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../config/load';
import { registerAssess } from './commands/assess';
import { registerAudit } from './commands/audit';
import { registerBounce } from './commands/bounce';
import { registerAuthority } from './commands/authority';
import { registerClose } from './commands/close';
import { registerHoldList, registerHolds } from './commands/holds';
import { registerList } from './commands/list';
import { registerNotice } from './commands/notice';
import { registerDashboard } from './commands/dashboard';
import { registerObligations } from './commands/obligations';
import { registerRecovery } from './commands/recovery';
import { registerStart } from './commands/start';
import { registerStatus } from './commands/status';
import { registerSubjects } from './commands/subjects';
import { EXIT_OK, EXIT_USAGE } from './errors';
import { runner } from './run';
import { addHelp } from './help-examples';

export function buildProgram(): Command {
  const program = new Command('breach')
    .description('Breach-notification engine: open breaches, assess them, hold and release notices, follow the deadline.')
    .option('--config <file>', 'configuration file', process.env.BREACH_CONFIG ?? DEFAULT_CONFIG_PATH)
    .option('--address <host:port>', 'Temporal address (overrides the configuration)')
    .option('--namespace <ns>', 'Temporal namespace (overrides the configuration)')
    // Set before the subcommands are added so that they inherit it.
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.split('\n')[0] + '\n') });
  const run = runner(program);
  registerStart(program, run);
  registerAssess(program, run);
  registerAuthority(program, run);
  registerHolds(program, run);
  registerHoldList(program, run);
  registerObligations(program, run);
  registerNotice(program, run);
  registerDashboard(program, run);
  registerStatus(program, run);
  registerSubjects(program, run);
  registerList(program, run);
  registerAudit(program, run);
  registerBounce(program, run);
  registerRecovery(program, run);
  registerClose(program, run);
  addHelp(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      return;
    }
    throw err;
  }
}
