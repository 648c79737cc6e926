/**
 * `npm run demo`: the engine on its embedded default. Starts the Temporal dev server (SQLite in
 * .data/, Web UI), MailDev (SMTP with a web inbox), the Telnyx and Lob sandboxes and the worker,
 * then walks a sample breach through the real `breach` CLI, with a roster in which every branch
 * of the cascade happens. It keeps running so the CLI can be tried against it; Ctrl-C stops
 * everything.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { subHours } from 'date-fns';
import { stringify } from 'yaml';
import { NativeConnection, Runtime, DefaultLogger, makeTelemetryFilterString } from '@temporalio/worker';
import { createMailTransport } from '../activities/smtp';
import { loadConfig } from '../config/load';
import { startDevServer, stopProcess } from '../sandbox/dev-server';
import { createBreachWorkers } from '../worker/breach-worker';
import { startLobSandbox } from '../sandbox/lob-sandbox';
import { startTelnyxSandbox } from '../sandbox/telnyx-sandbox';

const root = path.resolve(__dirname, '..');
const TEMPORAL_PORT = 7233;
const UI_PORT = 8233;
const SMTP_PORT = 1025;
const MAIL_UI_PORT = 1080;
const TELNYX_PORT = 4010;
const LOB_PORT = 4011;
/** Short enough to watch: the real default waits 48 hours for a bounce. */
const DEMO_BOUNCE_WINDOW = '20 seconds';

async function main(): Promise<void> {
  const config = loadConfig(path.join(root, 'temporal.yaml'));
  config.temporal.address = `127.0.0.1:${TEMPORAL_PORT}`;
  config.smtp = { ...config.smtp, host: '127.0.0.1', port: SMTP_PORT };
  const telnyx = await startTelnyxSandbox({ port: TELNYX_PORT, stepMs: 3000 });
  const lob = await startLobSandbox({ port: LOB_PORT });
  // Cy's fax number fails, so Cy gets a letter; Di's address is undeliverable, so Di is unreachable.
  telnyx.script.failNumbers.add('+13125550177');
  lob.script.undeliverable.add('1 Nowhere Rd');
  config.individuals = { ...config.individuals, bounceWindow: DEMO_BOUNCE_WINDOW, faxPollInterval: '2 seconds' };
  config.channels.fax = { ...config.channels.fax!, baseUrl: telnyx.baseUrl, apiKeyEnv: 'DEMO_TELNYX_API_KEY' };
  config.channels.postal = { ...config.channels.postal!, baseUrl: lob.baseUrl, apiKeyEnv: 'DEMO_LOB_API_KEY' };
  const env = { ...process.env, DEMO_TELNYX_API_KEY: telnyx.apiKey, DEMO_LOB_API_KEY: lob.apiKey };
  // The CLI copies the policy (bounce window included) into each breach it starts.
  const demoConfig = path.join(root, '.data', 'demo.yaml');

  console.log('Starting the Temporal dev server ...');
  const server = await startDevServer({ port: TEMPORAL_PORT, uiPort: UI_PORT, dbFile: path.join(root, '.data', 'temporal-dev.db') });
  const maildev = spawn(
    process.execPath,
    [path.join(root, 'node_modules', 'maildev', 'dist', 'bin', 'maildev.js'), '--smtp', String(SMTP_PORT), '--web', String(MAIL_UI_PORT), '--ip', '127.0.0.1', '--web-ip', '127.0.0.1', '--silent'],
    { stdio: 'ignore' },
  );

  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const transport = createMailTransport(config.smtp);
  writeFileSync(demoConfig, stringify(config));
  const worker = await createBreachWorkers({ config, connection, transport, env });
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
    await telnyx.stop();
    await lob.stop();
    await stopProcess(maildev);
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  await walkSampleBreach(demoConfig);

  console.log(`
The engine is running:
  Temporal Web UI   http://localhost:${UI_PORT}
  MailDev inbox     http://localhost:${MAIL_UI_PORT}   (authority notices and reminders land here)
  Temporal address  ${config.temporal.address}
  Telnyx sandbox    ${telnyx.baseUrl}   Lob sandbox ${lob.baseUrl}

In about ${DEMO_BOUNCE_WINDOW} every subject has a final state: Ada by email, Ben by fax after his
email bounced, Cy by letter after a failed fax, Di unreachable (no email or fax, undeliverable address).

Try the CLI in another terminal, e.g.:
  ./bin/breach --config .data/demo.yaml status <id>
  ./bin/breach --config .data/demo.yaml hold place <id> --agency "City Police" --case-ref CR-1 --reason "investigation" --by legal
  ./bin/breach --config .data/demo.yaml close <id> --by you

Press Ctrl-C to stop.`);
}

/** Runs the real CLI, showing each command as a person would type it. */
async function walkSampleBreach(demoConfig: string): Promise<void> {
  const id = `demo-${new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '')}`;
  const awareAt = subHours(new Date(), 5).toISOString();
  const steps: string[][] = [
    ['start', '--id', id, '--title', 'Customer database exposed', '--aware-at', awareAt,
      '--description', 'A misconfigured backup bucket exposed the customer database for 3 days.',
      '--reporter', 'Ines Responder', '--categories', 'names,email addresses,postal addresses',
      '--subjects', '1200', '--records', '1350', '--consequences', 'Phishing and identity fraud are possible.',
      '--measures', 'Bucket closed, credentials rotated, access logs under review.', '--contact', 'dpo@company.example',
      '--roster', path.join('demo', 'roster.csv')],
    ['hold', 'place', id, '--agency', 'National Cyber Crime Unit', '--case-ref', 'NCCU-2026-0142',
      '--reason', 'Notice would alert the suspects', '--by', 'Lena Legal'],
    ['assess', id, '--risk', 'high', '--rationale', 'Contact data usable for targeted phishing', '--by', 'Ines Responder'],
    // Refused while the hold is active; the refusal is part of the breach's record.
    ['close', id, '--by', 'Ines Responder'],
    ['hold', 'release', id, 'hold-1', '--reason', 'Suspects arrested; agency agrees to notice', '--by', 'Lena Legal'],
    ['bounce', id, 'd-ben', '--channel', 'email', '--reason', '550 5.1.1 mailbox unknown', '--by', 'Mo Mailops'],
    ['status', id],
  ];
  for (const args of steps) {
    console.log(`\n$ breach ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
    // Give the workflow a moment to send the first notices before the bounce and the status.
    if (args[0] === 'bounce' || args[0] === 'status') await new Promise((resolve) => setTimeout(resolve, 3000));
    // Asynchronously: the worker shares this process and must keep running meanwhile.
    const cli = spawn(path.join(root, 'bin', 'breach'), ['--config', demoConfig, ...args], { stdio: 'inherit', cwd: root });
    await once(cli, 'exit');
  }
}

main().catch((err) => {
  console.error(`demo: ${(err as Error).message}`);
  process.exit(1);
});
