import { ApplicationFailure } from '@temporalio/activity';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { EngineConfig } from '../config/schema';
import { SMTP_REJECTED } from '../domain/failures';

export type MailTransport = Transporter<SMTPTransport.SentMessageInfo>;

/** SMTP credentials are read from the environment variables temporal.yaml names. */
export function createMailTransport(smtp: EngineConfig['smtp'], env: NodeJS.ProcessEnv = process.env): MailTransport {
  const user = smtp.userEnv ? env[smtp.userEnv] : undefined;
  const pass = smtp.passwordEnv ? env[smtp.passwordEnv] : undefined;
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: user !== undefined ? { user, pass } : undefined,
    pool: true,
    maxConnections: smtp.maxConnections,
    // A connection is reused for many notices; the default of 100 would reconnect needlessly often.
    maxMessages: Infinity,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
}

export interface OutgoingMail {
  /** The address, or the address with the display name recipients see. */
  from: string | { name: string; address: string };
  replyTo?: string;
  to: string[];
  subject: string;
  text: string;
  messageId: string;
  inReplyTo?: string;
  html?: string;
  headers?: Record<string, string>;
  /** The envelope sender (MAIL FROM), where bounces go; `from` when absent. */
  envelopeFrom?: string;
  attachments?: { filename: string; content: Buffer; contentType: string }[];
}

/**
 * Sends one message and returns the server's reply. A permanent SMTP refusal (5xx) becomes a non-retryable failure; anything
 * else (4xx, refused connection, timeout) is thrown as is so that the activity retry policy applies.
 * The failure text carries the SMTP reply code only: the server's full reply may echo addresses.
 */
export async function sendMail(transport: MailTransport, mail: OutgoingMail): Promise<string> {
  try {
    const { envelopeFrom, ...message } = mail;
    const info = await transport.sendMail({
      ...message,
      ...(envelopeFrom ? { envelope: { from: envelopeFrom, to: mail.to } } : {}),
      references: mail.inReplyTo,
      headers: { 'Auto-Submitted': 'auto-generated', ...mail.headers },
    });
    return info.response;
  } catch (err) {
    const code = (err as { responseCode?: number }).responseCode;
    if (code !== undefined && code >= 500) {
      throw ApplicationFailure.nonRetryable(`SMTP server refused the message permanently (reply ${code})`, SMTP_REJECTED);
    }
    if (code !== undefined) throw Object.assign(new Error(`SMTP server deferred the message (reply ${code})`), { smtpReplyCode: code });
    throw new Error(`SMTP delivery failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** The domain part of Message-IDs: the sender's own domain, as RFC 5322 recommends. */
export function messageIdDomain(from: string): string {
  return from.slice(from.lastIndexOf('@') + 1);
}
