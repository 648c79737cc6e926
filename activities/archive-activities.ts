import { Client, Connection } from '@temporalio/client';
import { openAuditArchive } from '../audit/archive';
import { buildAudit } from '../audit/build-audit';
import { connectionSettings } from '../config/connection';
import type { EngineConfig } from '../config/schema';
import type { ArchivedAudit } from '../domain/status';

/**
 * Archives a closing breach's audit export, read from Temporal's history like `breach audit`.
 * The archive is opened when the worker starts, so missing credentials stop the worker at once
 * instead of failing the first breach that closes.
 */
export function createArchiveActivities(config: EngineConfig, env: NodeJS.ProcessEnv = process.env) {
  const archive = openAuditArchive(config.audit, env);
  let client: Promise<Client> | undefined;
  const connect = async () => new Client({ connection: await Connection.connect(connectionSettings(config.temporal)), namespace: config.temporal.namespace });

  return {
    async archiveAudit({ breachId }: { breachId: string }): Promise<ArchivedAudit> {
      client ??= connect();
      const report = await buildAudit(await client, breachId);
      if (!report) throw new Error('the breach history could not be read');
      return archive.write(report);
    },
  };
}

export type ArchiveActivities = ReturnType<typeof createArchiveActivities>;
