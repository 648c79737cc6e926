/**
 * Bounces that arrive by themselves. A real Postfix (Debian's package, on loopback) relays the
 * engine's notices; the recipients' server refuses one of them after Postfix has accepted it, and
 * Postfix's own delivery status notification goes to the notice's return path, whose domain
 * Postfix routes to the bounce intake: the person moves on to fax long before the bounce window
 * ends. DSNs of other MTAs, delays and auto-replies are sent to the intake directly.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAudit } from '../audit/build-audit';
import { startBounceIntake, type BounceIntake } from '../bounces/intake';
import { cohortWorkflowId, noticeReturnPath } from '../domain/ids';
import { startLobSandbox, type LobSandbox } from '../sandbox/lob-sandbox';
import { startPostfix, type Postfix } from '../sandbox/postfix';
import { startSmtpSink, type SmtpSink } from '../sandbox/smtp-sink';
import { startTelnyxSandbox, type TelnyxSandbox } from '../sandbox/telnyx-sandbox';
import { assessUpdate } from '../workflows/messages/breach';
import { subjectQuery } from '../workflows/messages/cohort';
import { sandboxChannels, sandboxEnv, writeRoster } from './support/cascade';
import { breachFacts, connectClient, eventually, startBreach, startDevEngine, type DevEngine } from './support/engine';

const RETURN_PATH = 'bounces+{notice}@bounce.test';
const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-bounces-'));
const breachId = `bounces-${Date.now()}`;
const intakeLog: string[] = [];
let recipients: SmtpSink;
let intake: BounceIntake;
let postfix: Postfix;
let telnyx: TelnyxSandbox;
let lob: LobSandbox;
let engine: DevEngine;
let closeClient: () => Promise<void>;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const subject = (subjectId: string) => engine.client.workflow.getHandle(cohortWorkflowId(breachId, 0)).query(subjectQuery, subjectId);
const returnPathOf = (subjectId: string) => noticeReturnPath(RETURN_PATH, { breachId, cohort: 0, subjectId });

/** Hands a message to the intake as an MTA would, to the given envelope recipient. */
async function deliverToIntake(raw: Buffer, to: string): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: intake.port, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ envelope: { from: 'mailer-daemon@relay.test', to: [to] }, raw });
  } finally {
    transport.close();
  }
}

beforeAll(async () => {
  recipients = await startSmtpSink();
  // The recipients' server refuses Uma's mailbox; Postfix has already accepted her notice by then.
  recipients.script.refusals.push({ code: 550, when: (to) => to.includes('uma@example.org') });
  const connected = await connectClient('bounce intake');
  closeClient = connected.close;
  intake = await startBounceIntake({ client: connected.client, returnPath: RETURN_PATH, host: '127.0.0.1', port: 0, maxMessageBytes: 1_000_000, log: (line) => intakeLog.push(line) });
  postfix = await startPostfix({ port: await freePort(), relayPort: recipients.port, domainPorts: { 'bounce.test': intake.port } });
  telnyx = await startTelnyxSandbox({ stepMs: 50 });
  lob = await startLobSandbox();
  engine = await startDevEngine('bounces', {
    sink: recipients,
    env: sandboxEnv(telnyx, lob),
    configure(config) {
      config.smtp.port = postfix.port;
      config.smtp.returnPath = RETURN_PATH;
      // A long bounce window: only the DSN can move anyone on within the test.
      config.individuals = { ...config.individuals, channels: ['email', 'fax'], bounceWindow: '10 minutes', fallbackDelay: '200ms', faxPollInterval: '200ms', cohortSize: 10 };
      config.channels = { fax: sandboxChannels(telnyx, lob).fax };
    },
  });
});

afterAll(async () => {
  await engine?.stop();
  await postfix?.stop();
  await intake?.stop();
  await closeClient?.();
  await recipients?.stop();
  await telnyx?.stop();
  await lob?.stop();
});

