/**
 * Benchmark of notifying individuals in cohorts (not a test: it prints figures).
 *
 *   npm run bench -- --subjects 10000 [--bounce-window '60 seconds'] [--sending-cohorts N] [--batch-size 100] [--one-worker | --worker-processes workflows/fax,postal/email]
 *                    [--timeout-minutes 30] [--ceiling-runs 3]
 *                    [--fallback-delay '10 seconds'] [--fax-poll-interval '30 seconds'] [--max-cached-workflows N]
 *   npm run bench -- --subjects 100000 --production-bounce-window
 *
 * Starts the local stack (sandbox/local-stack.ts: an in-memory dev server, an SMTP sink, the
 * Telnyx and Lob sandboxes) with the worker as `npm run worker` in processes of their own, so that
 * their memory is their own: one for the workflows, one for faxes and letters (so that rendering
 * PDFs and the vendors' calls never delay a workflow task), one for the email channel (`--queues
 * email`), so that email sending has a core to itself; `--one-worker` runs one process that polls
 * everything. First three small breaches measure how long an assessment takes to put
 * the first email into the sink. Then one breach with a synthetic roster: 80% email accepted;
 * 10% email accepted, then bounced at a random time within the bounce window (reported to the
 * person's cohort, as a bounce processor would), then fax delivered; 10% without email whose fax
 * fails, then a letter; 0.1% unreachable (no email, no fax, an undeliverable address). It
 * measures the time from assessment until every reachable person was sent a first notice (as
 * the SMTP sink and the fax sandbox saw it) and until every person is final (the breach's
 * status), the history events per person across the breach's workflows, the worker's and dev
 * server's memory, and the CPU time each process of the stack spent per email until every first
 * notice was sent. Last, the ceiling: the same emails sent by the same SMTP transport and
 * renderer without Temporal (bench/smtp-ceiling.ts, in a process of its own), three times by
 * default, the engine compared with the median.
 *
 * --production-bounce-window uses the default bounce window of 48 hours, reports only the time
 * until every person was sent a first notice, and stops there.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { startBreachWorkflow } from '../client/start-breach';
import type { EngineConfig } from '../config/schema';
import type { BreachFacts } from '../domain/breach';
import type { DeliveryReport } from '../domain/cascade';
import { breachWorkflowId, cohortOfWorkflowId, cohortWorkflowId, cohortWorkflowIdPrefix, noticeOfFaxClientState, noticeOfMessageId } from '../domain/ids';
import type { BreachStatus } from '../domain/status';
import { validateRosterFile } from '../roster/roster-file';
import { startLocalStack, type LocalStack } from '../sandbox/local-stack';
import type { SmtpSink } from '../sandbox/smtp-sink';
import type { TelnyxSandbox } from '../sandbox/telnyx-sandbox';
import { assessUpdate, statusQuery } from '../workflows/messages/breach';
import { reportDeliveryUpdate } from '../workflows/messages/cohort';
import { WORKER_ROLES, parseWorkerRoles, type WorkerRole } from '../worker/roles';
import type { CeilingJob } from './smtp-ceiling';
import { durationMs } from '../config/duration';
import { cpuMs, durationFlag, findChildPid, flag, intFlag, limiter, mb, percentile, procMemory, rate, rssSampler, runMeasured, secs, sleep } from './support';

// ---------------------------------------------------------------------------------------------
// Flags and the benchmark's configuration

const argv = process.argv.slice(2);
const SUBJECTS = intFlag(argv, 'subjects', 10_000);
const PRODUCTION = argv.includes('--production-bounce-window');
const BOUNCE_WINDOW = PRODUCTION ? '48 hours' : (durationFlag(argv, 'bounce-window') ?? '60 seconds');
const BOUNCE_WINDOW_MS = durationMs(BOUNCE_WINDOW);
const TIMEOUT_MINUTES = intFlag(argv, 'timeout-minutes', 30);
/**
 * As temporal.yaml ships them unless given: a shorter fallback delay or fax poll interval makes
 * the cohorts' fax batches and polls smaller and more frequent, which costs the email phase CPU.
 */
