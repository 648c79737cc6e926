import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  messageId: string;
  /** The envelope sender (MAIL FROM), where bounces go. */
  envelopeFrom: string;
  to: string[];
  /** The From and Reply-To headers as written ("Name" <address>). */
  from: string;
  replyTo?: string;
  subject: string;
  text: string;
  inReplyTo?: string;
  attachments: { filename?: string; contentType: string; size: number }[];
  /** The X-Notice-Id header of a notice to an individual. */
  noticeId?: string;
  /** When the client began the transaction (MAIL FROM), and when the sink accepted the message. */
  beganAt: Date;
  receivedAt: Date;
}

/** How the sink answers the next messages: a permanent or transient refusal, or a slow acceptance. */
export interface SmtpScript {
  /** Refuse messages with an SMTP reply code (e.g. 550 or 451) when a rule's predicate matches. */
  refusals: { code: number; when: (recipients: string[]) => boolean; times?: number }[];
  /** Wait this long before accepting each message. */
  acceptDelayMs?: number;
}

export interface SmtpSink {
  port: number;
  messages: ReceivedMail[];
  script: SmtpScript;
  waitFor(predicate: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  stop(): Promise<void>;
}

/** A real SMTP server (smtp-server, from the nodemailer project) that keeps what it receives. */
export async function startSmtpSink(port = 0): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const script: SmtpScript = { refusals: [] };
  const began = new Map<string, Date>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onMailFrom(_address, session, callback) {
      began.set(session.id, new Date());
      callback();
    },
    onData(stream, session, callback) {
      const recipients = session.envelope.rcptTo.map((r) => r.address);
      const refuse = script.refusals.find((rule) => rule.when(recipients) && (rule.times === undefined || rule.times > 0));
      if (refuse) {
        if (refuse.times !== undefined) refuse.times--;
        stream.resume();
        stream.on('end', () => callback(Object.assign(new Error('scripted refusal'), { responseCode: refuse.code })));
        return;
      }
      simpleParser(stream)
        .then(async (parsed) => {
          if (script.acceptDelayMs) await new Promise((resolve) => setTimeout(resolve, script.acceptDelayMs));
          messages.push({
            messageId: parsed.messageId ?? '',
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: recipients,
            from: parsed.from?.text ?? '',
            replyTo: parsed.replyTo?.text,
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            attachments: parsed.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.size })),
            inReplyTo: typeof parsed.inReplyTo === 'string' ? parsed.inReplyTo : undefined,
            noticeId: typeof parsed.headers.get('x-notice-id') === 'string' ? (parsed.headers.get('x-notice-id') as string) : undefined,
            beganAt: began.get(session.id) ?? new Date(),
            receivedAt: new Date(),
          });
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  // A client that dies mid-session (a worker killed in a test) resets its connection; that is the client's failure, not the sink's.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.server.address() as AddressInfo;

  return {
    port: address.port,
    messages,
    script,
    async waitFor(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching mail within ${timeoutMs} ms (received: ${messages.map((m) => m.subject).join(' | ')})`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
