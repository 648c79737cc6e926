/**
 * Benchmark of the individual-notification cascade (not a test: it prints figures).
 *
 *   npm run bench -- --subjects 10000 --window 200 --bounce-window '2 seconds'
 *
 * Starts its own Temporal dev server (in memory, headless), an SMTP sink, the Telnyx and Lob
 * sandboxes and one in-process worker, notifies a synthetic roster (80% email, 10% email that
 * bounces and then fax, 10% failing fax then letter) and then, on the same server, runs the same
 * number of trivial child workflows with one no-op activity each as a ceiling. Between the two it
 * audits the breach with the real `breach audit` CLI in its own process.
 *
 * Other flags: --timeout-minutes (30), --bounce-concurrency (32), --per-run (2000, ceiling parent
 * continue-as-new), --no-ceiling.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowUpdateFailedError, type WorkflowExecutionInfo } from '@temporalio/client';
import { msToNumber, type Duration } from '@temporalio/common/lib/time';
import { DefaultLogger, NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { stringify } from 'yaml';
import { createMailTransport } from '../activities/smtp';
import type { AuditExport } from '../audit/export-schema';
import { startBreachWorkflow } from '../client/start-breach';
import { configSchema, type EngineConfig } from '../config/schema';
import type { BreachFacts } from '../domain/breach';
import { breachWorkflowId } from '../domain/ids';
import { subjectWorkflowId } from '../domain/cascade';
import type { BreachStatus } from '../domain/status';
import { validateRosterFile } from '../roster/roster-file';
import { startDevServer, type DevServer } from '../sandbox/dev-server';
import { startLobSandbox } from '../sandbox/lob-sandbox';
import { startSmtpSink, type ReceivedMail } from '../sandbox/smtp-sink';
import { startTelnyxSandbox } from '../sandbox/telnyx-sandbox';
import { createBreachWorkers } from '../worker/breach-worker';
import { assessUpdate, statusQuery } from '../workflows/breach';
import { reportDeliveryUpdate } from '../workflows/notify-individual';
import { CeilingParent } from './ceiling-workflows';
import { freePort } from '../sandbox/ports';
import { findChildPid, flag, intFlag, limiter, mb, percentile, procMemory, rate, rssSampler, runMeasured, runWorker, secs, sleep } from './support';

// ---------------------------------------------------------------------------------------------
// Figures, printed at the end (or when the timeout guard fires)

const figures: [string, string][] = [];
function figure(name: string, value: string | number): void {
  const text = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(2)) : value;
  const existing = figures.find(([n]) => n === name);
  if (existing) existing[1] = text;
  else figures.push([name, text]);
}

function printFigures(title: string): void {
  const width = Math.max(...figures.map(([n]) => n.length), 10);
  console.log(`\n${title}`);
  console.log(`${'-'.repeat(width)}  ${'-'.repeat(24)}`);
  for (const [name, value] of figures) console.log(`${name.padEnd(width)}  ${value}`);
  console.log();
}

function log(message: string): void {
  console.log(`[bench +${((Date.now() - benchStart) / 1000).toFixed(1)}s] ${message}`);
}

const benchStart = Date.now();
const cleanups: { name: string; run: () => Promise<void> }[] = [];

async function cleanup(): Promise<void> {
  while (cleanups.length) {
    const { name, run } = cleanups.pop()!;
    try {
      await Promise.race([run(), sleep(40_000).then(() => Promise.reject(new Error('timed out')))]);
    } catch (err) {
      console.error(`[bench] stopping ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Setup

const argv = process.argv.slice(2);
const SUBJECTS = intFlag(argv, 'subjects', 10_000);
const WINDOW = intFlag(argv, 'window', 200);
const BOUNCE_WINDOW = flag(argv, 'bounce-window') ?? '2 seconds';
const TIMEOUT_MINUTES = intFlag(argv, 'timeout-minutes', 30);
const BOUNCE_CONCURRENCY = intFlag(argv, 'bounce-concurrency', 32);
const PER_RUN = intFlag(argv, 'per-run', 2000);
const CEILING = !argv.includes('--no-ceiling');
/** e.g. --max-per-second email=200,fax=50,postal=50; the configuration's defaults otherwise. */
const MAX_PER_SECOND = parseRates(flag(argv, 'max-per-second'));