const FALLBACK_DELAY = durationFlag(argv, 'fallback-delay');
const FAX_POLL_INTERVAL = durationFlag(argv, 'fax-poll-interval');
/** Cohorts sending first notices at once, as temporal.yaml ships it unless given: how many email batches are in flight. */
const SENDING_COHORTS = intFlag(argv, 'sending-cohorts');
/** Messages per batch activity. */
const BATCH_SIZE = intFlag(argv, 'batch-size', 100);
/** Workflows each worker process keeps in memory between tasks, as temporal.yaml ships it unless given. */
const MAX_CACHED_WORKFLOWS = intFlag(argv, 'max-cached-workflows');
/** Pooled SMTP connections of the engine and of the ceiling alike. */
const SMTP_CONNECTIONS = intFlag(argv, 'smtp-connections', 5);
/** The worker processes and what each polls: `--worker-processes workflows/fax,postal/email` names them, `--one-worker` runs one polling everything. */
const WORKER_PROCESSES: WorkerRole[][] = argv.includes('--one-worker') ? [[...WORKER_ROLES]] : workerProcesses(flag(argv, 'worker-processes') ?? 'workflows/fax,postal/email');
function workerProcesses(text: string): WorkerRole[][] {
  try {
    return text.split('/').map(parseWorkerRoles);
  } catch (err) {
    // The roles' parser speaks of the worker's own --queues; here the list came from this flag.
    throw new Error(`--worker-processes '${text}': ${(err as Error).message.replace(' in --queues', '')}`);
  }
}

/** Small breaches whose assess → first email latency is measured before the big one. */
const LATENCY_RUNS = 3;
const BOUNCES_AT_ONCE = 32;
const STATUS_POLL_MS = 500;
/** Runs of the ceiling, whose median the engine is compared with. */
const CEILING_RUNS = intFlag(argv, 'ceiling-runs', 3);

/**
 * Email may send far faster than the SMTP path can take, so the sink and the transport are the
 * limit; fax and post just fast enough not to hold the sandboxes back.
 */
function configure(config: EngineConfig): void {
  config.temporal.taskQueue = `bench-${process.pid}`;
  config.smtp.maxConnections = SMTP_CONNECTIONS;
  if (MAX_CACHED_WORKFLOWS) config.temporal.maxCachedWorkflows = MAX_CACHED_WORKFLOWS;
  config.individuals = {
    ...config.individuals,
    bounceWindow: BOUNCE_WINDOW,
    cohortSize: 500,
    ...(SENDING_COHORTS ? { sendingCohorts: SENDING_COHORTS } : {}),
    batchSize: BATCH_SIZE,
    maxPerSecond: { email: 5000, fax: 500, postal: 500 },
    ...(FAX_POLL_INTERVAL ? { faxPollInterval: FAX_POLL_INTERVAL } : {}),
    ...(FALLBACK_DELAY ? { fallbackDelay: FALLBACK_DELAY } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Figures, printed at the end (or when the run is cut short)

const figures: [string, string][] = [];
function figure(name: string, value: string | number): void {
  const text = typeof value === 'number' ? (Number.isInteger(value) ? value.toLocaleString('en') : value.toFixed(2)) : value;
  const existing = figures.find(([n]) => n === name);
  if (existing) existing[1] = text;
  else figures.push([name, text]);
}

function printFigures(title: string): void {
  const width = Math.max(...figures.map(([n]) => n.length), 10);
  console.log(`\n${title}\n`);
  console.log(`| ${'figure'.padEnd(width)} | value |`);
  console.log(`|${'-'.repeat(width + 2)}|-------|`);
  for (const [name, value] of figures) console.log(`| ${name.padEnd(width)} | ${value} |`);
  console.log();
}

const benchStart = Date.now();
function log(message: string): void {
  console.log(`[bench +${((Date.now() - benchStart) / 1000).toFixed(1)}s] ${message}`);
}

/** Other work on the machine (colleagues' test runs) changes the figures; the table says how much there was. */
function otherLoad(): string {
  const vitest = countProcesses('vitest');
  return `${vitest} vitest process(es), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')}`;
}

function countProcesses(word: string): number {
  let count = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(word)) count++;
    } catch {
      // Gone while we looked.
    }
  }
  return count;
}

// ---------------------------------------------------------------------------------------------
// The synthetic roster

type Kind = 'email' | 'bounce' | 'letter' | 'unreachable';

/** 80% email, 10% email that bounces then fax, 10% failing fax then letter, of which every thousandth person is unreachable. */
function kindOf(row: number): Kind {
  if (row % 1000 === 999) return 'unreachable';
  const k = row % 10;
  return k < 8 ? 'email' : k === 8 ? 'bounce' : 'letter';
}

const subjectIdOf = (row: number) => `s${String(row).padStart(6, '0')}`;
const rowOf = (subjectId: string) => Number(subjectId.slice(1));
const UNDELIVERABLE_LINE = '1 Nowhere Rd';

