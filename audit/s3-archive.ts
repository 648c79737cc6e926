import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { ConfigError } from '../config/load';
import type { S3ArchiveConfig } from '../config/schema';
import type { ArchivedAudit } from '../domain/status';
import { ArchiveError, archiveName, parseExport, type AuditArchive } from './audit-archive';
import { exportJson, type AuditExport } from './export-schema';

/**
 * One JSON object per breach in an S3 bucket (or an S3-compatible store). Each object carries the
 * export's SHA-256 as metadata (`x-amz-meta-sha256`), so an auditor can list the hashes without
 * downloading the exports.
 */
export class S3Archive implements AuditArchive {
  private readonly prefix: string;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    prefix = '',
  ) {
    this.prefix = prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix;
  }

  /** Credentials come only from the environment variables the configuration names. */
  static fromConfig(config: S3ArchiveConfig, env: NodeJS.ProcessEnv): S3Archive {
    const client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      credentials: {
        accessKeyId: requireEnv(env, config.accessKeyIdEnv, 'accessKeyIdEnv'),
        secretAccessKey: requireEnv(env, config.secretAccessKeyEnv, 'secretAccessKeyEnv'),
        sessionToken: config.sessionTokenEnv ? requireEnv(env, config.sessionTokenEnv, 'sessionTokenEnv') : undefined,
      },
    });
    return new S3Archive(client, config.bucket, config.prefix);
  }

  keyOf(breachId: string): string {
    return `${this.prefix}${archiveName(breachId)}`;
  }

  async write(report: AuditExport): Promise<ArchivedAudit> {
    const key = this.keyOf(report.breachId);
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: exportJson(report),
          ContentType: 'application/json',
          Metadata: { sha256: report.sha256 },
        }),
      );
    } catch (err) {
      throw new ArchiveError(`could not write the audit export to ${this.locationOf(key)}: ${describeS3Error(err)}`);
    }
    return { location: this.locationOf(key), sha256: report.sha256 };
  }

  async read(breachId: string): Promise<AuditExport | undefined> {
    const key = this.keyOf(breachId);
    let text: string;
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      text = (await object.Body?.transformToString('utf8')) ?? '';
    } catch (err) {
      if (isMissingObject(err)) return undefined;
      throw new ArchiveError(`could not read the audit archive at ${this.locationOf(key)}: ${describeS3Error(err)}`);
    }
    return parseExport(text, this.locationOf(key));
  }

  private locationOf(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }
}

function requireEnv(env: NodeJS.ProcessEnv, name: string, key: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`environment variable ${name} (named in temporal.yaml at audit.s3.${key}) is not set`);
  return value;
}

/** A missing object, as opposed to a missing bucket, which is a configuration error to report. */
function isMissingObject(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  return err.name === 'NoSuchKey' || (err.$metadata.httpStatusCode === 404 && err.name !== 'NoSuchBucket');
}

/** The service's error code and status, or the network error; never a request or response body. */
function describeS3Error(err: unknown): string {
  if (err instanceof S3ServiceException) return `${err.name} (HTTP ${err.$metadata.httpStatusCode ?? '?'})`;
  const { code, message } = err as NodeJS.ErrnoException;
  return code ?? (message ?? String(err)).split('\n')[0]!;
}