function parseRates(raw: string | undefined): Record<string, number> | undefined {
  if (raw === undefined) return undefined;
  const rates: Record<string, number> = {};
  for (const part of raw.split(',')) {
    const [channel, value] = part.split('=');
    if (!channel || !value || !(Number(value) > 0)) throw new Error(`--max-per-second expects channel=rate,..., got ${raw}`);
    rates[channel.trim()] = Number(value);
  }
  return rates;
}
const BOUNCE_WINDOW_MS = msToNumber(BOUNCE_WINDOW as Duration);
const TELNYX_KEY_ENV = 'BENCH_TELNYX_KEY';
const LOB_KEY_ENV = 'BENCH_LOB_KEY';

function quietRuntime(): void {
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    // The bench handles SIGINT/SIGTERM itself: it prints what it has and stops everything.
    shutdownSignals: [],
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
}

function benchFacts(breachId: string): BreachFacts {
  return {
    breachId,
    title: 'Benchmark breach',
    description: 'A synthetic breach for the cascade benchmark.',
    awareAt: new Date().toISOString(),
    reporter: 'Bench Runner',
    dataCategories: ['names', 'email addresses', 'fax numbers', 'postal addresses'],
    approxSubjects: SUBJECTS,
    approxRecords: SUBJECTS,
    likelyConsequences: 'Phishing.',
    measures: 'Access revoked.',
    contactPoint: 'Dana DPO, dpo@company.test, +44 20 7946 0000',
  };
}

type Kind = 'email' | 'bounce' | 'postal';

/** 80% email, 10% email + fax (the email bounces), 10% failing fax + US address (a letter). */
function kindOf(i: number): Kind {
  const k = i % 10;
  return k < 8 ? 'email' : k === 8 ? 'bounce' : 'postal';
}

