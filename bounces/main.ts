/**
 * `npm run bounces`: the bounce intake, an SMTP server for the return-path domain, until SIGINT or
 * SIGTERM. It needs `smtp.returnPath` and takes its address from `bounceIntake` in temporal.yaml.
 */
import { Client, Connection } from '@temporalio/client';
import { Command } from 'commander';
import { connectionSettings } from '../config/connection';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../config/load';
import { startBounceIntake } from './intake';

async function main(): Promise<void> {
  const options = new Command('bounces').option('--config <file>', 'configuration file', process.env.BREACH_CONFIG ?? DEFAULT_CONFIG_PATH).parse().opts<{ config: string }>();
  const config = loadConfig(options.config);
  const returnPath = config.smtp.returnPath;
  if (!returnPath) throw new Error(`${options.config}: smtp.returnPath is not set, so no notice is sent with a return path the intake could read`);
  const listen = config.bounceIntake;

  const connection = await Connection.connect({ ...connectionSettings(config.temporal), connectTimeout: '10 seconds' });
  const client = new Client({ connection, namespace: config.temporal.namespace, identity: 'breach bounce intake' });
  const intake = await startBounceIntake({ client, returnPath, host: listen.host, port: listen.port, maxMessageBytes: listen.maxMessageBytes });
  console.log(`bounce intake listening on ${listen.host}:${intake.port} for ${returnPath} (${config.temporal.address} namespace=${config.temporal.namespace})`);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await intake.stop();
  await connection.close();
  console.log('bounce intake stopped cleanly');
}

main().catch((err) => {
  console.error(`bounces: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
