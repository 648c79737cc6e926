/**
 * `npm run webhooks`: the webhook receiver for Telnyx and Lob, and for SendGrid and Amazon SES
 * (through SNS) when they are configured, until SIGINT or SIGTERM.
 *
 * Secrets never go on the command line or into temporal.yaml: the flags name the environment
 * variables that hold them, like the `...Env` keys of the configuration.
 */
import { Client, Connection } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import { connectionSettings } from '../config/connection';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../config/load';
import { startWebhookServer } from './server';

interface Options {
  config: string;
  port: number;
  host?: string;
  telnyxPublicKeyEnv: string;
  lobSecretEnv: string;
  sendgridPublicKeyEnv: string;
  sesTopicArn: string[];
}

async function main(): Promise<void> {
  const options = new Command('webhooks')
    .option('--config <file>', 'configuration file', process.env.BREACH_CONFIG ?? DEFAULT_CONFIG_PATH)
    .option('--port <port>', 'port to listen on', parsePort, 8787)
    .option('--host <address>', 'interface to listen on (all by default)')
    .option('--telnyx-public-key-env <name>', 'environment variable holding the Telnyx webhook public key (base64)', 'WEBHOOK_TELNYX_PUBLIC_KEY')
    .option('--lob-secret-env <name>', 'environment variable holding the Lob webhook secret', 'WEBHOOK_LOB_SECRET')
    .option('--sendgrid-public-key-env <name>', 'environment variable holding the SendGrid Event Webhook verification key; when it is unset there is no SendGrid route', 'WEBHOOK_SENDGRID_PUBLIC_KEY')
    .option('--ses-topic-arn <arn>', 'an SNS topic SES notifies (repeat for several); without one there is no SES route', collectTopic, [])
    .parse()
    .opts<Options>();

  const config = loadConfig(options.config);
  const telnyxPublicKey = requireEnv(options.telnyxPublicKeyEnv, 'the Telnyx webhook public key');
  const lobSecret = requireEnv(options.lobSecretEnv, 'the Lob webhook secret');

  const connection = await Connection.connect({ ...connectionSettings(config.temporal), connectTimeout: '10 seconds' });
  const client = new Client({ connection, namespace: config.temporal.namespace, identity: 'breach webhook receiver' });
  const sendgridPublicKey = process.env[options.sendgridPublicKeyEnv] || undefined;
  const server = await startWebhookServer({ client, port: options.port, host: options.host, telnyxPublicKey, lobSecret, sendgridPublicKey, ses: { topicArns: options.sesTopicArn } });
  const routes = ['telnyx', 'lob', ...(sendgridPublicKey ? ['sendgrid'] : []), ...(options.sesTopicArn.length ? ['ses'] : [])].map((r) => `/webhooks/${r}`);
  console.log(`webhooks listening on port ${server.port} (POST ${routes.join(', ')}) for ${config.temporal.address} namespace=${config.temporal.namespace}`);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.stop();
  await connection.close();
  console.log('webhooks stopped cleanly');
}

function collectTopic(value: string, topics: string[]): string[] {
  if (!/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]{1,256}$/.test(value)) throw new InvalidArgumentError('expected an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:ses-bounces');
  return [...topics, value];
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('expected a port number (0-65535)');
  return port;
}

/** A missing secret stops the receiver at start: running without one would accept forged reports or refuse every genuine one. */
function requireEnv(name: string, what: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} (${what}) is not set`);
  return value;
}

main().catch((err) => {
  console.error(`webhooks: ${(err as Error).message.split('\n')[0]}`);
  process.exit(1);
});
