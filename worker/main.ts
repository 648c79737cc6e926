import { NativeConnection, Runtime, makeTelemetryFilterString, DefaultLogger } from '@temporalio/worker';
import { Command } from 'commander';
import { createMailTransport } from '../activities/smtp';
import { connectionSettings } from '../config/connection';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../config/load';
import { createBreachWorkers } from './breach-worker';

/**
 * `npm run worker`: runs until SIGINT or SIGTERM. The Temporal runtime turns those signals into
 * a graceful shutdown (stop polling, let in-flight activities finish), after which we close the
 * SMTP pool and the connection.
 */
async function main(): Promise<void> {
  const options = new Command('worker')
    .option('--config <file>', 'configuration file', DEFAULT_CONFIG_PATH)
    .parse()
    .opts<{ config: string }>();
  const config = loadConfig(options.config);
  Runtime.install({
    logger: new DefaultLogger((process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
  const connection = await NativeConnection.connect(connectionSettings(config.temporal));
  const transport = createMailTransport(config.smtp);
  try {
    const worker = await createBreachWorkers({ config, connection, transport });
    console.log(`worker polling ${config.temporal.address} namespace=${config.temporal.namespace} taskQueue=${config.temporal.taskQueue}`);
    await worker.run();
    console.log('worker stopped cleanly');
  } finally {
    transport.close();
    await connection.close();
  }
}

main().catch((err) => {
  console.error(`worker: ${(err as Error).message}`);
  process.exit(1);
});
