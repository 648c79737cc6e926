/**
 * The bounce intake: an SMTP server for the return-path domain (its MX points here). Each notice
 * is sent with an envelope sender that names it (`smtp.returnPath`, VERP), so a delivery status
 * notification that comes back names its notice even when relays rewrite the headers. A
 * permanent failure becomes a bounce report to the notice's cohort, which moves the person on; a
 * delay is recorded and moves nobody; anything else (an auto-reply, a reply by hand) is dropped.
 *
 * SMTP answers: 550 at RCPT for an address that is not a return path of ours (the intake is no
 * relay), 451 when Temporal did not answer (the MTA delivers the DSN again later), 250 otherwise,
 * also for a DSN that names no known notice: it is logged by id and dropped.
 */
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { DeliveryReport } from '../domain/cascade';
import { cohortWorkflowId, noticeId, noticeOfMessageId, noticeOfReturnPath, parseNoticeId, returnPathNoticeText, type NoticeRef } from '../domain/ids';
import { reportDeliveryUpdate } from '../workflows/messages/cohort';
import { sendReport } from '../webhooks/webhook-source';
import { readReturnedMail, type DsnRecipient, type ReturnedMail } from './dsn';

export interface BounceIntakeOptions {
  client: Client;
  /** The return-path pattern of temporal.yaml, with `{notice}` where the notice id goes. */
  returnPath: string;
  port: number;
  host?: string;
  /** Messages larger than this are refused at DATA: a DSN with the returned headers is a few kilobytes. */
  maxMessageBytes: number;
  /** One line per message: kinds, ids and status codes, never an address. */
  log?: (line: string) => void;
}

export interface BounceIntake {
  port: number;
  stop(): Promise<void>;
}

/** What the intake did with one message, as its log line says. */
interface Outcome {
  kind: ReturnedMail['kind'];
  notice?: string;
  action?: string;
  status?: string;
  result: string;
}

export async function startBounceIntake(options: BounceIntakeOptions): Promise<BounceIntake> {
  const log = options.log ?? ((line: string) => console.log(line));
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH'],
    logger: false,
    size: options.maxMessageBytes,
    onRcptTo(address, _session, callback) {
      // Any address the pattern makes is taken, so that a DSN naming no notice of ours is logged and dropped rather than bounced back.
      if (returnPathNoticeText(options.returnPath, address.address) !== undefined) return callback();
      callback(Object.assign(new Error('5.1.1 no such recipient here'), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      readMessage(stream, options.maxMessageBytes)
        .then(async (raw) => {
          const outcome = await handle(options.client, options.returnPath, raw, session);
          log(JSON.stringify({ intake: 'bounce', ...outcome }));
          if (outcome.result === 'unavailable') return callback(Object.assign(new Error('4.3.0 try again later'), { responseCode: 451 }));
          callback();
        })
        .catch((err: Error) => {
          log(JSON.stringify({ intake: 'bounce', result: 'error', error: err.name }));
          callback(Object.assign(new Error('4.3.0 try again later'), { responseCode: 451 }));
        });
    },
  });
  // A client that drops its connection mid-session is the client's failure, not the intake's.
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function readMessage(stream: SMTPServerDataStream, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  if (stream.sizeExceeded) throw Object.assign(new Error(`message larger than ${limit} bytes`), { name: 'MessageTooLarge' });
  return Buffer.concat(chunks);
}

async function handle(client: Client, returnPath: string, raw: Buffer, session: SMTPServerSession): Promise<Outcome> {
  const mail = await readReturnedMail(raw);
  if (mail.kind !== 'dsn') return { kind: mail.kind, result: 'dropped: not a delivery status notification' };
  const notice = noticeOfDsn(mail, session.envelope.rcptTo.map((r) => r.address), returnPath);
  const recipient = mail.recipients.find((r) => r.action === 'failed') ?? mail.recipients.find((r) => r.action === 'delayed');
  if (!notice) return { kind: 'dsn', ...recipient, result: 'dropped: names no notice of ours' };
  const id = noticeId(notice);
  if (!recipient) return { kind: 'dsn', notice: id, result: 'ignored: no failure or delay reported' };

  const report = deliveryReport(notice, recipient, mail.reportingMta);
  // The same DSN delivered twice is one report: Temporal refuses an update id it has seen.
  const updateId = `dsn-${createHash('sha256').update(mail.messageId ?? raw).digest('hex').slice(0, 32)}`;
  const reply = await sendReport(client, cohortWorkflowId(notice.breachId, notice.cohort), reportDeliveryUpdate, report, updateId);
  const result = reply.status === 503 ? 'unavailable' : reply.status === 404 ? 'dropped: no cohort for this notice' : 'ignored' in reply.body ? `ignored: ${String(reply.body.ignored)}` : 'reported';
  return { kind: 'dsn', notice: id, action: recipient.action, status: recipient.status, result };
}

/** The notice a DSN is about: the return path it was sent to, else the returned message's own headers. */
function noticeOfDsn(mail: Extract<ReturnedMail, { kind: 'dsn' }>, recipients: string[], returnPath: string): NoticeRef | undefined {
  for (const address of recipients) {
    const notice = noticeOfReturnPath(returnPath, address);
    if (notice) return notice;
  }
  if (mail.returnedNoticeId) return parseNoticeId(mail.returnedNoticeId);
  return mail.returnedMessageId ? noticeOfMessageId(mail.returnedMessageId) : undefined;
}

/**
 * The report to the cohort says what the DSN says in codes only: its diagnostic text often
 * quotes the recipient's address, which must not reach a workflow's history.
 */
function deliveryReport(notice: NoticeRef, recipient: DsnRecipient, reportingMta: string | undefined): DeliveryReport {
  const by = reportingMta ? ` reported by ${reportingMta}` : '';
  const status = recipient.status || 'no status code';
  return {
    subjectId: notice.subjectId,
    channel: 'email',
    reason: `delivery status notification: ${recipient.action}, status ${status}${by}`,
    source: 'dsn',
    ...(recipient.action === 'failed' ? {} : { observation: 'delayed' as const }),
  };
}
