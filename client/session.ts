import os from 'node:os';
import { Client, Connection, ServiceError, type WorkflowHandle } from '@temporalio/client';
import { connectionSettings } from '../config/connection';
import { loadConfig } from '../config/load';
import type { EngineConfig } from '../config/schema';
import { breachWorkflowId } from '../domain/ids';
import type { BreachWorkflow } from '../workflows/breach';
import { CommandFailed } from './errors';

type BreachHandle = WorkflowHandle<typeof BreachWorkflow>;

/** How long a command waits for a worker to answer; BREACH_CLI_TIMEOUT_SECONDS changes it. */
export const WORKER_ANSWER_SECONDS = Number(process.env.BREACH_CLI_TIMEOUT_SECONDS) || 30;

export interface GlobalOptions {
  config: string;
  address?: string;
  namespace?: string;
}

/**
 * What every command needs: the validated configuration and a Temporal client whose identity
 * names the person acting, so Temporal's own history shows who asked for each change.
 */
export class Session {
  private connection?: Connection;
  readonly config: EngineConfig;

  constructor(options: GlobalOptions) {
    this.config = loadConfig(options.config);
    if (options.address) this.config.temporal.address = options.address;
    if (options.namespace) this.config.temporal.namespace = options.namespace;
  }

  async client(actor?: string): Promise<Client> {
    try {
      // The settings read the TLS files, so they are built only for the first connection.
      this.connection ??= await Connection.connect({ ...connectionSettings(this.config.temporal), connectTimeout: '5 seconds' });
    } catch (err) {
      throw new Error(`cannot reach Temporal at ${this.config.temporal.address}: ${(err as Error).message.split('\n')[0]}`);
    }
    return new Client({ connection: this.connection, namespace: this.config.temporal.namespace, identity: identityOf(actor) });
  }

  async breach(breachId: string, actor?: string) {
    return (await this.client(actor)).workflow.getHandle(breachWorkflowId(breachId));
  }

  /**
   * Runs a query or update on a breach with a deadline: they need a worker to answer, and a CLI
   * that waits forever for one that is not running helps nobody.
   */
  ask<R>(breachId: string, actor: string | undefined, request: (handle: BreachHandle) => Promise<R>): Promise<R> {
    return this.withWorker(actor, (client) => request(client.workflow.getHandle<typeof BreachWorkflow>(breachWorkflowId(breachId))));
  }

  /**
   * Runs requests that need a worker's answer (queries, updates, on any of the breach's
   * workflows) under one deadline; whatever fails once it has passed is reported as no worker.
   */
  async withWorker<R>(actor: string | undefined, request: (client: Client) => Promise<R>): Promise<R> {
    const client = await this.client(actor);
    const deadline = Date.now() + WORKER_ANSWER_SECONDS * 1000;
    try {
      return await client.withDeadline(deadline, () => request(client));
    } catch (err) {
      if (Date.now() < deadline && !noPollerAnswered(err)) throw err;
      throw new CommandFailed(
        `no worker answered within ${WORKER_ANSWER_SECONDS} s; is a worker running for this task queue (npm run worker)? ` +
          'A change may still be applied once one runs; check with breach status',
      );
    }
  }

  /** The breach's workflow in the Temporal Web UI. */
  webUiLink(breachId: string): string {
    const { webUiUrl, namespace } = this.config.temporal;
    return `${webUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(breachWorkflowId(breachId))}`;
  }

  async close(): Promise<void> {
    await this.connection?.close();
  }
}

/** gRPC's FAILED_PRECONDITION: Temporal's answer to a query no worker has polled for recently. */
const FAILED_PRECONDITION = 9;

function noPollerAnswered(err: unknown): boolean {
  const cause = (err instanceof ServiceError ? err.cause : err) as { code?: number; message?: string } | undefined;
  return cause?.code === FAILED_PRECONDITION && /poller|worker/i.test(cause.message ?? '');
}

function identityOf(actor: string | undefined): string {
  return `${actor?.trim() || os.userInfo().username} via breach CLI@${os.hostname()}`;
}
