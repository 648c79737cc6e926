import type { Command } from 'commander';
import { WorkflowNotFoundError } from '@temporalio/common';
import { CommandFailed, describeError } from './errors';
import { Session, type GlobalOptions } from './session';
import { warn } from './terminal';

/** Runs one command's body with a session, turning any failure into one line and an exit code. */
export type Run = (body: (session: Session) => Promise<void>, breachId?: string) => Promise<void>;

export function runner(program: Command): Run {
  return async (body, breachId) => {
    let session: Session | undefined;
    try {
      session = new Session(program.opts<GlobalOptions>());
      await body(session);
    } catch (err) {
      const { message, exitCode } = describeError(await explainNotFound(err, session, breachId), breachId);
      warn(`breach: ${message}`);
      process.exitCode = exitCode;
    } finally {
      await session?.close();
    }
  };
}

/**
 * Temporal answers "not found" both for a breach that never existed and for one that is closed;
 * the person needs to know which.
 */
async function explainNotFound(err: unknown, session: Session | undefined, breachId: string | undefined): Promise<unknown> {
  if (!(err instanceof WorkflowNotFoundError) || !session || !breachId) return err;
  try {
    const description = await (await session.breach(breachId)).describe();
    if (description.status.name !== 'RUNNING') {
      return new CommandFailed(`breach '${breachId}' is closed (${description.status.name.toLowerCase()}); no further changes are possible`);
    }
  } catch {
    // It really does not exist.
  }
  return err;
}
