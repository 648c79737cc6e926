import type { Channel } from '../domain/individuals';

/**
 * What one worker process polls: `workflows` (the breach and cohort workflows and their own
 * activities on the main task queue) and each notification channel's task queue (`fax` includes
 * its status queue). A process runs all of them by default; a deployment that outgrows one
 * process gives each group a process of its own, e.g. the email channel, whose sending needs a
 * core to itself at the top rates.
 */
export const WORKER_ROLES = ['workflows', 'email', 'fax', 'postal'] as const satisfies readonly ('workflows' | Channel)[];
export type WorkerRole = (typeof WORKER_ROLES)[number];

/** Reads `--queues workflows,email`; an unknown or repeated name is an error that names it. */
export function parseWorkerRoles(text: string): WorkerRole[] {
  const names = text.split(',').map((name) => name.trim());
  const roles: WorkerRole[] = [];
  for (const name of names) {
    if (!(WORKER_ROLES as readonly string[]).includes(name)) {
      throw new Error(`unknown worker queue ${JSON.stringify(name)} in --queues; expected a comma-separated list of ${WORKER_ROLES.join(', ')}`);
    }
    if (roles.includes(name as WorkerRole)) throw new Error(`worker queue ${JSON.stringify(name)} is named twice in --queues`);
    roles.push(name as WorkerRole);
  }
  return roles;
}
