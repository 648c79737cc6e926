/**
 * Reading a message that reached the bounce address: a delivery status notification (RFC 3464,
 * `multipart/report; report-type=delivery-status`), an automatic reply (RFC 3834), or something
 * else. The MIME structure is walked with mailsplit (the splitter beneath mailparser) and each
 * block of delivery-status fields is read by its header parser, since those fields have the
 * syntax of message header fields: folding, comments and all.
 */
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Headers, Splitter, type MimeNode } from '@zone-eu/mailsplit';
import libmime from 'libmime';

/** What one recipient's block of a DSN says happened to the message for that recipient. */
export interface DsnRecipient {
  /** failed, delayed, delivered, relayed or expanded (RFC 3464 section 2.3.3). */
  action: string;
  /** The enhanced status code (RFC 3463), e.g. 5.1.1; empty when the MTA gave none. */
  status: string;
}

export type ReturnedMail =
  | {
      kind: 'dsn';
      /** The MTA that wrote the report (its `Reporting-MTA`), a host name. */
      reportingMta?: string;
      recipients: DsnRecipient[];
      /** The notice id in the returned message's headers (X-Notice-Id, or the Message-ID it is derived from), when the DSN includes them. */
      returnedNoticeId?: string;
      returnedMessageId?: string;
      /** The DSN's own Message-ID: the same report delivered twice is the same report. */
      messageId?: string;
    }
  | { kind: 'auto-reply' }
  | { kind: 'other' };

interface Part {
  node: MimeNode;
  headers: Headers;
  body: Buffer[];
}

/** Splits a message into its MIME nodes with their bodies as sent; an embedded message's own root node follows its container. */
async function mimeParts(raw: Buffer): Promise<Part[]> {
  const parts: Part[] = [];
  const splitter = new Splitter();
  splitter.on('data', (data) => {
    if (data.type === 'node') parts.push({ node: data as MimeNode, headers: (data as MimeNode).headers || new Headers(''), body: [] });
    else if (data.type === 'body' && 'value' in data && data.value) parts[parts.length - 1]?.body.push(data.value);
  });
  Readable.from([raw]).pipe(splitter);
  await finished(splitter);
  return parts;
}

/** A part's body with its transfer encoding (base64, quoted-printable) undone: only for the parts that are read. */
async function decoded(part: Part): Promise<Buffer> {
  const decoder = part.node.getDecoder();
  const chunks: Buffer[] = [];
  decoder.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    decoder.once('end', resolve);
    decoder.once('error', reject);
  });
  decoder.end(Buffer.concat(part.body));
  await done;
  return Buffer.concat(chunks);
}

/** The blocks of header-like fields a delivery-status body is made of, separated by blank lines. */
function fieldBlocks(body: Buffer): Headers[] {
  return body
    .toString('utf8')
    .split(/\r?\n(?:[ \t]*\r?\n)+/)
    .filter((block) => block.trim() !== '')
    .map((block) => new Headers(Buffer.from(`${block.trim()}\r\n`, 'utf8')));
}

/** `dns; relay.example` → `relay.example`: the type prefix of an address-type field is dropped. */
function typedValue(value: string): string {
  const semicolon = value.indexOf(';');
  return (semicolon >= 0 ? value.slice(semicolon + 1) : value).trim();
}

/** RFC 3834: `Auto-Submitted` other than `no`, and the older markers vacation programs set. */
function isAutomaticReply(root: Headers): boolean {
  const autoSubmitted = root.getFirst('auto-submitted').toLowerCase();
  if (autoSubmitted !== '' && autoSubmitted !== 'no') return true;
  if (root.hasHeader('x-autoreply') || root.hasHeader('x-autorespond')) return true;
  return ['auto_reply', 'bulk', 'junk'].includes(root.getFirst('precedence').toLowerCase());
}

export async function readReturnedMail(raw: Buffer): Promise<ReturnedMail> {
  const parts = await mimeParts(raw);
  const root = parts[0];
  if (!root) return { kind: 'other' };
  const contentType = libmime.parseHeaderValue(root.headers.getFirst('content-type'));
  const isReport = contentType.value.toLowerCase() === 'multipart/report' && contentType.params['report-type']?.toLowerCase() === 'delivery-status';
  const status = parts.find((p) => p.node.contentType === 'message/delivery-status' || p.node.contentType === 'message/global-delivery-status');
  if (!isReport || !status) return isAutomaticReply(root.headers) ? { kind: 'auto-reply' } : { kind: 'other' };

  const [perMessage, ...perRecipient] = fieldBlocks(await decoded(status));
  const recipients = perRecipient
    .filter((block) => block.hasHeader('action'))
    .map((block) => ({ action: block.getFirst('action').toLowerCase(), status: block.getFirst('status').split(/\s/)[0] ?? '' }));
  const returned = await returnedHeaders(parts);
  const reportingMta = perMessage?.getFirst('reporting-mta');
  return {
    kind: 'dsn',
    ...(reportingMta ? { reportingMta: typedValue(reportingMta) } : {}),
    recipients,
    ...(returned?.getFirst('x-notice-id') ? { returnedNoticeId: returned.getFirst('x-notice-id') } : {}),
    ...(returned?.getFirst('message-id') ? { returnedMessageId: returned.getFirst('message-id') } : {}),
    ...(root.headers.getFirst('message-id') ? { messageId: root.headers.getFirst('message-id') } : {}),
  };
}

/** The headers of the message the DSN returns: a `text/rfc822-headers` part, or the root of an embedded `message/rfc822`. */
async function returnedHeaders(parts: Part[]): Promise<Headers | undefined> {
  const index = parts.findIndex((p) => ['text/rfc822-headers', 'message/rfc822-headers', 'message/rfc822', 'message/global', 'message/global-headers'].includes(p.node.contentType || ''));
  if (index < 0) return undefined;
  const part = parts[index]!;
  if (part.node.contentType === 'message/rfc822' || part.node.contentType === 'message/global') {
    // mailsplit parses an embedded message: its own root node comes next.
    const embedded = parts[index + 1];
    return embedded ? embedded.headers : new Headers(await decoded(part));
  }
  return new Headers(await decoded(part));
}
