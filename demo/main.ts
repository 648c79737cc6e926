/**
 * `npm run demo`: the engine on its embedded default. Starts the Temporal dev server (SQLite in
 * .data/, Web UI), MailDev (SMTP with a web inbox) and the worker, then walks a sample breach
 * through the real `breach` CLI. It keeps running so the CLI can be tried against it; Ctrl-C
 * stops everything.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { subHours } from 'date-fns';
import { NativeConnection, Runtime, DefaultLogger, makeTelemetryFilterString } from '@temporalio/worker';
import { createMailTransport } from '../activities/smtp';
import { loadConfig } from '../config/load';
import { startDevServer, stopProcess } from '../sandbox/dev-server';
import { createBreachWorkers } from '../worker/breach-worker';

const root = path.resolve(__dirname, '..');
const TEMPORAL_PORT = 7233;
const UI_PORT = 8233;
const SMTP_PORT = 1025;
const MAIL_UI_PORT = 1080;

async function main(): Promise<void> {
  const config = loadConfig(path.join(root, 'temporal.yaml'));
  config.temporal.address = `127.0.0.1:${TEMPORAL_PORT}`;
  config.smtp = { ...config.smtp, host: '127.0.0.1', port: SMTP_PORT };

  console.log('Starting the Temporal dev server ...');
  const server = await startDevServer({ port: TEMPORAL_PORT, uiPort: UI_PORT, dbFile: path.join(root, '.data', 'temporal-dev.db') });
  const maildev = spawn(
    process.execPath,
    [path.join(root, 'node_modules', 'maildev', 'dist', 'bin', 'maildev.js'), '--smtp', String(SMTP_PORT), '--web', String(MAIL_UI_PORT), '--ip', '127.0.0.1', '--web-ip', '127.0.0.1', '--silent'],
    { stdio: 'ignore' },
  );

  Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const transport = createMailTransport(config.smtp);
  const worker = await createBreachWorkers({ config, connection, transport });
  const running = worker.run();

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the worker, MailDev and the dev server ...');
    worker.shutdown();
    await running.catch(() => undefined);
    transport.close();
    await connection.close();
    await stopProcess(maildev);
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  await walkSampleBreach(config.temporal.address);

  console.log(`
The engine is running:
  Temporal Web UI   http://localhost:${UI_PORT}
  MailDev inbox     http://localhost:${MAIL_UI_PORT}   (authority notices and reminders land here)
  Temporal address  ${config.temporal.address}

Try the CLI in another terminal, e.g.:
  ./bin/breach status <id>
  ./bin/breach hold place <id> --agency "City Police" --case-ref CR-1 --reason "investigation" --by legal
  ./bin/breach close <id> --by you

Press Ctrl-C to stop.`);
}

/** Runs the real CLI, showing each command as a person would type it. */
async function walkSampleBreach(address: string): Promise<void> {
  const id = `demo-${new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '')}`;
  const awareAt = subHours(new Date(), 5).toISOString();
  const steps: string[][] = [
    ['start', '--id', id, '--title', 'Customer database exposed', '--aware-at', awareAt,
      '--description', 'A misconfigured backup bucket exposed the customer database for 3 days.',
      '--reporter', 'Ines Responder', '--categories', 'names,email addresses,postal addresses',
      '--subjects', '1200', '--records', '1350', '--consequences', 'Phishing and identity fraud are possible.',
      '--measures', 'Bucket closed, credentials rotated, access logs under review.', '--contact', 'dpo@company.example'],
    ['hold', 'place', id, '--agency', 'National Cyber Crime Unit', '--case-ref', 'NCCU-2026-0142',
      '--reason', 'Notice would alert the suspects', '--by', 'Lena Legal'],
    ['assess', id, '--risk', 'high', '--rationale', 'Contact data usable for targeted phishing', '--by', 'Ines Responder'],
    ['hold', 'release', id, 'hold-1', '--reason', 'Suspects arrested; agency agrees to notice', '--by', 'Lena Legal'],
    ['status', id],
  ];
  for (const args of steps) {
    console.log(`\n$ breach ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
    // Give the workflow a moment to send the notice before the final status.
    if (args[0] === 'status') await new Promise((resolve) => setTimeout(resolve, 2000));
    // Asynchronously: the worker shares this process and must keep running meanwhile.
    const cli = spawn(path.join(root, 'bin', 'breach'), ['--address', address, ...args], { stdio: 'inherit', cwd: root });
    await once(cli, 'exit');
  }
}

main().catch((err) => {
  console.error(`demo: ${(err as Error).message}`);
  process.exit(1);
});
