import type { AuditConfig } from '../config/schema';
import type { AuditArchive } from './audit-archive';
import { FolderArchive } from './folder-archive';
import { S3Archive } from './s3-archive';

export { archivePath } from './folder-archive';
export type { AuditArchive } from './audit-archive';

/**
 * The archive temporal.yaml configures: the S3 bucket of `audit.s3` when given, else the folder
 * `audit.archiveDir`. Fails with a ConfigError naming the variable when S3 credentials are unset.
 */
export function openAuditArchive(config: AuditConfig, env: NodeJS.ProcessEnv = process.env): AuditArchive {
  return config.s3 ? S3Archive.fromConfig(config.s3, env) : new FolderArchive(config.archiveDir);
}
