/**
 * The webhook receiver: Telnyx and Lob report what happened to a fax or a letter, SendGrid and
 * Amazon SES (through SNS) what happened to an email, and the receiver turns the reports that
 * matter into Temporal updates on the breach's workflows.
 *
 * Answers: 401 for a forged or stale request, 403 for an SNS topic not configured, 409 for an
 * event id seen before, 404 when no workflow matches, 200 otherwise (with `ignored` when nothing
 * changed), 503 when Temporal did not answer, so that the provider retries later.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { lobSource } from './lob-events';
import { sendgridSource } from './sendgrid-events';
import { sesSource, type SnsHosts } from './ses-events';
import { telnyxSource } from './telnyx-events';
import { unavailable, WebhookRejected, type VerifiedEvent, type WebhookReply, type WebhookSource } from './webhook-source';

export interface WebhookServerOptions {
  client: Client;
  /** 0 picks a free port. */
  port: number;
  /** Telnyx's Ed25519 public key, base64, as Mission Control shows it. */
  telnyxPublicKey: string;
  /** The Lob webhook secret. */
  lobSecret: string;
  /** SendGrid's verification key (base64, as Mail Settings shows it); without it there is no SendGrid route. */
  sendgridPublicKey?: string;
  /** The SNS topics SES notifies; without them there is no SES route. `hosts` only for tests. */
  ses?: { topicArns: string[]; hosts?: SnsHosts };
  /** The receiver's clock for timestamp checks; tests move it. */
  now?: () => Date;
  /** Where the one line per request goes; it names event types and ids, never contact data. */
  log?: (line: string) => void;
  /** Interface to listen on; all interfaces by default, since providers call from the internet. */
  host?: string;
}

export interface WebhookServer {
  port: number;
  stop(): Promise<void>;
}

/** Bodies larger than this are no webhook event of ours; reading them would only cost memory. */
const MAX_BODY_BYTES = 1024 * 1024;
/** How many event ids the replay guard remembers, far more than arrive within the 5-minute window. */
const REMEMBERED_EVENTS = 10_000;

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const now = options.now ?? (() => new Date());
  const log = options.log ?? ((line: string) => console.log(line));
  const seen = new ReplayGuard(REMEMBERED_EVENTS);
  const routes = new Map<string, WebhookSource<VerifiedEvent>>([
    ['/webhooks/telnyx', telnyxSource({ publicKey: options.telnyxPublicKey, now })],
    ['/webhooks/lob', lobSource({ secret: options.lobSecret, now })],
  ]);
  if (options.sendgridPublicKey) routes.set('/webhooks/sendgrid', sendgridSource({ publicKey: options.sendgridPublicKey, now }));
  if (options.ses?.topicArns.length) routes.set('/webhooks/ses', sesSource({ topicArns: options.ses.topicArns, hosts: options.ses.hosts, now }));

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      // Reached only if the answer itself could not be written; the connection is gone anyway.
      res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    const source = routes.get(path);
    if (!source) return answer(res, { status: 404, body: { error: 'not found' } });
    if (req.method !== 'POST') return answer(res, { status: 405, body: { error: 'only POST is accepted' } }, { Allow: 'POST' });

    let event: VerifiedEvent | undefined;
    let reply: WebhookReply;
    try {
      const body = await readBody(req);
      event = await source.verify(body, req.headers);
      reply = await deliverOnce(source, event);
    } catch (err) {
      reply = err instanceof WebhookRejected ? { status: err.status, body: { error: err.message } } : unavailable();
      if (!(err instanceof WebhookRejected)) log(`webhook ${source.name}: ${err instanceof Error ? err.name : 'error'} while handling the event`);
    }
    log(logLine(source.name, event, reply));
    answer(res, reply);
  }

  /**
   * The id is remembered before the event is acted on, so a duplicate arriving while the first
   * delivery is still being handled is refused too. It is forgotten again when handling failed
   * on our side (5xx): the provider's retry of that event must get through.
   */
  async function deliverOnce(source: WebhookSource<VerifiedEvent>, event: VerifiedEvent): Promise<WebhookReply> {
    const key = `${source.name}:${event.id}`;
    if (!seen.remember(key)) return { status: 409, body: { error: 'this event was received before' } };
    try {
      const reply = await source.act(event, options.client);
      if (reply.status >= 500) seen.forget(key);
      return reply;
    } catch (err) {
      seen.forget(key);
      throw err;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * Event ids seen recently, oldest first (a Map keeps insertion order), so the oldest is dropped
 * when the guard is full. Timestamps older than 5 minutes are refused anyway, so only the ids of
 * the last 5 minutes matter; the guard lives in memory, and Temporal's update ids catch a replay
 * after a restart.
 */
class ReplayGuard {
  private readonly ids = new Map<string, true>();
  constructor(private readonly capacity: number) {}

  /** False if the id was already there. */
  remember(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.set(id, true);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.keys().next().value!);
    return true;
  }

  forget(id: string): void {
    this.ids.delete(id);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new WebhookRejected(413, 'the body is too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function answer(res: ServerResponse, reply: Pick<WebhookReply, 'status' | 'body'>, headers: Record<string, string> = {}): void {
  res.writeHead(reply.status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(reply.body));
}

/** Event type, ids and the status code: enough to trace a report, nothing about the person. */
function logLine(source: string, event: VerifiedEvent | undefined, reply: WebhookReply): string {
  const parts = [`webhook ${source}`, event ? event.type : '(unverified)'];
  if (reply.breachId) parts.push(`breach=${reply.breachId}`);
  if (reply.subjectId) parts.push(`subject=${reply.subjectId}`);
  parts.push(`-> ${reply.status}`);
  return parts.join(' ');
}
