/**
 * `npm run demo`: the engine on its embedded default. Starts the local stack (the Temporal dev
 * server with SQLite in .data/ and its Web UI, MailDev with a web inbox, the Telnyx and Lob
 * sandboxes and the worker), then walks a sample breach through the real `breach` CLI, with a
 * roster in which every branch of the cascade happens. It keeps running so the CLI can be tried
 * against it; Ctrl-C stops everything.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { subHours } from 'date-fns/subHours';
import type { Client } from '@temporalio/client';
import { findSubjectCohort } from '../client/subject-cohort';
import { loadConfig } from '../config/load';
import type { EngineConfig } from '../config/schema';
import { startLocalStack, type LocalStack } from '../sandbox/local-stack';

const root = path.resolve(__dirname, '..');
const DEMO_CONFIG = path.join(root, '.data', 'demo.yaml');
/** Short enough to watch: the real default waits 48 hours for a bounce. */
const DEMO_BOUNCE_WINDOW = '20 seconds';
/** The roster's subject whose email bounces. */
const BOUNCING_SUBJECT = 'd-ben';

/**
 * Cohorts of two, so the four people travel in two cohort workflows as a large roster would in
 * hundreds, and batches of two to match: a channel's task queue admits maxPerSecond / batchSize
 * batches a second, which for the fax's 10 a second in batches of 100 would be one every ten
 * seconds. People moving to the next channel wait two seconds instead of ten.
 */
function configure(config: EngineConfig): void {
  config.individuals = { ...config.individuals, bounceWindow: DEMO_BOUNCE_WINDOW, faxPollInterval: '2 seconds', fallbackDelay: '2 seconds', cohortSize: 2, batchSize: 2 };
}

async function main(): Promise<void> {
  console.log('Starting the Temporal dev server, MailDev, the Telnyx and Lob sandboxes and the worker ...');
  const stack = await startLocalStack({
    temporal: { port: 7233, uiPort: 8233, dbFile: path.join(root, '.data', 'temporal-dev.db') },
    mail: { maildev: { smtpPort: 1025, webPort: 1080 } },
    telnyx: { port: 4010, stepMs: 3000 },
    lob: { port: 4011 },
    config: loadConfig(path.join(root, 'temporal.yaml')),
    configure,
    // The CLI copies the policy (bounce window and cohort size included) into each breach it starts.
    configFile: DEMO_CONFIG,
    // The demo stops on Ctrl-C itself: the worker first, then everything else.
    runtime: { logLevel: 'ERROR', shutdownSignals: [] },
    identity: 'demo',
  });
  // Cy's fax number fails, so Cy gets a letter; Di's address is undeliverable, so Di is unreachable.
  stack.telnyx!.script.failNumbers.add('+13125550177');
  stack.lob!.script.undeliverable.add('1 Nowhere Rd');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the worker, the sandboxes, MailDev and the dev server ...');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  await walkSampleBreach(stack);

  console.log(`
The engine is running:
  Temporal Web UI   http://localhost:8233
  MailDev inbox     ${stack.mailWebUrl}   (notices to Ada and Ben, the authority notice and reminders land here)
  Temporal address  ${stack.config.temporal.address}
  Telnyx sandbox    ${stack.telnyx!.baseUrl}   Lob sandbox ${stack.lob!.baseUrl}

Within about ${DEMO_BOUNCE_WINDOW} every subject has a final state: Ada by email (no bounce within
the window), Ben by fax after his email bounced, Cy by letter after a failed fax, Di unreachable
(no email or fax, an undeliverable address).

Try the CLI in another terminal, e.g.:
  ./bin/breach --config .data/demo.yaml status <id>
  ./bin/breach --config .data/demo.yaml bounce <id> d-cy --channel postal --reason "returned: no such street"
  ./bin/breach --config .data/demo.yaml hold place <id> --agency "City Police" --case-ref CR-1 --reason "investigation" --by legal
  ./bin/breach --config .data/demo.yaml close <id> --by you

Press Ctrl-C to stop.`);
}

/** Runs the real CLI, showing each command as a person would type it. */
async function walkSampleBreach(stack: LocalStack): Promise<void> {
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
    ['bounce', id, BOUNCING_SUBJECT, '--channel', 'email', '--reason', '550 5.1.1 mailbox unknown', '--by', 'Mo Mailops'],
    ['status', id],
  ];
  for (const args of steps) {
    // A bounce can only be reported once the email went out; the status is worth a moment's wait too.
    if (args[0] === 'bounce') await emailAwaitingReport(stack.client, id, BOUNCING_SUBJECT);
    if (args[0] === 'status') await new Promise((resolve) => setTimeout(resolve, 3000));
    console.log(`\n$ breach ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
    // Asynchronously: the worker shares this process and must keep running meanwhile.
    const cli = spawn(path.join(root, 'bin', 'breach'), ['--config', DEMO_CONFIG, ...args], { stdio: 'inherit', cwd: root });
    await once(cli, 'exit');
  }
}

/** Waits (up to 30 s) until the subject's cohort has sent the email and waits for its bounce report. */
async function emailAwaitingReport(client: Client, breachId: string, subjectId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const view = await findSubjectCohort(client, breachId, subjectId).catch(() => undefined);
    if (view?.state === 'awaiting-report' && view.channel === 'email') return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

main().catch((err) => {
  console.error(`demo: ${(err as Error).message}`);
  process.exit(1);
});
