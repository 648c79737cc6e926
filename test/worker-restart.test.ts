/**
 * The real worker process (`npm run worker`) is stopped with SIGTERM while it is sending the
 * authority report; it finishes that send and exits cleanly, and a new worker finishes the breach.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { afterAll, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { buildAudit } from '../audit/build-audit';
import { startSmtpSink, type SmtpSink } from '../sandbox/smtp-sink';
import { closeUpdate, placeHoldUpdate, releaseHoldUpdate, statusQuery } from '../workflows/messages/breach';
import { breachFacts, connectClient, eventually, expectHistoryReplays, startBreach, startDevEngine, testConfig, type DevEngine } from './support/engine';

const root = path.resolve(__dirname, '..');
const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function spawnWorker(configFile: string): { child: ChildProcessWithoutNullStreams; output: () => string } {
  const child = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), ['worker/main.ts', '--config', configFile], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'WARN' },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
  return { child, output: () => output };
}

function writeWorkerConfig(address: string, taskQueue: string, sink: SmtpSink): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'breach-worker-')), 'temporal.yaml');
  writeFileSync(
    file,
    stringify({
      temporal: { address, namespace: 'default', taskQueue },
      authority: { name: 'Test Authority', email: 'notices@authority.test' },
      notifications: { from: 'engine@company.test', responders: ['ir@company.test'] },
      smtp: { host: '127.0.0.1', port: sink.port },
      // The worker checks at start-up that the notice templates are there.
      individuals: { channels: ['email'], templateDir: path.resolve(__dirname, '..', 'templates') },
    }),
  );
  return file;
}

it('finishes in-flight work on SIGTERM, exits cleanly, and a new worker completes the breach', async () => {
  const address = inject('temporalAddress');
  const taskQueue = `restart-${Date.now()}`;
  const sink = await startSmtpSink();
  cleanups.push(() => sink.stop());
  // A slow SMTP server keeps the report's send in flight long enough to stop the worker mid-send.
  sink.script.acceptDelayMs = 4000;

  const first = spawnWorker(writeWorkerConfig(address, taskQueue, sink));
  await eventually(async () => first.output(), (out) => out.includes('worker polling'), 60_000);

  const { client, close } = await connectClient('restart');
  cleanups.push(close);
  const config = testConfig({ address, smtpPort: sink.port, taskQueue });
  const handle = await startBreach(client, config, breachFacts(`restart-${Date.now()}`), { risk: 'risk', rationale: 'Exposure', by: 'Ines Responder' });
  await eventually(() => handle.describe(), (d) => (d.raw.pendingActivities ?? []).some((a) => a.state === STARTED));

  first.child.kill('SIGTERM');
  const [exitCode] = await once(first.child, 'exit');
  expect(exitCode).toBe(0);
  expect(first.output()).toContain('worker stopped cleanly');
  // The send that was in flight completed before the worker exited.
  const report = await sink.waitFor((m) => m.subject.startsWith('Personal data breach notification'), 1000);

  sink.script.acceptDelayMs = 0;
  const second: DevEngine = await startDevEngine('restart-second', { taskQueue, sink });
  cleanups.push(() => second.stop());
  const status = await eventually(() => handle.query(statusQuery), (s) => s.authorityNotice !== undefined);
  expect(status.authorityNotice?.messageId).toBe(report.messageId);
  await handle.executeUpdate(placeHoldUpdate, { args: [{ agency: 'Police', caseRef: 'P-1', reason: 'Investigation', by: 'Lena Legal' }] });
  await handle.executeUpdate(releaseHoldUpdate, { args: [{ holdId: 'hold-1', reason: 'Done', by: 'Lena Legal' }] });
  await handle.executeUpdate(closeUpdate, { args: [{ by: 'Ines Responder' }] });
  expect((await handle.result()).phase).toBe('closed');
  // Every copy that reached the authority is the same notice, recognisable by its Message-ID.
  const copies = sink.messages.filter((m) => m.subject.startsWith('Personal data breach notification'));
  expect(new Set(copies.map((m) => m.messageId))).toEqual(new Set([report.messageId]));
  await expectHistoryReplays(handle, 'worker-restart');

  // The restart leaves no gap or repeat in the audit: one notice, as the authority received it.
  const audit = (await buildAudit(client, status.breachId))!;
  expect(audit.entries.map((e) => e.kind)).toEqual(['opened', 'assessed', 'authority-notified', 'hold-placed', 'hold-released', 'closed', 'workflow-completed']);
  expect(audit.entries[2]!.summary).toContain(`Message-ID ${report.messageId}`);
  expect(audit.findings).toEqual([]);
});
