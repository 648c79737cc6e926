/**
 * Mail-provider events through the webhook receiver, on the dev server: SendGrid's Event Webhook
 * (batches signed with a real ECDSA P-256 key, verified by SendGrid's own library) and Amazon SES
 * notifications through SNS (signed with a real RSA key the way SNS signs, with the certificate
 * served by a local stand-in for SNS's certificate and subscription URLs). A permanent bounce
 * moves the person on to fax; a transient one and a complaint are recorded and move nobody;
 * forged, stale and replayed events, a foreign topic and a certificate URL off SNS are refused.
 */
import { createSign, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cohortWorkflowId, noticeId, noticeMessageId } from '../domain/ids';
import { startLobSandbox, type LobSandbox } from '../sandbox/lob-sandbox';
import { startTelnyxSandbox, type TelnyxSandbox } from '../sandbox/telnyx-sandbox';
import { startWebhookServer, type WebhookServer } from '../webhooks/server';
import { assessUpdate } from '../workflows/messages/breach';
import { subjectQuery } from '../workflows/messages/cohort';
import { sandboxChannels, sandboxEnv, writeRoster } from './support/cascade';
import { breachFacts, eventually, startBreach, startDevEngine, type DevEngine } from './support/engine';

const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-mail-webhooks-'));
const breachId = `mail-wh-${Date.now()}`;
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ses-bounces';
const sendgridKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const snsKey = readFileSync(path.join(__dirname, 'fixtures', 'sns', 'signing-key.pem'), 'utf8');
const snsCert = readFileSync(path.join(__dirname, 'fixtures', 'sns', 'signing-cert.pem'), 'utf8');

let telnyx: TelnyxSandbox;
let lob: LobSandbox;
let engine: DevEngine;
let receiver: WebhookServer;
let sns: Server;
let snsBase: string;
const confirmations: string[] = [];

const PEOPLE = ['sg-bounce', 'sg-deferred', 'sg-spam', 'ses-bounce', 'ses-transient', 'ses-complaint'];
const subject = (subjectId: string) => engine.client.workflow.getHandle(cohortWorkflowId(breachId, 0)).query(subjectQuery, subjectId);
const notice = (subjectId: string) => ({ breachId, cohort: 0, subjectId });