function rosterLine(row: number): { line: string; failingFax?: string } {
  const subjectId = subjectIdOf(row);
  const base = { subjectId, fullName: `Person ${row}` };
  const four = String(row % 10_000).padStart(4, '0');
  switch (kindOf(row)) {
    case 'email':
      return { line: JSON.stringify({ ...base, email: `p${row}@example.org` }) };
    case 'bounce':
      return { line: JSON.stringify({ ...base, email: `p${row}@example.org`, fax: `+1312555${four}` }) };
    case 'letter': {
      const fax = `+1415555${four}`;
      return { line: JSON.stringify({ ...base, fax, address: { lines: ['210 King St'], city: 'San Francisco', region: 'CA', postalCode: '94107', country: 'US' } }), failingFax: fax };
    }
    case 'unreachable':
      return { line: JSON.stringify({ ...base, address: { lines: [UNDELIVERABLE_LINE], city: 'Springfield', region: 'IL', postalCode: '62701', country: 'US' } }) };
  }
}

function writeRoster(file: string, rows: number): { expected: Record<Kind, number>; failingFaxes: Set<string> } {
  const expected: Record<Kind, number> = { email: 0, bounce: 0, letter: 0, unreachable: 0 };
  const failingFaxes = new Set<string>();
  const lines: string[] = [];
  for (let row = 0; row < rows; row++) {
    expected[kindOf(row)]++;
    const { line, failingFax } = rosterLine(row);
    lines.push(line);
    if (failingFax) failingFaxes.add(failingFax);
  }
  writeFileSync(file, lines.join('\n') + '\n');
  return { expected, failingFaxes };
}

function benchFacts(breachId: string, subjects: number): BreachFacts {
  return {
    breachId,
    title: 'Benchmark breach',
    description: 'A synthetic breach for the cascade benchmark.',
    awareAt: new Date().toISOString(),
    reporter: 'Bench Runner',
    dataCategories: ['names', 'email addresses', 'fax numbers', 'postal addresses'],
    approxSubjects: subjects,
    approxRecords: subjects,
    likelyConsequences: 'Phishing.',
    measures: 'Access revoked.',
    contactPoint: 'Dana DPO, dpo@company.test, +44 20 7946 0000',
  };
}

async function startBenchBreach(stack: LocalStack, breachId: string, file: string, subjects: number) {
  const validation = await validateRosterFile(file);
  if (validation.invalid.length > 0) throw new Error(`the synthetic roster has ${validation.invalid.length} invalid rows, e.g. line ${validation.invalid[0]?.line}: ${validation.invalid[0]?.problem}`);
  const { handle } = await startBreachWorkflow(stack.client, stack.config, benchFacts(breachId, subjects), undefined, { ref: validation.ref, total: validation.valid });
  return handle;
}

const assessHigh = { risk: 'high' as const, rationale: 'Benchmark', by: 'Bench Runner' };

// ---------------------------------------------------------------------------------------------
// What the providers saw: the first notice of every person, and the bounces it triggers

/**
 * Watches the SMTP sink and the fax sandbox for the breach's notices: the first email of each
 * person and the first fax of each person without email (their first notice). Notices are told
 * apart by the notice id they carry, which also names the cohort; a cohort other than the one
 * the roster position gives would mean the fan-out planned the roster wrongly.
 */
function watchProviders(sink: SmtpSink, telnyx: TelnyxSandbox, breachId: string, cohortSize: number, onEmail: (subjectId: string, receivedAt: number) => void) {
  const emails = new Map<string, number>();
  const firstFaxes = new Map<string, number>();
  let wrongCohort = 0;
  let mailsSeen = 0;
  let faxesSeen = 0;
  let watching = true;
  const scan = () => {
    for (; mailsSeen < sink.messages.length; mailsSeen++) {
      const mail = sink.messages[mailsSeen]!;
      const ref = noticeOfMessageId(mail.messageId);
      if (ref?.breachId !== breachId || emails.has(ref.subjectId)) continue;
      if (ref.cohort !== Math.floor(rowOf(ref.subjectId) / cohortSize)) wrongCohort++;
      emails.set(ref.subjectId, mail.receivedAt.getTime());
      onEmail(ref.subjectId, mail.receivedAt.getTime());
    }
    for (; faxesSeen < telnyx.faxes.length; faxesSeen++) {
      const fax = telnyx.faxes[faxesSeen]!;
      const ref = noticeOfFaxClientState(fax.clientState);
      if (ref?.breachId !== breachId || kindOf(rowOf(ref.subjectId)) !== 'letter' || firstFaxes.has(ref.subjectId)) continue;
      firstFaxes.set(ref.subjectId, fax.createdAt.getTime());
    }
  };
  const loop = (async () => {
    while (watching) {
      scan();
      await sleep(20);
    }
    scan();
  })();
  const times = (m: Map<string, number>) => [...m.values()];
  return {
    emails: () => emails.size,
    firstFaxes: () => firstFaxes.size,
    wrongCohort: () => wrongCohort,
    firstEmailAt: () => Math.min(...times(emails)),
    lastEmailAt: () => Math.max(...times(emails)),
    lastFirstFaxAt: () => Math.max(...times(firstFaxes)),
    stop: async () => {
      watching = false;
      await loop;
    },
  };
}

