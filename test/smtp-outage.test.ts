/**
 * Our SMTP relay goes down in the middle of a cascade: nobody is marked unreachable for it, the
 * status says the email channel is failing and since when, and the tier resumes when the relay is back.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSmtpSink, type SmtpSink } from '../sandbox/smtp-sink';
import { assessUpdate, statusQuery } from '../workflows/messages/breach';
import { writeRoster } from './support/cascade';
import { breachFacts, eventually, startBreach, startDevEngine, type DevEngine } from './support/engine';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PEOPLE = 300;
let sink: SmtpSink;
let engine: DevEngine;

beforeAll(async () => {
  sink = await startSmtpSink();
  engine = await startDevEngine('outage', {
    sink,
    configure(config) {
      config.individuals = { ...config.individuals, channels: ['email'], bounceWindow: '2 seconds', cohortSize: 100, batchSize: 20, sendingCohorts: 3, maxPerSecond: { email: 60, fax: 10, postal: 20 } };
    },
  });
});

afterAll(async () => {
  await engine?.stop();
  await sink?.stop();
});

it('retries through an SMTP outage without marking anyone unreachable, and says the channel is failing', async () => {
  const breachId = `outage-${Date.now()}`;
  const rows = Array.from({ length: PEOPLE }, (_, i) => `o-${i},Person ${i},p${i}@example.org,,,,,,,,en`);
  const roster = await writeRoster(mkdtempSync(path.join(os.tmpdir(), 'breach-outage-')), 'outage', rows);
  const handle = await startBreach(engine.client, engine.config, breachFacts(breachId), undefined, roster);
  await handle.executeUpdate(assessUpdate, { args: [{ risk: 'high', rationale: 'Exposure', by: 'Ines Responder' }] });
  const notices = () => new Set(sink.messages.filter((m) => m.messageId.startsWith(`<notice.${breachId}~`)).map((m) => m.messageId)).size;
  await eventually(async () => notices(), (n) => n >= 30, 30_000);

  const port = sink.port;
  await sink.stop();
  const down = Date.now();
  const failing = await eventually(() => handle.query(statusQuery), (s) => s.channelFailures.some((f) => f.channel === 'email'), 60_000);
  const failure = failing.channelFailures.find((f) => f.channel === 'email')!;
  expect(Date.parse(failure.since)).toBeGreaterThanOrEqual(down - 1000);
  expect(failure.reason).toMatch(/SMTP delivery failed/);
  expect(failing.individuals.unreachable).toBe(0);

  const back = await startSmtpSink(port);
  cleanupSink(back);
  const done = await eventually(() => handle.query(statusQuery), (s) => s.phase === 'individuals-notified', 180_000);
  expect(done.individuals).toMatchObject({ notifiedByEmail: PEOPLE, unreachable: 0 });
  expect(done.channelFailures).toEqual([]);
}, 300_000);

function cleanupSink(extra: SmtpSink): void {
  afterAll(() => extra.stop());
}
