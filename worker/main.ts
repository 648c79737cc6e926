import { NativeConnection, Runtime, makeTelemetryFilterString, DefaultLogger } from '@temporalio/worker';
import { Command } from 'commander';
import { createMailTransport } from '../activities/smtp';
import { connectionSettings } from '../config/connection';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../config/load';
import { createBreachWorkers } from './breach-worker';
import { WORKER_ROLES, parseWorkerRoles, type WorkerRole } from './roles';

/**
 * `npm run worker`: runs until SIGINT or SIGTERM. The Temporal runtime turns those signals into
 * a graceful shutdown (stop polling, let in-flight activities finish), after which we close the
 * SMTP pool and the connection. `--queues` picks what this process polls (all by default).
 */
async function main(): Promise<void> {
  const options = new Command('worker')
    .option('--config <file>', 'configuration file', DEFAULT_CONFIG_PATH)
    .option('--queues <list>', `what this process polls, comma-separated from ${WORKER_ROLES.join(', ')} (default: the workflows and every configured channel)`, parseWorkerRoles)
    .parse()
    .opts<{ config: string; queues?: WorkerRole[] }>();
  const config = loadConfig(options.config);
  Runtime.install({
    logger: new DefaultLogger((process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
  const connection = await NativeConnection.connect(connectionSettings(config.temporal));
  const transport = createMailTransport(config.smtp);
  try {
    const worker = await createBreachWorkers({ config, connection, transport, roles: options.queues });
    console.log(`worker polling ${config.temporal.address} namespace=${config.temporal.namespace} taskQueue=${config.temporal.taskQueue} queues=${options.queues?.join(',') ?? 'all'}`);
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