/**
 * Reports each bounce person's email as bounced at a random moment of the bounce window after
 * the sink accepted it, to the person's cohort, as a bounce processor would. The moment is drawn
 * from all but the window's last tenth (at most 5 s): the cohort's window starts when the batch's
 * evidence is recorded, a little after the sink accepted the mail, and a report meant for the
 * window must not race its end.
 */
function bounceReporter(client: Client, breachId: string, cohortSize: number) {
  const stats = { scheduled: 0, accepted: 0, refused: 0, failed: 0, latencies: [] as number[] };
  const limit = limiter(BOUNCES_AT_ONCE);
  const inflight = new Set<Promise<void>>();
  const span = BOUNCE_WINDOW_MS - Math.min(5_000, BOUNCE_WINDOW_MS / 10);

  const report = async (subjectId: string): Promise<void> => {
    const handle = client.workflow.getHandle(cohortWorkflowId(breachId, Math.floor(rowOf(subjectId) / cohortSize)));
    const bounce: DeliveryReport = { subjectId, channel: 'email', reason: '550 5.1.1 mailbox unknown (bench)', source: 'bench' };
    for (let attempt = 1; ; attempt++) {
      const asked = Date.now();
      try {
        // A cohort that cannot take the report (its workflow task failing) must not hold a slot for ever.
        await client.withDeadline(Date.now() + 10_000, () => handle.executeUpdate(reportDeliveryUpdate, { args: [bounce] }));
        stats.accepted++;
        stats.latencies.push(Date.now() - asked);
        return;
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          if (++stats.refused <= 3) log(`bounce for ${subjectId} refused: ${err.cause?.message ?? err.message}`);
          return;
        }
        if (attempt === 5) {
          if (++stats.failed <= 3) log(`bounce for ${subjectId} failed: ${err instanceof Error ? err.message : String(err)}`);
          return;
        }
        await sleep(500 * attempt);
      }
    }
  };

  return {
    stats,
    schedule(subjectId: string, receivedAt: number): void {
      stats.scheduled++;
      const delay = Math.max(0, receivedAt + Math.random() * span - Date.now());
      const task: Promise<void> = sleep(delay)
        .then(() => limit(() => report(subjectId)))
        .finally(() => inflight.delete(task));
      inflight.add(task);
    },
    settled: () => Promise.all(inflight),
  };
}

// ---------------------------------------------------------------------------------------------
// Histories and state size

interface HistoryCount {
  breachRuns: number;
  breachEvents: number;
  cohorts: number;
  cohortRuns: number;
  cohortEvents: number;
  longestRun: number;
}

/**
 * Events in every run of the breach and of its cohorts. A closed run's length is in visibility;
 * a running one's is asked of the server (visibility updates it only now and then).
 */
async function historyEvents(client: Client, breachId: string, cohorts: number): Promise<HistoryCount> {
  for (let tries = 0; ; tries++) {
    const count: HistoryCount = { breachRuns: 0, breachEvents: 0, cohorts: 0, cohortRuns: 0, cohortEvents: 0, longestRun: 0 };
    const seen = new Set<number>();
    const add = async (query: string, kind: 'breach' | 'cohort') => {
      for await (const info of client.workflow.list({ query, pageSize: 1000 })) {
        const events = info.status.name === 'RUNNING' ? (await client.workflow.getHandle(info.workflowId, info.runId).describe()).historyLength : info.historyLength;
        count.longestRun = Math.max(count.longestRun, events);
        if (kind === 'breach') {
          count.breachRuns++;
          count.breachEvents += events;
        } else {
          const cohort = cohortOfWorkflowId(info.workflowId);
          if (cohort?.breachId !== breachId) continue;
          seen.add(cohort.cohort);
          count.cohortRuns++;
          count.cohortEvents += events;
        }
      }
    };
    await add(`WorkflowId = '${breachWorkflowId(breachId)}'`, 'breach');
    await add(`WorkflowId STARTS_WITH '${cohortWorkflowIdPrefix(breachId)}'`, 'cohort');
    count.cohorts = seen.size;
    // Visibility lags a little behind the workflows; every cohort has a sending and a delivered run by now.
    if ((count.cohorts >= cohorts && count.cohortRuns >= 2 * cohorts) || tries === 20) return count;
    await sleep(1000);
  }
}

