import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { connectionSettings } from '../config/connection';
import { loadConfig } from '../config/load';
import type { EngineConfig } from '../config/schema';
import { breachWorkflowId } from '../domain/breach';

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
    const settings = connectionSettings(this.config.temporal);
    try {
      this.connection ??= await Connection.connect({ ...settings, connectTimeout: '5 seconds' });
    } catch (err) {
      throw new Error(`cannot reach Temporal at ${settings.address}: ${(err as Error).message.split('\n')[0]}`);
    }
    return new Client({ connection: this.connection, namespace: this.config.temporal.namespace, identity: identityOf(actor) });
  }

  async breach(breachId: string, actor?: string) {
    return (await this.client(actor)).workflow.getHandle(breachWorkflowId(breachId));
  }

  async close(): Promise<void> {
    await this.connection?.close();
  }
}

function identityOf(actor: string | undefined): string {
  return `${actor?.trim() || os.userInfo().username} via breach CLI@${os.hostname()}`;
}
