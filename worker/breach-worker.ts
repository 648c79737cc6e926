import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createMailActivities } from '../activities/mail-activities';
import type { MailTransport } from '../activities/smtp';
import type { EngineConfig } from '../config/schema';

export interface BreachWorkerDeps {
  config: EngineConfig;
  connection: NativeConnection;
  transport: MailTransport;
  /** A pre-built bundle (tests build it once); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export function breachWorkflowsPath(): string {
  return path.join(__dirname, '..', 'workflows', 'index.ts');
}

/**
 * The worker that runs breach workflows and their mail activities. On shutdown it stops polling
 * and gives running activities time to finish; whatever does not finish is retried by the next
 * worker, because Temporal still holds the task.
 */
export function createBreachWorker({ config, connection, transport, workflowBundle }: BreachWorkerDeps): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: breachWorkflowsPath() }),
    activities: createMailActivities(config, transport),
    shutdownGraceTime: '30 seconds',
  });
}