/** The JSON length of the snapshot the breach's latest run was started with, when it continued as new. */
async function carriedSnapshotLength(client: Client, breachId: string): Promise<number | undefined> {
  const handle = client.workflow.getHandle(breachWorkflowId(breachId));
  const history = await handle.fetchHistory();
  const data = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  if (!data) return undefined;
  const input = JSON.parse(Buffer.from(data).toString('utf8')) as { carried?: unknown };
  return input.carried === undefined ? undefined : JSON.stringify(input.carried).length;
}

// ---------------------------------------------------------------------------------------------
// The phases

/** Assess → first email at the sink, for small breaches on the idle engine. */
async function firstEmailLatency(stack: LocalStack, dir: string): Promise<void> {
  const file = path.join(dir, 'probe.jsonl');
  writeFileSync(file, Array.from({ length: 10 }, (_, row) => JSON.stringify({ subjectId: subjectIdOf(row), fullName: `Probe ${row}`, email: `probe${row}@example.org` })).join('\n') + '\n');
  const latencies: number[] = [];
  for (let run = 0; run < LATENCY_RUNS; run++) {
    const breachId = `probe${Date.now()}-${run}`;
    const handle = await startBenchBreach(stack, breachId, file, 10);
    const assessed = Date.now();
    await handle.executeUpdate(assessUpdate, { args: [assessHigh] });
    const mail = await stack.sink!.waitFor((m) => noticeOfMessageId(m.messageId)?.breachId === breachId, 60_000);
    latencies.push(mail.receivedAt.getTime() - assessed);
  }
  figure(`assess → first email at the sink, p50 of ${LATENCY_RUNS} breaches of 10 (each)`, `${secs(percentile(latencies, 50))} (${latencies.map((l) => secs(l)).join(', ')})`);
}

/** A worker process of the stack, what it polls and its sampled memory. */
interface BenchWorker {
  pid: number;
  queues: string;
  rss: ReturnType<typeof rssSampler>;
}

/**
 * CPU time of the stack's processes over an interval, per email sent in it: where the engine's
 * time goes, and whether a slow run did more work or ran on a slower machine.
 */
function cpuMeter(processes: { name: string; pid: number }[]) {
  const start = processes.map((p) => cpuMs(p.pid) ?? NaN);
  return {
    perEmail(emails: number): string {
      const used = processes.map((p, i) => ((cpuMs(p.pid) ?? NaN) - start[i]!) / emails);
      const total = used.reduce((sum, ms) => sum + ms, 0);
      return `${processes.map((p, i) => `${p.name} ${used[i]!.toFixed(2)}`).join(', ')}; total ${total.toFixed(2)}`;
    },
  };
}

