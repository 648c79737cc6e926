/**
 * `npm run webhooks`: the webhook receiver for Telnyx and Lob, until SIGINT or SIGTERM.
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
}

async function main(): Promise<void> {
  const options = new Command('webhooks')
    .option('--config <file>', 'configuration file', process.env.BREACH_CONFIG ?? DEFAULT_CONFIG_PATH)
    .option('--port <port>', 'port to listen on', parsePort, 8787)
    .option('--host <address>', 'interface to listen on (all by default)')
    .option('--telnyx-public-key-env <name>', 'environment variable holding the Telnyx webhook public key (base64)', 'WEBHOOK_TELNYX_PUBLIC_KEY')
    .option('--lob-secret-env <name>', 'environment variable holding the Lob webhook secret', 'WEBHOOK_LOB_SECRET')
    .parse()
    .opts<Options>();

  const config = loadConfig(options.config);
  const telnyxPublicKey = requireEnv(options.telnyxPublicKeyEnv, 'the Telnyx webhook public key');
  const lobSecret = requireEnv(options.lobSecretEnv, 'the Lob webhook secret');

  const connection = await Connection.connect({ ...connectionSettings(config.temporal), connectTimeout: '10 seconds' });
  const client = new Client({ connection, namespace: config.temporal.namespace, identity: 'breach webhook receiver' });
  const server = await startWebhookServer({ client, port: options.port, host: options.host, telnyxPublicKey, lobSecret });
  console.log(`webhooks listening on port ${server.port} (POST /webhooks/telnyx, /webhooks/lob) for ${config.temporal.address} namespace=${config.temporal.namespace}`);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.stop();
  await connection.close();
  console.log('webhooks stopped cleanly');
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
