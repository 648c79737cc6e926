import { ServiceError, WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { ConfigError } from '../config/load';

/** Bad input from the person at the keyboard: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A request the engine refused or could not carry out: exit code 1. */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** One line a person can act on, and the exit code; never a stack trace. */
export function describeError(err: unknown, breachId?: string): { message: string; exitCode: number } {
  const subject = breachId ? `breach '${breachId}'` : 'the breach';
  if (err instanceof UsageError) return { message: err.message, exitCode: EXIT_USAGE };
  if (err instanceof CommandFailed) return { message: err.message, exitCode: EXIT_FAILED };
  if (err instanceof ConfigError) return { message: err.message, exitCode: EXIT_USAGE };
  if (err instanceof WorkflowUpdateFailedError) {
    return { message: `rejected: ${err.cause?.message ?? err.message}`, exitCode: EXIT_FAILED };
  }
  if (err instanceof WorkflowNotFoundError) return { message: `no open ${subject} found`, exitCode: EXIT_FAILED };
  if (err instanceof ServiceError) return { message: `Temporal refused the request: ${firstLine(err.cause?.message ?? err.message)}`, exitCode: EXIT_FAILED };
  return { message: firstLine(err instanceof Error ? err.message : String(err)), exitCode: EXIT_FAILED };
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