function writeRoster(dir: string): { file: string; bounce: Set<string>; failFaxes: Set<string>; expected: Record<Kind, number> } {
  const bounce = new Set<string>();
  const failFaxes = new Set<string>();
  const expected: Record<Kind, number> = { email: 0, bounce: 0, postal: 0 };
  const lines: string[] = [];
  for (let i = 0; i < SUBJECTS; i++) {
    const subjectId = `s${String(i).padStart(6, '0')}`;
    const kind = kindOf(i);
    expected[kind]++;
    const four = String(i % 10_000).padStart(4, '0');
    if (kind === 'email') {
      lines.push(JSON.stringify({ subjectId, fullName: `Person ${i}`, email: `p${i}@example.org` }));
    } else if (kind === 'bounce') {
      bounce.add(subjectId);
      lines.push(JSON.stringify({ subjectId, fullName: `Person ${i}`, email: `p${i}@example.org`, fax: `+1312555${four}` }));
    } else {
      const fax = `+1415555${four}`;
      failFaxes.add(fax);
      lines.push(
        JSON.stringify({
          subjectId,
          fullName: `Person ${i}`,
          fax,
          address: { lines: ['210 King St'], city: 'San Francisco', region: 'CA', postalCode: '94107', country: 'US' },
        }),
      );
    }
  }
  const file = path.join(dir, 'roster.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return { file, bounce, failFaxes, expected };
}

/** Close times of completed workflows whose id starts with `prefix`, waiting for visibility to catch up. */
async function closeTimes(client: Client, type: string, prefix: string, expected: number): Promise<{ times: number[]; query: string }> {
  const exact = `WorkflowType = '${type}' AND ExecutionStatus = 'Completed' AND WorkflowId STARTS_WITH '${prefix}'`;
  const loose = `WorkflowType = '${type}' AND ExecutionStatus = 'Completed'`;
  let query = exact;
  let times: number[] = [];
  for (let tries = 0; tries < 20; tries++) {
    const found: number[] = [];
    const collect = async (q: string, filter: boolean) => {
      for await (const info of client.workflow.list({ query: q, pageSize: 1000 }) as AsyncIterable<WorkflowExecutionInfo>) {
        if (filter && !info.workflowId.startsWith(prefix)) continue;
        if (info.closeTime) found.push(info.closeTime.getTime());
      }
    };
    try {
      await collect(query, query === loose);
    } catch (err) {
      if (query !== exact) throw err;
      log(`STARTS_WITH refused by the server (${err instanceof Error ? err.message : String(err)}); filtering client side`);
      query = loose;
      found.length = 0;
      await collect(query, true);
    }
    times = found;
    if (times.length >= expected) break;
    await sleep(500);
  }
  return { times, query: query === exact ? 'STARTS_WITH' : 'client-side filter' };
}

/** Events per run of a workflow id (all runs, oldest first). */
async function historyLengths(client: Client, workflowId: string): Promise<number[]> {
  const runs: { runId: string; start: number }[] = [];
  for await (const info of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push({ runId: info.runId, start: info.startTime.getTime() });
  runs.sort((a, b) => a.start - b.start);
  const lengths: number[] = [];
  for (const run of runs) {
    const history = await client.workflow.getHandle(workflowId, run.runId).fetchHistory();
    lengths.push(history.events?.length ?? 0);
  }
  return lengths;
}

/**
 * Audits the breach the way an auditor does, with `breach audit --format json --out FILE` in its
 * own process, so that the wall time and peak memory are the CLI's alone.
 */
async function measureAudit(client: Client, config: EngineConfig, breachId: string, dir: string): Promise<void> {
  const configFile = path.join(dir, 'audit-temporal.yaml');
  writeFileSync(configFile, stringify(config));
  const out = path.join(dir, 'audit.json');
  const cli = path.join(__dirname, '..', 'bin', 'breach');
  const { address, namespace } = config.temporal;
  log('auditing the breach with breach audit --format json');
  const audit = await runMeasured(process.execPath, [cli, '--config', configFile, '--address', address, '--namespace', namespace, 'audit', breachId, '--format', 'json', '--out', out], dir);
  if (audit.code !== 0) throw new Error(`breach audit exited with ${audit.code}: ${audit.stderr.trim()}`);
  const report = JSON.parse(readFileSync(out, 'utf8')) as AuditExport;
  const read = await historiesOf(client, breachId);
  figure('audit: wall time (breach audit --format json --out FILE)', secs(audit.ms));
  figure('audit: peak RSS of the audit process', mb(audit.peakRss));
  figure('audit: entries / findings', `${report.entries.length} / ${report.findings.length}`);
  figure('audit: histories read (breach runs / subject workflows)', `${read.breachRuns} / ${read.subjects}`);
  figure('audit: events read', read.events);
}

/** The histories an audit of the breach reads, and their events, as the server's visibility counts them. */
async function historiesOf(client: Client, breachId: string): Promise<{ breachRuns: number; subjects: number; events: number }> {
  const count = async (query: string) => {
    let histories = 0;
    let events = 0;
    for await (const info of client.workflow.list({ query, pageSize: 1000 })) {
      histories++;
      events += info.historyLength;
    }
    return { histories, events };
  };
  const breach = await count(`WorkflowId = '${breachWorkflowId(breachId)}'`);
  const subjects = await count(`WorkflowId STARTS_WITH '${breachWorkflowId(breachId)}-subject-'`);
  return { breachRuns: breach.histories, subjects: subjects.histories, events: breach.events + subjects.events };
}

function describeLengths(lengths: number[]): string {
  if (lengths.length === 0) return 'n/a';
  return `${lengths.length} run(s), max ${Math.max(...lengths)} events [${lengths.join(', ')}]`;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  figure('machine', `${os.cpus().length} cores, ${mb(os.totalmem())} RAM, node ${process.version}`);
  figure('subjects / window / bounce window', `${SUBJECTS} / ${WINDOW} / ${BOUNCE_WINDOW}`);
  quietRuntime();
  const rss = rssSampler(250);
  cleanups.push({ name: 'rss sampler', run: async () => rss.stop() });

  const port = await freePort();
  log(`starting the Temporal dev server on 127.0.0.1:${port}`);
  const server: DevServer = await startDevServer({ port });
  cleanups.push({ name: 'dev server', run: () => server.stop() });
  const serverPid = findChildPid(['start-dev', String(port)]);
  if (serverPid) {
    // Fail fast (instead of retrying gRPC calls until the timeout) if the server goes away.
    const alive = setInterval(() => {
      if (existsSync(`/proc/${serverPid}`)) return;
      clearInterval(alive);
      abort(`the Temporal dev server (pid ${serverPid}) exited during the run`);
    }, 1000);
    alive.unref();
    cleanups.push({ name: 'server watch', run: async () => clearInterval(alive) });
  }

  const sink = await startSmtpSink();
  cleanups.push({ name: 'smtp sink', run: () => sink.stop() });
  const telnyx = await startTelnyxSandbox({ stepMs: 20 });
  cleanups.push({ name: 'telnyx sandbox', run: () => telnyx.stop() });
  const lob = await startLobSandbox();
  cleanups.push({ name: 'lob sandbox', run: () => lob.stop() });

  const taskQueue = `bench-cascade-${process.pid}`;
  const config: EngineConfig = configSchema.parse({
    temporal: { address: server.address, namespace: 'default', taskQueue },
    authority: { name: 'Bench Authority', email: 'notices@authority.test' },
    notifications: { from: 'engine@company.test', responders: ['ir@company.test'], legal: ['legal@company.test'] },
    smtp: { host: '127.0.0.1', port: sink.port },
    individuals: {
      channels: ['email', 'fax', 'postal'],
      bounceWindow: BOUNCE_WINDOW,
      faxPollInterval: '500ms',
      window: WINDOW,
      pageSize: 200,
      continueAsNewAfterEvents: 10_000,
      templateDir: path.join(__dirname, '..', 'templates'),
      ...(MAX_PER_SECOND ? { maxPerSecond: MAX_PER_SECOND } : {}),
    },
    channels: {
      fax: { provider: 'telnyx', apiKeyEnv: TELNYX_KEY_ENV, connectionId: '1684641123236054244', from: '+13125550100', baseUrl: telnyx.baseUrl },
      postal: {
        provider: 'lob',
        apiKeyEnv: LOB_KEY_ENV,
        baseUrl: lob.baseUrl,
        from: { name: 'Privacy Office', address_line1: '185 Berry St Ste 6100', address_city: 'San Francisco', address_state: 'CA', address_zip: '94107', address_country: 'US' },
      },
    },
  });

  const limits = config.individuals.maxPerSecond;
  figure('channel rate limits (activities/s per task queue)', `email ${limits.email}, fax ${limits.fax}, postal ${limits.postal}`);

  const connection = await Connection.connect({ address: server.address });
  cleanups.push({ name: 'client connection', run: () => connection.close() });
  const client = new Client({ connection, identity: 'cascade bench' });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  cleanups.push({ name: 'worker connection', run: () => nativeConnection.close() });
  const transport = createMailTransport(config.smtp);
  cleanups.push({ name: 'mail transport', run: async () => transport.close() });

  log('bundling workflows and starting the breach workers (main + one per channel)');
  const worker = await createBreachWorkers({ config, connection: nativeConnection, transport, env: { [TELNYX_KEY_ENV]: telnyx.apiKey, [LOB_KEY_ENV]: lob.apiKey } });
  const stopWorker = runWorker(worker);
  cleanups.push({ name: 'breach worker', run: stopWorker });

  // Roster
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-bench-'));
  cleanups.push({ name: 'roster dir', run: async () => rmSync(dir, { recursive: true, force: true }) });
  const roster = writeRoster(dir);
  for (const fax of roster.failFaxes) telnyx.script.failNumbers.add(fax);
  const validation = await validateRosterFile(roster.file);
  if (validation.invalid.length > 0) throw new Error(`synthetic roster has ${validation.invalid.length} invalid rows, e.g. line ${validation.invalid[0]?.line}: ${validation.invalid[0]?.problem}`);
  figure('roster mix (email / bounce→fax / fax-fail→letter)', `${roster.expected.email} / ${roster.expected.bounce} / ${roster.expected.postal}`);

  const breachId = `bench${Date.now()}`;
  const { handle } = await startBreachWorkflow(client, config, benchFacts(breachId), undefined, { ref: validation.ref, total: validation.valid });

  // Bounce driver: watches the sink and reports a bounce for every accepted email of a bounce subject.
  const bounceStats = { sent: 0, retries: 0, missed: 0, latencies: [] as number[] };
  const limit = limiter(BOUNCE_CONCURRENCY);
  const prefix = `<notice.${breachId}.`;
  let seen = 0;
  let watching = true;
  const inflight = new Set<Promise<void>>();
  const bounceOne = async (subjectId: string, mail: ReceivedMail) => {
    const child = client.workflow.getHandle(subjectWorkflowId(breachId, subjectId));
    const deadline = mail.receivedAt.getTime() + BOUNCE_WINDOW_MS;
    for (;;) {
      try {
        await child.executeUpdate(reportDeliveryUpdate, { args: [{ channel: 'email', reason: '550 5.1.1 mailbox unknown (bench)', by: 'bench' }] });
        bounceStats.sent++;
        bounceStats.latencies.push(Date.now() - mail.receivedAt.getTime());
        return;
      } catch (err) {
        // The child has not recorded the accepted email yet (or is not there yet): try again.
        if (Date.now() > deadline + 5_000) {
          bounceStats.missed++;
          if (bounceStats.missed <= 3) log(`bounce for ${subjectId} not accepted: ${err instanceof WorkflowUpdateFailedError ? (err.cause?.message ?? err.message) : String(err)}`);
          return;
        }
        bounceStats.retries++;
        await sleep(100);
      }
    }
  };
  const watcher = (async () => {
    while (watching) {
      for (; seen < sink.messages.length; seen++) {
        const mail = sink.messages[seen]!;
        if (!mail.messageId.startsWith(prefix)) continue;
        const subjectId = mail.messageId.slice(prefix.length, mail.messageId.indexOf('@'));
        if (!roster.bounce.has(subjectId)) continue;
        const task: Promise<void> = limit(() => bounceOne(subjectId, mail)).finally(() => inflight.delete(task));
        inflight.add(task);
      }
      await sleep(20);
    }
  })();

  // Assess and wait until every subject is final.
  rss.reset();
  log(`assessing high; ${SUBJECTS} subjects to notify`);
  const t0 = Date.now();
  await handle.executeUpdate(assessUpdate, { args: [{ risk: 'high', rationale: 'Benchmark', by: 'Bench Runner' }] });
  figure('assess update latency', secs(Date.now() - t0));

  let status: BreachStatus | undefined;
  let tDone = NaN;
  let lastLog = Date.now();
  let queryFailures = 0;
  let slowestQuery = 0;
  for (;;) {
    const asked = Date.now();
    try {
      status = await handle.query(statusQuery);
      slowestQuery = Math.max(slowestQuery, Date.now() - asked);
    } catch (err) {
      queryFailures++;
      if (queryFailures <= 3) log(`status query failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    const i = status?.individuals;
    if (status?.fanOutError) throw new Error(`fan-out stopped: ${status.fanOutError}`);
    if (i) {
      const final = i.notifiedByEmail + i.notifiedByFax + i.notifiedByPostal + i.unreachable;
      figure('cascade: subjects final', `${final} of ${SUBJECTS}`);
      if (i.pending + i.inProgress === 0 && final >= validation.valid) {
        tDone = Date.now();
        break;
      }
      if (Date.now() - lastLog >= 10_000) {
        lastLog = Date.now();
        log(`final ${final}, in progress ${i.inProgress}, pending ${i.pending}, ${rate(final, Date.now() - t0).toFixed(1)}/s, rss ${mb(process.memoryUsage().rss)}, bounces ${bounceStats.sent}`);
      }
    }
    await sleep(Math.max(0, 1000 - (Date.now() - asked)));
  }
  const cascadeMs = tDone - t0;
  const cascadePeakRss = rss.peak();
  watching = false;
  await watcher;
  await Promise.all(inflight);

  const ind = status!.individuals;
  figure('cascade: wall time (assess → all final, 1 s polls)', secs(cascadeMs));
  figure('cascade: subjects/s', rate(SUBJECTS, cascadeMs));
  figure(
    'cascade: outcome email / fax / postal / unreachable',
    `${ind.notifiedByEmail} / ${ind.notifiedByFax} / ${ind.notifiedByPostal} / ${ind.unreachable} (expected ${roster.expected.email} / ${roster.expected.bounce} / ${roster.expected.postal} / 0)`,
  );
  figure(
    'cascade: bounces reported / retried / missed',
    `${bounceStats.sent} / ${bounceStats.retries} / ${bounceStats.missed} (mail→accepted p50 ${secs(percentile(bounceStats.latencies, 50))}, p99 ${secs(percentile(bounceStats.latencies, 99))})`,
  );
  figure('cascade: worker peak RSS (in-process)', mb(cascadePeakRss));
  figure('cascade: slowest status query / failed', `${secs(slowestQuery)} / ${queryFailures}`);

  const children = await closeTimes(client, 'NotifyIndividual', `breach-${breachId}-subject-`, SUBJECTS);
  const perSubject = children.times.map((t) => t - t0);
  figure(`cascade: children listed (${children.query})`, children.times.length);
  figure('cascade: assess → subject final p50 / p99 / max', `${secs(percentile(perSubject, 50))} / ${secs(percentile(perSubject, 99))} / ${secs(Math.max(...perSubject))}`);
  const lengths = await historyLengths(client, breachWorkflowId(breachId));
  figure('cascade: parent history', describeLengths(lengths));
  if (serverPid) figure('dev server RSS after cascade (now / peak)', `${mb(procMemory(serverPid)?.rss)} / ${mb(procMemory(serverPid)?.hwm)}`);
  figure('mails / faxes / letters in sandboxes', `${sink.messages.length} / ${telnyx.faxes.length} / ${lob.letters.length}`);

  await measureAudit(client, config, breachId, dir);

  // Ceiling: the same number of trivial children through the same server and one worker.
  if (CEILING) {
    log('stopping the breach worker; starting the ceiling worker');
    await stopWorker();
    const ceilingQueue = `bench-ceiling-${process.pid}`;
    const ceilingWorker = await Worker.create({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue: ceilingQueue,
      workflowsPath: path.join(__dirname, 'ceiling-workflows.ts'),
      activities: { noop: async () => undefined },
    });
    const stopCeiling = runWorker(ceilingWorker);
    cleanups.push({ name: 'ceiling worker', run: stopCeiling });

    rss.reset();
    const parentId = `ceiling-${Date.now()}`;
    log(`ceiling: ${SUBJECTS} no-op children, window ${WINDOW}, continue-as-new every ${PER_RUN}`);
    const c0 = Date.now();
    await client.workflow.execute(CeilingParent, { workflowId: parentId, taskQueue: ceilingQueue, args: [{ total: SUBJECTS, window: WINDOW, done: 0, perRun: PER_RUN }] });
    const ceilingMs = Date.now() - c0;
    const ceilingPeakRss = rss.peak();
    figure('ceiling: wall time', secs(ceilingMs));
    figure('ceiling: children/s', rate(SUBJECTS, ceilingMs));
    figure('ceiling: worker peak RSS (in-process)', mb(ceilingPeakRss));
    const ceilingChildren = await closeTimes(client, 'CeilingChild', `${parentId}-child-`, SUBJECTS);
    const perChild = ceilingChildren.times.map((t) => t - c0);
    figure('ceiling: start → child final p50 / p99', `${secs(percentile(perChild, 50))} / ${secs(percentile(perChild, 99))}`);
    figure('ceiling: parent history', describeLengths(await historyLengths(client, parentId)));
    figure('ratio cascade / ceiling (subjects/s)', rate(SUBJECTS, cascadeMs) / rate(SUBJECTS, ceilingMs));
    await stopCeiling();
  }
  if (serverPid) figure('dev server RSS at end (now / peak)', `${mb(procMemory(serverPid)?.rss)} / ${mb(procMemory(serverPid)?.hwm)}`);
  figure('bench process peak RSS (overall, incl. bundling)', mb(process.resourceUsage().maxRSS * 1024));
  figure('total bench time', secs(Date.now() - benchStart));
}

let aborting = false;
function abort(reason: string): void {
  if (aborting) process.exit(1);
  aborting = true;
  console.error(`[bench] ${reason}`);
  printFigures(`Figures so far (${reason})`);
  void Promise.race([cleanup(), sleep(30_000)]).finally(() => process.exit(1));
}

const guard = setTimeout(() => abort(`timed out after ${TIMEOUT_MINUTES} minutes`), TIMEOUT_MINUTES * 60_000);
process.on('SIGINT', () => abort('interrupted (SIGINT)'));
process.on('SIGTERM', () => abort('terminated (SIGTERM)'));

main()
  .then(async () => {
    clearTimeout(guard);
    printFigures('Cascade benchmark');
    await cleanup();
    process.exit(0);
  })
  .catch(async (err: unknown) => {
    clearTimeout(guard);
    console.error(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    printFigures('Figures so far (FAILED)');
    await Promise.race([cleanup(), sleep(30_000)]);
    process.exit(1);
  });