async function runCascade(stack: LocalStack, dir: string, workers: BenchWorker[], serverPid: number | undefined): Promise<{ breachId: string; file: string; emailRate: number }> {
  const { cohortSize } = stack.config.individuals;
  const file = path.join(dir, 'roster.jsonl');
  const roster = writeRoster(file, SUBJECTS);
  for (const fax of roster.failingFaxes) stack.telnyx!.script.failNumbers.add(fax);
  stack.lob!.script.undeliverable.add(UNDELIVERABLE_LINE);
  const { expected } = roster;
  figure('roster: email / bounce → fax / fax failed → letter / unreachable', `${expected.email} / ${expected.bounce} / ${expected.letter} / ${expected.unreachable}`);

  const breachId = `bench${Date.now()}`;
  const handle = await startBenchBreach(stack, breachId, file, SUBJECTS);
  const bounces = bounceReporter(stack.client, breachId, cohortSize);
  const watch = watchProviders(stack.sink!, stack.telnyx!, breachId, cohortSize, (subjectId, receivedAt) => {
    if (!PRODUCTION && kindOf(rowOf(subjectId)) === 'bounce') bounces.schedule(subjectId, receivedAt);
  });
  const expectedEmails = expected.email + expected.bounce;
  const firstNoticesDone = () => watch.emails() >= expectedEmails && watch.firstFaxes() >= expected.letter;

  log(`assessing high; ${SUBJECTS.toLocaleString('en')} people to notify`);
  for (const worker of workers) worker.rss.reset();
  const cpu = cpuMeter([
    ...(serverPid ? [{ name: 'dev server', pid: serverPid }] : []),
    ...workers.map((w) => ({ name: `worker (${w.queues})`, pid: w.pid })),
    { name: 'bench (SMTP sink, sandboxes, status polls)', pid: process.pid },
  ]);
  let cpuPerEmail = '';
  const t0 = Date.now();
  await handle.executeUpdate(assessUpdate, { args: [assessHigh] });
  figure('assess update latency', secs(Date.now() - t0));

  let status: BreachStatus | undefined;
  let firstNoticesMs: number | undefined;
  let finalMs: number | undefined;
  let lastLog = Date.now();
  let stateLength = 0;
  let queryFailures = 0;
  for (;;) {
    const asked = Date.now();
    try {
      status = await handle.query(statusQuery);
    } catch (err) {
      // A query can time out while the worker is very busy; the next poll asks again.
      if (++queryFailures <= 3) log(`status query failed: ${err instanceof Error ? err.message : String(err)}`);
      await sleep(STATUS_POLL_MS);
      continue;
    }
    stateLength = Math.max(stateLength, JSON.stringify(status).length);
    if (status.fanOutError) throw new Error(`the fan-out stopped: ${status.fanOutError}`);
    const i = status.individuals;
    const final = i.notifiedByEmail + i.notifiedByFax + i.notifiedByPostal + i.unreachable;
    if (firstNoticesMs === undefined && firstNoticesDone()) {
      firstNoticesMs = Math.max(watch.lastEmailAt(), watch.lastFirstFaxAt()) - t0;
      cpuPerEmail = cpu.perEmail(watch.emails());
      log(`every reachable person was sent a first notice after ${secs(firstNoticesMs)}`);
      if (PRODUCTION) break;
    }
    if (i.pending + i.inProgress === 0 && final >= SUBJECTS) {
      finalMs = Date.now() - t0;
      break;
    }
    if (Date.now() - lastLog >= 10_000) {
      lastLog = Date.now();
      log(
        `final ${final}, in progress ${i.inProgress}, pending ${i.pending}; emails ${watch.emails()}/${expectedEmails}, first faxes ${watch.firstFaxes()}/${expected.letter}, ` +
          `letters ${stack.lob!.letters.length}; bounces ${bounces.stats.accepted}/${bounces.stats.scheduled}; worker rss ${workers.map((w) => mb(procMemory(w.pid)?.rss)).join(' + ')}` +
          (status.channelFailures.length ? `; failing: ${status.channelFailures.map((f) => `${f.channel} (${f.reason})`).join(', ')}` : ''),
      );
    }
    await sleep(Math.max(0, STATUS_POLL_MS - (Date.now() - asked)));
  }
  await watch.stop();
  await bounces.settled();

  figure('assess → every reachable person sent a first notice (at the sink / fax sandbox)', secs(firstNoticesMs));
  figure('assess → all emails accepted at the sink', `${secs(watch.lastEmailAt() - t0)} (${watch.emails().toLocaleString('en')} emails)`);
  figure('assess → first email of this breach at the sink', secs(watch.firstEmailAt() - t0));
  const emailRate = rate(watch.emails(), watch.lastEmailAt() - t0);
  figure('engine: emails/s (assess → last email)', emailRate);
  figure('engine: CPU ms per email, assess → every first notice (status polled every 0.5 s)', cpuPerEmail);
  if (watch.wrongCohort() > 0) figure('NOTICES IN ANOTHER COHORT THAN THEIR ROSTER ROW GIVES', watch.wrongCohort());
  for (const worker of workers) figure(`worker peak RSS from assess (process polling ${worker.queues}, sampled)`, mb(worker.rss.peak()));
  if (queryFailures > 0) figure('status queries failed (asked again)', queryFailures);
  if (!PRODUCTION) {
    const i = status.individuals;
    figure('assess → every person final (status polled every 0.5 s)', secs(finalMs));
    figure('people final per second', rate(SUBJECTS, finalMs));
    figure(
      'outcome email / fax / postal / unreachable',
      `${i.notifiedByEmail} / ${i.notifiedByFax} / ${i.notifiedByPostal} / ${i.unreachable} (expected ${expected.email} / ${expected.bounce} / ${expected.letter} / ${expected.unreachable})`,
    );
    const b = bounces.stats;
    figure('bounces reported / accepted / refused / failed', `${b.scheduled} / ${b.accepted} / ${b.refused} / ${b.failed} (update p50 ${secs(percentile(b.latencies, 50))}, p99 ${secs(percentile(b.latencies, 99))})`);
    figure('state: status query JSON (largest seen)', `${stateLength.toLocaleString('en')} chars`);
  }
  return { breachId, file, emailRate };
}