function post(route: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`http://127.0.0.1:${receiver.port}/webhooks/${route}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
}

/** SendGrid's signature: ECDSA (P-256, SHA-256, DER, base64) over the timestamp followed by the raw body. */
function sendgridPost(events: object[], options: { at?: Date; key?: typeof sendgridKeys.privateKey } = {}) {
  const body = JSON.stringify(events);
  const timestamp = String(Math.floor((options.at ?? new Date()).getTime() / 1000));
  const signature = sign('sha256', Buffer.from(timestamp + body), options.key ?? sendgridKeys.privateKey).toString('base64');
  return post('sendgrid', body, { 'X-Twilio-Email-Event-Webhook-Signature': signature, 'X-Twilio-Email-Event-Webhook-Timestamp': timestamp });
}

function sendgridEvent(event: string, subjectId: string, extra: object = {}) {
  return { email: `${subjectId}@example.org`, timestamp: Math.floor(Date.now() / 1000), event, sg_event_id: randomUUID(), sg_message_id: `${randomUUID()}.filter`, 'smtp-id': noticeMessageId(notice(subjectId), 'company.test'), ...extra };
}

/** An SNS message as SNS posts it, signed over the fields SNS signs (SignatureVersion 2: SHA256withRSA). */
function snsMessage(type: 'Notification' | 'SubscriptionConfirmation', message: string, options: { topic?: string; at?: Date; certUrl?: string } = {}) {
  const fields: Record<string, string> = {
    Type: type,
    MessageId: randomUUID(),
    TopicArn: options.topic ?? TOPIC,
    Message: message,
    Timestamp: (options.at ?? new Date()).toISOString(),
    SignatureVersion: '2',
    SigningCertURL: options.certUrl ?? `${snsBase}/SimpleNotificationService-sandbox.pem`,
    ...(type === 'SubscriptionConfirmation' ? { Token: randomUUID(), SubscribeURL: `${snsBase}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(TOPIC)}` } : {}),
  };
  const order = type === 'Notification' ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const signed = order.filter((f) => fields[f] !== undefined).map((f) => `${f}\n${fields[f]}\n`).join('');
  return { ...fields, Signature: createSign('RSA-SHA256').update(signed).sign(snsKey, 'base64') };
}

function sesNotification(notificationType: 'Bounce' | 'Complaint', subjectId: string, detail: object) {
  const messageId = noticeMessageId(notice(subjectId), 'company.test');
  return JSON.stringify({
    notificationType,
    ...detail,
    mail: {
      timestamp: new Date().toISOString(),
      source: 'engine@company.test',
      messageId: `0102018f${randomUUID()}-000000`,
      destination: [`${subjectId}@example.org`],
      headers: [
        { name: 'Message-ID', value: messageId },
        { name: 'X-Notice-Id', value: noticeId(notice(subjectId)) },
      ],
      commonHeaders: { messageId, subject: 'Important information about your personal data' },
    },
  });
}

beforeAll(async () => {
  // A stand-in for SNS's certificate and subscription URLs.
  sns = createServer((req, res) => {
    if (req.url?.endsWith('.pem')) return void res.writeHead(200, { 'Content-Type': 'application/x-pem-file' }).end(snsCert);
    if (req.url?.includes('Action=ConfirmSubscription')) {
      confirmations.push(req.url);
      return void res.writeHead(200, { 'Content-Type': 'text/xml' }).end('<ConfirmSubscriptionResponse/>');
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => sns.listen(0, '127.0.0.1', resolve));
  snsBase = `http://127.0.0.1:${(sns.address() as AddressInfo).port}`;

  telnyx = await startTelnyxSandbox({ stepMs: 50 });
  lob = await startLobSandbox();
  engine = await startDevEngine('mail-webhooks', {
    env: sandboxEnv(telnyx, lob),
    configure(config) {
      // Only a provider's event can move anyone on within the test.
      config.individuals = { ...config.individuals, channels: ['email', 'fax'], bounceWindow: '10 minutes', fallbackDelay: '200ms', faxPollInterval: '200ms', cohortSize: 10 };
      config.channels = { fax: sandboxChannels(telnyx, lob).fax };
      config.notifications.from = 'engine@company.test';
    },
  });
  receiver = await startWebhookServer({
    client: engine.client,
    port: 0,
    host: '127.0.0.1',
    telnyxPublicKey: Buffer.alloc(32, 1).toString('base64'),
    lobSecret: 'lob-secret',
    sendgridPublicKey: sendgridKeys.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    ses: { topicArns: [TOPIC], hosts: { protocol: 'http:', host: /^127\.0\.0\.1$/ } },
    log: () => undefined,
  });

  const people = await writeRoster(dir, 'roster', PEOPLE.map((id, i) => `${id},Person ${i},${id}@example.org,+1312555018${i},,,,,,,en`));
  const handle = await startBreach(engine.client, engine.config, breachFacts(breachId), undefined, people);
  await handle.executeUpdate(assessUpdate, { args: [{ risk: 'high', rationale: 'Passwords exposed', by: 'Ines Responder' }] });
  for (const id of PEOPLE) await eventually(() => subject(id), (view) => view?.state === 'awaiting-report');
});

afterAll(async () => {
  await receiver?.stop();
  await engine?.stop();
  await telnyx?.stop();
  await lob?.stop();
  await new Promise((resolve) => sns?.close(resolve));
});

describe('SendGrid Event Webhook', () => {
  it('moves a bounced person on, records a deferral and a spam report, and ignores the rest of the batch', async () => {
    const batch = [sendgridEvent('delivered', 'sg-deferred'), sendgridEvent('bounce', 'sg-bounce', { type: 'bounce', status: '5.1.1', reason: '550 5.1.1 <sg-bounce@example.org>: no such user' }), sendgridEvent('deferred', 'sg-deferred', { response: '451 try later', attempt: '1' }), sendgridEvent('spamreport', 'sg-spam')];
    const response = await sendgridPost(batch);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ reported: 3, ignored: 1 });

    const bounced = await eventually(() => subject('sg-bounce'), (view) => view?.state === 'notified-fax', 30_000);
    expect(bounced!.attempts.find((a) => a.outcome === 'bounced')?.reason).toBe('SendGrid: bounce, status 5.1.1 (sendgrid)');
    expect(await subject('sg-deferred')).toMatchObject({ state: 'awaiting-report', attempts: expect.arrayContaining([expect.objectContaining({ outcome: 'delayed', reason: 'SendGrid: deferred (sendgrid)' })]) });
    expect(await subject('sg-spam')).toMatchObject({ state: 'awaiting-report', attempts: expect.arrayContaining([expect.objectContaining({ outcome: 'complained', reason: 'SendGrid: marked as spam by the recipient (sendgrid)' })]) });

    // The same batch again is a replay.
    const body = JSON.stringify(batch);
    expect((await sendgridPost(JSON.parse(body))).status).toBe(409);
  });

  it('refuses forged and stale batches, and bodies that are not event batches', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    expect((await sendgridPost([sendgridEvent('dropped', 'sg-deferred')], { key: other })).status).toBe(401);
    expect((await sendgridPost([sendgridEvent('dropped', 'sg-deferred')], { at: new Date(Date.now() - 10 * 60_000) })).status).toBe(401);
    expect((await post('sendgrid', '[]')).status).toBe(401);
    expect((await sendgridPost([{ event: 'bounce' }])).status).toBe(400);
    expect((await subject('sg-deferred'))?.state).toBe('awaiting-report');
  });
});

