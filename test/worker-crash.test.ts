/**
 * The real worker processes, deployed as two (the workflows, faxes and letters in one, the email
 * channel in another, `--queues`), are killed with SIGKILL several times during a 1,000-person
 * cascade with all three tiers: both at once, then each alone. Every person ends final, nobody
 * gets a second fax or letter, and emails are only ever resent with the same Message-ID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { noticeMessageId } from '../domain/ids';
import type { WorkerRole } from '../worker/roles';
import { startLobSandbox } from '../sandbox/lob-sandbox';
import { startSmtpSink } from '../sandbox/smtp-sink';
import { startTelnyxSandbox } from '../sandbox/telnyx-sandbox';
import { assessUpdate, statusQuery } from '../workflows/messages/breach';
import { sandboxChannels, sandboxEnv, writeRoster } from './support/cascade';
import { breachFacts, connectClient, eventually, startBreach, testConfig } from './support/engine';

const root = path.resolve(__dirname, '..');
const PEOPLE = 1000;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** The worker in a process group of its own, so SIGKILL reaches the node process tsx starts, not only tsx. */
function spawnWorker(configFile: string, env: NodeJS.ProcessEnv, queues: readonly WorkerRole[]): ChildProcess {
  const child = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), ['worker/main.ts', '--config', configFile, '--queues', queues.join(',')], { cwd: root, env: { ...process.env, ...env, LOG_LEVEL: 'ERROR' }, detached: true, stdio: 'ignore' });
  cleanups.push(() => killGroup(child));
  return child;
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

const PROCESSES: readonly (readonly WorkerRole[])[] = [['workflows', 'fax', 'postal'], ['email']];
/** Which processes each kill takes down: both, then the email process, then the other. */
const KILLS = [[0, 1], [1], [0]];

it('survives kill -9 of the worker processes mid-cascade: everyone final, no second fax or letter, resent emails keep their Message-ID', async () => {
  const address = inject('temporalAddress');
  const sink = await startSmtpSink();
  const telnyx = await startTelnyxSandbox({ stepMs: 100 });
  const lob = await startLobSandbox();
  cleanups.push(() => sink.stop(), () => telnyx.stop(), () => lob.stop());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-crash-'));
  const breachId = `crash-${Date.now()}`;

  // 80% email; 10% whose email is refused (550), then fax; 10% without email whose fax fails, then a letter.
  const rows = Array.from({ length: PEOPLE }, (_, i) => {
    const four = String(i).padStart(4, '0');
    if (i % 10 < 8) return `c${i},Person ${i},p${i}@example.org,,,,,,,,en`;
    if (i % 10 === 8) return `c${i},Person ${i},refuse${i}@example.org,+1312555${four},,,,,,,en`;
    telnyx.script.failNumbers.add(`+1415555${four}`);
    return `c${i},Person ${i},,+1415555${four},210 King St,,San Francisco,CA,94107,US,en`;
  });
  sink.script.refusals.push({ code: 550, when: (to) => to.some((t) => t.startsWith('refuse')) });
  sink.script.acceptDelayMs = 5;
  const roster = await writeRoster(dir, 'crash', rows);

  const taskQueue = `crash-${Date.now()}`;
  const config = testConfig({ address, smtpPort: sink.port, taskQueue });
  config.individuals = { ...config.individuals, channels: ['email', 'fax', 'postal'], bounceWindow: '3 seconds', faxPollInterval: '500ms', fallbackDelay: '500ms', cohortSize: 100, batchSize: 25, sendingCohorts: 4 };
  config.channels = sandboxChannels(telnyx, lob);
  const configFile = path.join(dir, 'temporal.yaml');
  writeFileSync(configFile, stringify(config));
  const env = sandboxEnv(telnyx, lob);

  const workers = PROCESSES.map((queues) => spawnWorker(configFile, env, queues));
  const { client, close } = await connectClient('crash');
  cleanups.push(close);
  const handle = await startBreach(client, config, breachFacts(breachId), undefined, roster);
  await handle.executeUpdate(assessUpdate, { args: [{ risk: 'high', rationale: 'Exposure', by: 'Ines Responder' }] });

  // Kill worker processes three times while the tiers run, each time once more work has been done.
  const progress = () => sink.messages.length + telnyx.faxes.length + lob.letters.length;
  for (const kill of KILLS) {
    const before = progress();
    await eventually(async () => progress(), (n) => n >= before + 60, 120_000);
    for (const p of kill) {
      killGroup(workers[p]!);
      workers[p] = spawnWorker(configFile, env, PROCESSES[p]!);
    }
  }

  const status = await eventually(() => handle.query(statusQuery), (s) => s.phase === 'individuals-notified', 240_000);
  expect(status.individuals).toEqual({ pending: 0, inProgress: 0, sending: 0, awaitingReports: 0, notifiedByEmail: 800, notifiedByFax: 100, notifiedByPostal: 100, unreachable: 0 });

  // No second fax: one fax per correlation id (the 100 refused-email people and the 100 failing faxes).
  const faxStates = telnyx.faxes.map((f) => f.clientState);
  expect(faxStates).toHaveLength(200);
  expect(new Set(faxStates).size).toBe(200);
  // No second letter: Lob made one letter per idempotency key.
  expect(lob.letters).toHaveLength(100);
  expect(new Set(lob.letters.map((l) => l.idempotencyKey)).size).toBe(100);
  // Every copy of an email carries its person's one Message-ID.
  const notices = sink.messages.filter((m) => m.messageId.startsWith(`<notice.${breachId}~`));
  for (const mail of notices) {
    const i = Number(/^p(\d+)@/.exec(mail.to[0]!)![1]);
    expect(mail.messageId).toBe(noticeMessageId({ breachId, cohort: Math.floor(i / 100), subjectId: `c${i}` }, 'company.test'));
  }
  expect(new Set(notices.map((m) => m.messageId)).size).toBe(800);
}, 420_000);
