/**
 * The audit archive in an object store: the real AWS SDK against moto's S3-compatible server, and
 * a breach whose export the worker writes to the bucket and `breach audit` reads back once
 * Temporal has deleted the history.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openAuditArchive } from '../audit/archive';
import { ArchiveError } from '../audit/audit-archive';
import { entriesSha256, type AuditExport } from '../audit/export-schema';
import { ConfigError } from '../config/load';
import type { S3ArchiveConfig } from '../config/schema';
import { breachWorkflowId } from '../domain/ids';
import { startS3Server, type S3Server } from '../sandbox/s3-server';
import { assessUpdate, closeUpdate, statusQuery } from '../workflows/messages/breach';
import { breachFacts, eventually, startBreach, startDevEngine, type DevEngine } from './support/engine';

const root = path.resolve(__dirname, '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-archive-s3-'));
const bucket = 'breach-audit';
// Variable names of our own, to show that the configuration's names are the ones read.
const credentials = { ARCHIVE_KEY_ID: 'archive-writer', ARCHIVE_SECRET: 'archive-secret' };
let server: S3Server;
let s3: S3Client;

function s3Config(overrides: Partial<S3ArchiveConfig> = {}): S3ArchiveConfig {
  return {
    bucket,
    prefix: 'breaches',
    region: 'eu-central-1',
    endpoint: server.endpoint,
    forcePathStyle: true,
    accessKeyIdEnv: 'ARCHIVE_KEY_ID',
    secretAccessKeyEnv: 'ARCHIVE_SECRET',
    ...overrides,
  };
}

function exportOf(breachId: string): AuditExport {
  const entries = [{ at: '2026-11-01T10:00:00.000Z', kind: 'opened', summary: `breach ${breachId} opened`, runId: 'run-1', eventId: '1' }];
  return { schema: 'breach-audit/v1', breachId, workflowId: breachWorkflowId(breachId), runIds: ['run-1'], entries, findings: [], sha256: entriesSha256(entries) };
}

beforeAll(async () => {
  server = await startS3Server();
  s3 = new S3Client({ region: 'eu-central-1', endpoint: server.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
  await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
});

afterAll(async () => {
  s3?.destroy();
  await server?.stop();
});

describe('S3 archive through the real SDK', () => {
  it('writes a JSON object with the export hash as metadata and reads it back', async () => {
    const archive = openAuditArchive({ archiveDir: 'unused', s3: s3Config() }, credentials);
    const report = exportOf('round-trip');
    expect(await archive.write(report)).toEqual({ location: `s3://${bucket}/breaches/round-trip.audit.json`, sha256: report.sha256 });

    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'breaches/round-trip.audit.json' }));
    expect(head.ContentType).toBe('application/json');
    expect(head.Metadata).toEqual({ sha256: report.sha256 });
    expect(await archive.read('round-trip')).toEqual(report);
  });

  it('keeps a breach id with slashes inside the prefix', async () => {
    const archive = openAuditArchive({ archiveDir: 'unused', s3: s3Config({ prefix: 'audit/' }) }, credentials);
    expect((await archive.write(exportOf('../x/y'))).location).toBe(`s3://${bucket}/audit/..%2Fx%2Fy.audit.json`);
    expect((await archive.read('../x/y'))?.breachId).toBe('../x/y');
  });

  it('answers undefined for a breach it does not hold, and fails clearly for a missing bucket', async () => {
    const archive = openAuditArchive({ archiveDir: 'unused', s3: s3Config() }, credentials);
    expect(await archive.read('never-archived')).toBeUndefined();

    const noBucket = openAuditArchive({ archiveDir: 'unused', s3: s3Config({ bucket: 'no-such-bucket' }) }, credentials);
    const failure = noBucket.read('never-archived');
    await expect(failure).rejects.toBeInstanceOf(ArchiveError);
    await expect(failure).rejects.toThrow('could not read the audit archive at s3://no-such-bucket/breaches/never-archived.audit.json: NoSuchBucket (HTTP 404)');
  });

  it('refuses to open without the credentials the configuration names', () => {
    expect(() => openAuditArchive({ archiveDir: 'unused', s3: s3Config() }, { ARCHIVE_KEY_ID: 'x' })).toThrow(ConfigError);
    expect(() => openAuditArchive({ archiveDir: 'unused', s3: s3Config() }, { ARCHIVE_KEY_ID: 'x' })).toThrow(
      'environment variable ARCHIVE_SECRET (named in temporal.yaml at audit.s3.secretAccessKeyEnv) is not set',
    );
  });
});

describe('a worker with the S3 archive', () => {
  let engine: DevEngine;
  let configFile: string;
  const breachId = `s3-archive-${Date.now()}`;

  function breach(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) =>
      execFile(path.join(root, 'bin', 'breach'), ['--config', configFile, ...args], { cwd: dir, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
      ),
    );
  }

  beforeAll(async () => {
    engine = await startDevEngine('archive-s3', {
      env: credentials,
      configure(config) {
        config.individuals = { ...config.individuals, channels: ['email'] };
        config.audit = { archiveDir: config.audit.archiveDir, s3: s3Config() };
      },
    });
    configFile = path.join(dir, 'temporal.yaml');
    writeFileSync(configFile, stringify(engine.config));
  });

  afterAll(async () => {
    await engine?.stop();
  });

  it('archives the export in the bucket on close, and `breach audit` reads it there once the history is deleted', async () => {
    const handle = await startBreach(engine.client, engine.config, breachFacts(breachId));
    await handle.executeUpdate(assessUpdate, { args: [{ risk: 'risk', rationale: 'Salary data exposed', by: 'Ines Responder' }] });
    await eventually(() => handle.query(statusQuery), (s) => s.authorityNotice !== undefined);
    await handle.executeUpdate(closeUpdate, { args: [{ by: 'Ines Responder' }] });
    const summary = await handle.result();

    const key = `breaches/${breachId}.audit.json`;
    expect(summary.archive).toEqual({ location: `s3://${bucket}/${key}`, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const archived = JSON.parse(await object.Body!.transformToString()) as AuditExport;
    expect(object.Metadata).toEqual({ sha256: archived.sha256 });
    expect(archived.breachId).toBe(breachId);
    expect(archived.entries.map((e) => e.kind)).toEqual(expect.arrayContaining(['opened', 'assessed', 'authority-notified', 'closed']));
    expect(summary.archive).toMatchObject({ sha256: archived.sha256 });

    // What the namespace's retention period does to a closed workflow.
    await engine.client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: handle.workflowId } });
    await eventually(
      () => handle.describe().then(() => 'present', () => 'gone'),
      (state) => state === 'gone',
      // The dev server deletes through a system workflow, which takes tens of seconds on a busy machine.
      90_000,
    );
    const result = await eventually(() => breach(credentials, 'audit', breachId, '--format', 'json'), (r) => r.stderr.includes('from the archive'));
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(archived);

    const withoutCredentials = await breach({ ARCHIVE_KEY_ID: '', ARCHIVE_SECRET: '' }, 'audit', breachId);
    expect(withoutCredentials.code).toBe(2);
    expect(withoutCredentials.stderr.trim()).toBe('breach: environment variable ARCHIVE_KEY_ID (named in temporal.yaml at audit.s3.accessKeyIdEnv) is not set');
  }, 240_000);
});