async function reportHistories(stack: LocalStack, breachId: string): Promise<void> {
  const cohorts = Math.ceil(SUBJECTS / stack.config.individuals.cohortSize);
  const h = await historyEvents(stack.client, breachId, cohorts);
  figure('history events per person (breach runs + every cohort run)', ((h.breachEvents + h.cohortEvents) / SUBJECTS).toFixed(2));
  figure('history: breach runs / events', `${h.breachRuns} / ${h.breachEvents.toLocaleString('en')}`);
  figure('history: cohorts / runs / events', `${h.cohorts} / ${h.cohortRuns} / ${h.cohortEvents.toLocaleString('en')}`);
  figure('history: longest run (events)', h.longestRun);
  const carried = await carriedSnapshotLength(stack.client, breachId);
  figure('state: carried snapshot JSON of the latest breach run', carried === undefined ? 'none (the breach did not continue as new)' : `${carried.toLocaleString('en')} chars`);
}

/**
 * The same emails through the same transport, renderer and sink, without Temporal, `CEILING_RUNS`
 * times: one run's rate varies by a third from slowest to fastest on this machine, more than the engine's.
 * The ratio is given against the median run, and against the fastest as the least favourable.
 */
async function runCeiling(stack: LocalStack, file: string, engineRate: number): Promise<void> {
  const { config } = stack;
  log(`ceiling: the same emails through one pooled transport (${config.smtp.maxConnections} connections), no Temporal, ${CEILING_RUNS} runs`);
  const runs: { rate: number; sent: number; failed: number; ms: number; peakRss: number; cpu: string }[] = [];
  for (let n = 0; n < CEILING_RUNS; n++) {
    const job: CeilingJob = {
      smtp: config.smtp,
      from: config.notifications.from,
      templateDir: path.resolve(config.individuals.templateDir),
      defaultLanguage: config.individuals.defaultLanguage,
      facts: benchFacts(`ceiling${Date.now()}`, SUBJECTS),
      roster: file,
      cohortSize: config.individuals.cohortSize,
    };
    const sinkBefore = cpuMs(process.pid) ?? NaN;
    const run = await runMeasured(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'smtp-ceiling.ts'), JSON.stringify(job)], path.join(__dirname, '..'));
    if (run.code !== 0) throw new Error(`the ceiling exited with ${run.code}: ${run.stderr.trim()}`);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as { sent: number; failed: number; ms: number; cpuMs: number };
    // The bench process is the SMTP sink here; its start-up (parsing the roster) is outside the ceiling's cpuMs.
    const cpu = `ceiling ${(result.cpuMs / result.sent).toFixed(2)}, bench (SMTP sink) ${(((cpuMs(process.pid) ?? NaN) - sinkBefore) / result.sent).toFixed(2)}`;
    runs.push({ ...result, rate: rate(result.sent, result.ms), peakRss: run.peakRss, cpu });
    // Each run's mail has been counted by its process; the sink would otherwise hold every run's messages.
    stack.sink!.messages.length = 0;
  }
  const rates = runs.map((r) => r.rate);
  const median = percentile(rates, 50);
  figure(
    'ceiling: emails/s (same transport, renderer and sink; no Temporal), each run',
    runs.map((r) => `${r.rate.toFixed(2)} (${r.sent.toLocaleString('en')} in ${secs(r.ms)}, ${r.failed} failed)`).join('; '),
  );
  figure(`ceiling: emails/s, median of ${runs.length}`, median.toFixed(2));
  figure('ceiling: CPU ms per email, each run', runs.map((r) => r.cpu).join('; '));
  figure('ceiling: peak RSS of its process', mb(Math.max(...runs.map((r) => r.peakRss))));
  figure('engine emails/s ÷ median ceiling emails/s', (engineRate / median).toFixed(2));
  figure('engine emails/s ÷ fastest ceiling emails/s', (engineRate / Math.max(...rates)).toFixed(2));
}