describe('Amazon SES through SNS', () => {
  it('confirms the subscription of a configured topic', async () => {
    const response = await post('ses', JSON.stringify(snsMessage('SubscriptionConfirmation', 'You have chosen to subscribe to the topic.')));
    expect(response.status).toBe(200);
    expect(confirmations).toHaveLength(1);
  });

  it('moves a permanently bounced person on, and records a transient bounce and a complaint', async () => {
    const permanent = sesNotification('Bounce', 'ses-bounce', { bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: 'ses-bounce@example.org', action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }], timestamp: new Date().toISOString(), feedbackId: randomUUID() } });
    const message = snsMessage('Notification', permanent);
    expect((await post('ses', JSON.stringify(message))).status).toBe(200);
    const bounced = await eventually(() => subject('ses-bounce'), (view) => view?.state === 'notified-fax', 30_000);
    expect(bounced!.attempts.find((a) => a.outcome === 'bounced')?.reason).toBe('SES: permanent bounce, status 5.1.1 (ses)');
    // SNS delivers a message again when it had no answer: the same message id is a replay.
    expect((await post('ses', JSON.stringify(message))).status).toBe(409);

    const transient = sesNotification('Bounce', 'ses-transient', { bounce: { bounceType: 'Transient', bounceSubType: 'MailboxFull', bouncedRecipients: [{ emailAddress: 'ses-transient@example.org', status: '4.2.2' }] } });
    expect((await post('ses', JSON.stringify(snsMessage('Notification', transient)))).status).toBe(200);
    const complaint = sesNotification('Complaint', 'ses-complaint', { complaint: { complainedRecipients: [{ emailAddress: 'ses-complaint@example.org' }], complaintFeedbackType: 'abuse' } });
    expect((await post('ses', JSON.stringify(snsMessage('Notification', complaint)))).status).toBe(200);
    expect(await subject('ses-transient')).toMatchObject({ state: 'awaiting-report', attempts: expect.arrayContaining([expect.objectContaining({ outcome: 'delayed', reason: 'SES: transient bounce, status 4.2.2 (ses)' })]) });
    expect(await subject('ses-complaint')).toMatchObject({ state: 'awaiting-report', attempts: expect.arrayContaining([expect.objectContaining({ outcome: 'complained', reason: 'SES: complaint (abuse) (ses)' })]) });
  });

  it('refuses a forged or stale message, a foreign topic and a certificate URL that is not SNS', async () => {
    const bounce = sesNotification('Bounce', 'ses-transient', { bounce: { bounceType: 'Permanent', bouncedRecipients: [{ status: '5.1.1' }] } });
    const forged = { ...snsMessage('Notification', bounce), Message: bounce.replace('Permanent', 'Permanent ') };
    expect((await post('ses', JSON.stringify(forged))).status).toBe(401);
    expect((await post('ses', JSON.stringify(snsMessage('Notification', bounce, { at: new Date(Date.now() - 10 * 60_000) })))).status).toBe(401);
    expect((await post('ses', JSON.stringify(snsMessage('Notification', bounce, { topic: 'arn:aws:sns:eu-west-1:999999999999:someone-else' })))).status).toBe(403);
    expect((await post('ses', JSON.stringify(snsMessage('Notification', bounce, { certUrl: 'http://evil.test/SimpleNotificationService-x.pem' })))).status).toBe(401);
    expect((await post('ses', JSON.stringify(snsMessage('Notification', bounce, { certUrl: `${snsBase}/not-a-certificate` })))).status).toBe(401);
    expect((await post('ses', '{"Type":"Notification"}')).status).toBe(400);
    expect((await subject('ses-transient'))?.state).toBe('awaiting-report');
  });
});
