import { Client, Connection } from '@temporalio/client';
import { writeArchive } from '../audit/archive';
import { buildAudit } from '../audit/build-audit';
import { connectionSettings } from '../config/connection';
import type { EngineConfig } from '../config/schema';

/** Archives a closing breach's audit export, read from Temporal's history like `breach audit`. */
export function createArchiveActivities(config: EngineConfig) {
  let client: Promise<Client> | undefined;
  const connect = async () => new Client({ connection: await Connection.connect(connectionSettings(config.temporal)), namespace: config.temporal.namespace });

  return {
    async archiveAudit({ breachId }: { breachId: string }): Promise<{ file: string; sha256: string }> {
      client ??= connect();
      const report = await buildAudit(await client, breachId);
      if (!report) throw new Error('the breach history could not be read');
      return { file: writeArchive(config.audit.archiveDir, report), sha256: report.sha256 };
    },
  };
}

export type ArchiveActivities = ReturnType<typeof createArchiveActivities>;