// ---------------------------------------------------------------------------------------------

let stack: LocalStack | undefined;
let dir: string | undefined;

async function main(): Promise<void> {
  figure('machine', `${os.cpus().length} cores, ${mb(os.totalmem())} RAM, node ${process.version}`);
  figure('other load at start', otherLoad());
  figure('people / bounce window', `${SUBJECTS.toLocaleString('en')} / ${BOUNCE_WINDOW}`);
  dir = mkdtempSync(path.join(os.tmpdir(), 'breach-bench-'));

  log(`starting the local stack (dev server in memory, SMTP sink, Telnyx and Lob sandboxes, worker processes polling ${WORKER_PROCESSES.map((p) => p.join(',')).join(' / ')})`);
  stack = await startLocalStack({ configure, telnyx: { stepMs: 20 }, worker: 'process', workerProcesses: WORKER_PROCESSES, workerLogLevel: 'ERROR', identity: 'cascade bench' });
  const i = stack.config.individuals;
  figure('config', `cohortSize ${i.cohortSize}, sendingCohorts ${i.sendingCohorts}, batchSize ${i.batchSize}, maxCachedWorkflows ${stack.config.temporal.maxCachedWorkflows}, smtp.maxConnections ${stack.config.smtp.maxConnections}, fallbackDelay ${i.fallbackDelay}, faxPollInterval ${i.faxPollInterval}`);
  figure('channel rates (messages/s)', `email ${i.maxPerSecond.email}, fax ${i.maxPerSecond.fax}, postal ${i.maxPerSecond.postal}`);
  const workers = stack.worker!.pids.map((pid, i): BenchWorker => ({ pid, queues: WORKER_PROCESSES[i]!.join(','), rss: rssSampler(pid) }));
  const serverPid = findChildPid(['start-dev', stack.config.temporal.address.split(':').pop()!]);
  for (const worker of workers) watchAlive(`the worker process polling ${worker.queues}`, worker.pid);
  if (serverPid) watchAlive('the Temporal dev server', serverPid);

  if (!PRODUCTION) await firstEmailLatency(stack, dir);
  const cascade = await runCascade(stack, dir, workers, serverPid);
  for (const worker of workers) figure(`worker VmHWM (process polling ${worker.queues}, whole life, including bundling any workflows at start)`, mb(procMemory(worker.pid)?.hwm));
  if (serverPid) figure('dev server RSS now / VmHWM', `${mb(procMemory(serverPid)?.rss)} / ${mb(procMemory(serverPid)?.hwm)}`);
  if (!PRODUCTION) {
    await reportHistories(stack, cascade.breachId);
    // The engine's mail has been counted; the sink would otherwise hold both runs' messages.
    stack.sink!.messages.length = 0;
    figure('other load before the ceiling', otherLoad());
    await runCeiling(stack, cascade.file, cascade.emailRate);
  }
  figure('other load at end', otherLoad());
  figure('total bench time', secs(Date.now() - benchStart));
}

/** Fails the run at once (instead of retrying calls until the timeout) when a process it relies on goes away. */
function watchAlive(name: string, pid: number): void {
  const timer = setInterval(() => {
    if (procMemory(pid)) return;
    clearInterval(timer);
    void finish(1, `${name} (pid ${pid}) exited during the run`);
  }, 1000);
  timer.unref();
}

let finishing = false;
async function finish(code: number, reason?: string): Promise<void> {
  if (finishing) return;
  finishing = true;
  clearTimeout(guard);
  if (reason) console.error(`[bench] ${reason}`);
  printFigures(reason ? `Figures so far (${reason})` : PRODUCTION ? 'Cohort benchmark (production bounce window)' : 'Cohort benchmark');
  await Promise.race([stack?.stop().catch((err: unknown) => console.error(`[bench] stopping the stack: ${String(err)}`)), sleep(60_000)]);
  if (dir) rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}

const guard = setTimeout(() => void finish(1, `timed out after ${TIMEOUT_MINUTES} minutes`), TIMEOUT_MINUTES * 60_000);
process.on('SIGINT', () => void finish(1, 'interrupted (SIGINT)'));
process.on('SIGTERM', () => void finish(1, 'terminated (SIGTERM)'));

main().then(
  () => finish(0),
  (err: unknown) => finish(1, `failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
);
