import type { Command } from 'commander';
import { describeError } from './errors';
import { Session, type GlobalOptions } from './session';

/** Runs one command's body with a session, turning any failure into one line and an exit code. */
export type Run = (body: (session: Session) => Promise<void>, breachId?: string) => Promise<void>;

export function runner(program: Command): Run {
  return async (body, breachId) => {
    let session: Session | undefined;
    try {
      session = new Session(program.opts<GlobalOptions>());
      await body(session);
    } catch (err) {
      const { message, exitCode } = describeError(err, breachId);
      console.error(`breach: ${message}`);
      process.exitCode = exitCode;
    } finally {
      await session?.close();
    }
  };
}