describe('the bounce intake', () => {
  it("moves a person on to fax when the relay's own DSN comes back to the notice's return path", async () => {
    const people = await writeRoster(dir, 'roster', ['b-uma,Uma Bounce,uma@example.org,+13125550177,,,,,,,en', 'b-vic,Vic Fine,vic@example.org,+13125550178,,,,,,,en']);
    const handle = await startBreach(engine.client, engine.config, breachFacts(breachId), undefined, people);
    await handle.executeUpdate(assessUpdate, { args: [{ risk: 'high', rationale: 'Passwords exposed', by: 'Ines Responder' }] });

    // Vic's notice reaches his server through Postfix, sent from his notice's own return path.
    const vic = await recipients.waitFor((m) => m.to.includes('vic@example.org'), 30_000);
    expect(vic.envelopeFrom).toBe(returnPathOf('b-vic'));

    const uma = await eventually(() => subject('b-uma'), (view) => view?.state === 'notified-fax', 60_000).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}\npostfix log:\n${readFileSync(postfix.logFile, 'utf8')}`);
    });
    const bounced = uma!.attempts.find((a) => a.outcome === 'bounced');
    expect(bounced?.reason).toMatch(/^delivery status notification: failed, status 5\.\d+\.\d+ reported by relay\.sandbox\.test \(dsn\)$/);
    expect((await subject('b-vic'))?.state).toBe('awaiting-report');

    expect(intakeLog.map((line) => JSON.parse(line))).toContainEqual(expect.objectContaining({ kind: 'dsn', notice: `${breachId}~0~b-uma`, action: 'failed', result: 'reported' }));
    // Postfix's DSN quotes Uma's address; nothing of it reaches the log or the audit.
    expect(intakeLog.join('\n')).not.toContain('@example.org');
    const audit = await buildAudit(engine.client, breachId, 'b-uma');
    expect(audit!.entries.find((e) => e.kind === 'email-report')?.summary).toMatch(/^delivery report: delivery status notification: failed, status 5\.\d+\.\d+ reported by relay\.sandbox\.test \(from dsn\)$/);
    expect(JSON.stringify(audit)).not.toContain('uma@example.org');
  });

  it('records a delay without moving anyone, drops auto-replies and reports for no notice of ours, and refuses other recipients', async () => {
    const fixture = (name: string) => readFileSync(path.join(__dirname, 'fixtures', 'dsn', name));
    await eventually(() => subject('b-vic'), (view) => view?.state === 'awaiting-report');

    await deliverToIntake(fixture('sendmail-delayed-4.x.eml'), returnPathOf('b-vic'));
    const delayed = await eventually(() => subject('b-vic'), (view) => view!.attempts.some((a) => a.outcome === 'delayed'));
    expect(delayed!.state).toBe('awaiting-report');
    expect(delayed!.attempts.find((a) => a.outcome === 'delayed')?.reason).toBe('delivery status notification: delayed, status 4.5.0 reported by neko.example.jp (dsn)');

    await deliverToIntake(fixture('autoreply.eml'), returnPathOf('b-vic'));
    await deliverToIntake(fixture('exim-5.x.eml'), 'bounces+nobody~0~nobody@bounce.test');
    await eventually(async () => intakeLog.map((line) => JSON.parse(line)), (lines) => lines.some((l) => l.kind === 'auto-reply') && lines.some((l) => l.notice === 'nobody~0~nobody'));
    const lines = intakeLog.map((line) => JSON.parse(line));
    expect(lines.find((l) => l.kind === 'auto-reply')?.result).toBe('dropped: not a delivery status notification');
    expect(lines.find((l) => l.notice === 'nobody~0~nobody')?.result).toBe('dropped: no cohort for this notice');
    expect((await subject('b-vic'))?.state).toBe('awaiting-report');

    // The intake is no relay: an address that is not a return path of ours is refused at RCPT.
    await expect(deliverToIntake(fixture('exim-5.x.eml'), 'someone@bounce.test')).rejects.toThrow(/550/);
  });
});
