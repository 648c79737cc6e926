/**
 * The engine on one machine, as the demo, the benchmark and the tests run it: a Temporal dev
 * server (or one already running), an SMTP server (a sink that keeps what it receives, or MailDev
 * with its web inbox), the Telnyx and Lob sandboxes, the breach worker (in this process or as
 * `npm run worker` in a child process) and a client. One call starts it all, one `stop()` stops
 * what it started, in reverse order, and leaves alone what the caller lent it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import { stringify } from 'yaml';
import { createMailTransport } from '../activities/smtp';
import { configSchema, type EngineConfig } from '../config/schema';
import type { Channel } from '../domain/individuals';
import { createBreachWorkers } from '../worker/breach-worker';
import type { WorkerRole } from '../worker/roles';
import { startDevServer, stopProcess } from './dev-server';
import { startLobSandbox, type LobSandbox } from './lob-sandbox';
import { freePort } from './ports';
import { startSmtpSink, type SmtpSink } from './smtp-sink';
import { startTelnyxSandbox, type TelnyxSandbox } from './telnyx-sandbox';

const root = path.resolve(__dirname, '..');

/** The variables the stack's configuration names for the sandboxes' API keys. */
export const LOCAL_TELNYX_KEY_ENV = 'LOCAL_STACK_TELNYX_API_KEY';
export const LOCAL_LOB_KEY_ENV = 'LOCAL_STACK_LOB_API_KEY';

export interface LocalStackOptions {
  /**
   * A dev server started here (the default: in memory, headless, on a free port; `dbFile` keeps
   * breaches across restarts, `uiPort` turns the Web UI on), or the server already at `address`.
   */
  temporal?: { address: string } | { port?: number; uiPort?: number; dbFile?: string };
  /**
   * Where mail goes: an SMTP sink started here (the default), a sink the caller owns and stops
   * (`sink`), or MailDev with its web inbox.
   */
  mail?: { sink?: SmtpSink; port?: number } | { maildev: { smtpPort: number; webPort: number } };
  /** The Telnyx sandbox (started by default); `false` leaves the fax channel as the configuration has it. */
  telnyx?: false | { port?: number; stepMs?: number };
  /** The Lob sandbox (started by default); `false` leaves the postal channel as the configuration has it. */
  lob?: false | { port?: number };
  /**
   * The configuration to start from, e.g. temporal.yaml; a minimal local one otherwise. Its
   * Temporal address, SMTP server and fax and postal providers are pointed at the stack.
   */
  config?: EngineConfig;
  /** Adjusts the configuration once it points at the stack, before anything reads it. */
  configure?: (config: EngineConfig) => void;
  /**
   * `in-process` (the default) runs the breach workers in this process; `process` runs
   * `npm run worker` in a child process (its memory and CPU are its own); `none` starts no worker.
   */
  worker?: 'in-process' | 'process' | 'none';
  /** With `worker: 'process'`, the worker processes and what each polls (`--queues`); one polling everything configured by default. */
  workerProcesses?: WorkerRole[][];
  /** A pre-built workflow bundle for the in-process worker (tests build one per run). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Where the configuration is written for the CLI and a worker process; a temporary file when a worker process needs one. */
  configFile?: string;
  /** Installs the Temporal runtime of this process with this log level (once per process; a caller that installs its own omits it). */
  runtime?: { logLevel: LogLevel; shutdownSignals?: NodeJS.Signals[] };
  /** More environment for the worker, e.g. the API keys of sandboxes the caller runs itself. */
  env?: NodeJS.ProcessEnv;
  /** The worker process's LOG_LEVEL; WARN by default. */
  workerLogLevel?: LogLevel;
  /** The client's identity, as the history records it. */
  identity?: string;
}

export interface StackWorker {
  /** The pids of the worker processes, in the order of `workerProcesses`; none for the in-process worker. */
  pids: number[];
  /** The in-process worker's cached workflows; worker processes keep theirs to themselves. */
  cachedWorkflows?(): number;
  stop(): Promise<void>;
}

export interface LocalStack {
  config: EngineConfig;
  /** The configuration file, when one was written (`configFile`, or for a worker process). */
  configFile?: string;
  client: Client;
  /** The sandboxes' API keys in the variables the configuration names (and `options.env`), for anything that runs a worker. */
  env: NodeJS.ProcessEnv;
  /** The SMTP sink (absent with MailDev, which keeps its mail to itself). */
  sink?: SmtpSink;
  /** MailDev's inbox, when MailDev is the SMTP server. */
  mailWebUrl?: string;
  telnyx?: TelnyxSandbox;
  lob?: LobSandbox;
  worker?: StackWorker;
  /** Stops what the stack started, the worker first and the server last; safe to call twice. */
  stop(): Promise<void>;
}

type Stopper = { name: string; stop: () => Promise<void> };

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  if (options.runtime) installRuntime(options.runtime);
  const stoppers: Stopper[] = [];
  const stop = once(() => stopAll(stoppers));
  try {
    // Side by side, each with stops of its own, registered in a fixed order (the server stops last)
    // once all have settled, so that when one fails everything the others started is stopped.
    const own: Stopper[][] = [[], [], [], []];
    const settled = await Promise.allSettled([startTemporal(options, own[0]!), startMail(options, own[1]!), startTelnyx(options, own[2]!), startLob(options, own[3]!)] as const);
    stoppers.push(...own.flat());
    const [address, mail, telnyx, lob] = fulfilled(settled);
    const env: NodeJS.ProcessEnv = {
      ...options.env,
      ...(telnyx ? { [LOCAL_TELNYX_KEY_ENV]: telnyx.apiKey } : {}),
      ...(lob ? { [LOCAL_LOB_KEY_ENV]: lob.apiKey } : {}),
    };
    const config = pointAtStack(options.config ?? localConfig(), { address, smtpPort: mail.port, telnyx, lob });
    options.configure?.(config);
    const configFile = options.configFile ?? (options.worker === 'process' ? temporaryConfigFile(stoppers) : undefined);
    if (configFile) {
      mkdirSync(path.dirname(configFile), { recursive: true });
      writeFileSync(configFile, stringify(config));
    }

    const connection = await Connection.connect({ address });
    stoppers.push({ name: 'client connection', stop: () => connection.close() });
    const client = new Client({ connection, namespace: config.temporal.namespace, identity: options.identity ?? `local stack ${process.pid}` });

    const worker = await startWorker(options, config, configFile, { ...process.env, ...env });
    if (worker) stoppers.push({ name: 'worker', stop: worker.stop });
    return { config, configFile, client, env, sink: mail.sink, mailWebUrl: mail.webUrl, telnyx, lob, worker, stop };
  } catch (err) {
    // The failure to start is the news; one to stop what did start would only hide it.
    await stop().catch(() => undefined);
    throw err;
  }
}

let runtimeInstalled = false;

function installRuntime({ logLevel, shutdownSignals }: NonNullable<LocalStackOptions['runtime']>): void {
  if (runtimeInstalled) return;
  Runtime.install({
    logger: new DefaultLogger(logLevel),
    ...(shutdownSignals ? { shutdownSignals } : {}),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: logLevel === 'TRACE' || logLevel === 'DEBUG' ? 'INFO' : logLevel }) } },
  });
  runtimeInstalled = true;
}

async function startTemporal(options: LocalStackOptions, stoppers: Stopper[]): Promise<string> {
  const temporal = options.temporal ?? {};
  if ('address' in temporal) return temporal.address;
  const server = await startDevServer({ port: temporal.port ?? (await freePort()), uiPort: temporal.uiPort, dbFile: temporal.dbFile });
  stoppers.push({ name: 'Temporal dev server', stop: () => server.stop() });
  return server.address;
}

async function startMail(options: LocalStackOptions, stoppers: Stopper[]): Promise<{ port: number; sink?: SmtpSink; webUrl?: string }> {
  const mail = options.mail ?? {};
  if ('maildev' in mail) {
    const { smtpPort, webPort } = mail.maildev;
    const maildev = spawnMaildev(smtpPort, webPort);
    stoppers.push({ name: 'MailDev', stop: () => stopProcess(maildev) });
    await waitForPort(smtpPort, maildev, 'MailDev');
    return { port: smtpPort, webUrl: `http://localhost:${webPort}` };
  }
  if (mail.sink) return { port: mail.sink.port, sink: mail.sink };
  const sink = await startSmtpSink(mail.port);
  stoppers.push({ name: 'SMTP sink', stop: () => sink.stop() });
  return { port: sink.port, sink };
}

async function startTelnyx(options: LocalStackOptions, stoppers: Stopper[]): Promise<TelnyxSandbox | undefined> {
  if (options.telnyx === false) return undefined;
  const telnyx = await startTelnyxSandbox(options.telnyx ?? {});
  stoppers.push({ name: 'Telnyx sandbox', stop: () => telnyx.stop() });
  return telnyx;
}

async function startLob(options: LocalStackOptions, stoppers: Stopper[]): Promise<LobSandbox | undefined> {
  if (options.lob === false) return undefined;
  const lob = await startLobSandbox(options.lob ?? {});
  stoppers.push({ name: 'Lob sandbox', stop: () => lob.stop() });
  return lob;
}

/** A valid configuration with placeholders for everything the stack points at itself. */
function localConfig(): EngineConfig {
  return configSchema.parse({
    authority: { name: 'Local Authority', email: 'notices@authority.test' },
    notifications: { from: 'engine@company.test', responders: ['ir@company.test'], legal: ['legal@company.test'] },
    smtp: { host: '127.0.0.1', port: 25 },
    // Absolute, so that a worker started from another directory finds the templates too.
    individuals: { channels: ['email'], templateDir: path.join(root, 'templates') },
  });
}

/** A copy of the configuration whose servers are the stack's; the sandboxes' channels join the cascade. */
function pointAtStack(base: EngineConfig, stack: { address: string; smtpPort: number; telnyx?: TelnyxSandbox; lob?: LobSandbox }): EngineConfig {
  const config = structuredClone(base);
  config.temporal.address = stack.address;
  config.smtp = { ...config.smtp, host: '127.0.0.1', port: stack.smtpPort, secure: false };
  const joining: Channel[] = [];
  if (stack.telnyx) {
    config.channels.fax = { provider: 'telnyx', connectionId: '1684641123236054244', from: '+13125550100', ...config.channels.fax, apiKeyEnv: LOCAL_TELNYX_KEY_ENV, baseUrl: stack.telnyx.baseUrl };
    joining.push('fax');
  }
  if (stack.lob) {
    config.channels.postal = {
      provider: 'lob',
      from: { name: 'Privacy Office', address_line1: '185 Berry St Ste 6100', address_city: 'San Francisco', address_state: 'CA', address_zip: '94107', address_country: 'US' },
      ...config.channels.postal,
      apiKeyEnv: LOCAL_LOB_KEY_ENV,
      baseUrl: stack.lob.baseUrl,
    };
    joining.push('postal');
  }
  for (const channel of joining) if (!config.individuals.channels.includes(channel)) config.individuals.channels.push(channel);
  return config;
}

function temporaryConfigFile(stoppers: Stopper[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'local-stack-'));
  stoppers.push({ name: 'configuration file', stop: async () => rmSync(dir, { recursive: true, force: true }) });
  return path.join(dir, 'temporal.yaml');
}

async function startWorker(options: LocalStackOptions, config: EngineConfig, configFile: string | undefined, env: NodeJS.ProcessEnv): Promise<StackWorker | undefined> {
  const mode = options.worker ?? 'in-process';
  if (mode === 'none') return undefined;
  if (mode === 'process') return startWorkerProcesses(options.workerProcesses ?? [undefined], configFile!, { ...env, LOG_LEVEL: options.workerLogLevel ?? 'WARN' });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const transport = createMailTransport(config.smtp, env);
  try {
    const workers = await createBreachWorkers({ config, connection, transport, workflowBundle: options.workflowBundle, env });
    const running = workers.run();
    return {
      pids: [],
      cachedWorkflows: () => workers.cachedWorkflows(),
      stop: once(async () => {
        workers.shutdown();
        try {
          await running;
        } finally {
          transport.close();
          await connection.close();
        }
      }),
    };
  } catch (err) {
    transport.close();
    await connection.close();
    throw err;
  }
}

/**
 * `npm run worker` in a child process, exactly as it is deployed. Ready once it says it polls;
 * stopped with SIGTERM, which the worker turns into its graceful shutdown (30 s for running
 * activities), so it is given a little longer than that before it is killed.
 */
async function startWorkerProcesses(processes: (WorkerRole[] | undefined)[], configFile: string, env: NodeJS.ProcessEnv): Promise<StackWorker> {
  const settled = await Promise.allSettled(processes.map((roles) => startWorkerProcess(roles, configFile, env)));
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = once(async () => void (await Promise.all(started.map((worker) => worker.stop()))));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { pids: started.map((worker) => worker.pid), stop };
}

async function startWorkerProcess(roles: WorkerRole[] | undefined, configFile: string, env: NodeJS.ProcessEnv): Promise<{ pid: number; stop: () => Promise<void> }> {
  const profiling = env.WORKER_CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${env.WORKER_CPU_PROFILE_DIR}`] : [];
  const args = [...profiling, ...workerScriptNodeArgs(), '--config', configFile, ...(roles ? ['--queues', roles.join(',')] : [])];
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = once(() => stopProcess(child, 40_000));
  try {
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        if (!output.includes('worker polling')) return;
        child.stdout!.off('data', read);
        // Keep reading, so a chatty worker never blocks on a full pipe.
        child.stdout!.resume();
        resolve();
      };
      child.stdout!.on('data', read);
      child.once('exit', (code) => reject(new Error(`the worker process exited with code ${code} before it polled`)));
      child.once('error', reject);
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: child.pid!, stop };
}

/**
 * The node arguments of package.json's `worker` script, which is how the worker is deployed, so
 * the stack's workers run with the same flags (its heap limit above all). Node is started
 * directly rather than through npm, so that the pid is the worker's own.
 */
function workerScriptNodeArgs(): string[] {
  const script: unknown = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts?.worker;
  const [command, ...args] = typeof script === 'string' ? script.trim().split(/\s+/) : [];
  if (command !== 'node' || args.some((arg) => /["'$`\\]/.test(arg))) throw new Error(`package.json's worker script must be a plain \`node ...\` command line, not ${JSON.stringify(script)}`);
  return args;
}

function spawnMaildev(smtpPort: number, webPort: number): ChildProcess {
  const bin = path.join(root, 'node_modules', 'maildev', 'dist', 'bin', 'maildev.js');
  return spawn(process.execPath, [bin, '--smtp', String(smtpPort), '--web', String(webPort), '--ip', '127.0.0.1', '--web-ip', '127.0.0.1', '--silent'], { stdio: 'ignore' });
}

/** Waits until something accepts connections on the port, failing early if the process that should serve it exits. */
async function waitForPort(port: number, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} did not listen on port ${port} within 30 s`);
}

/** The values of settled promises, or the first failure. */
function fulfilled<T extends readonly unknown[]>(settled: { [K in keyof T]: PromiseSettledResult<T[K]> }): T {
  const results = settled as readonly PromiseSettledResult<unknown>[];
  const failed = results.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** Stops in reverse order of starting; one failure does not keep the rest running, and the first is rethrown. */
async function stopAll(stoppers: Stopper[]): Promise<void> {
  const failures: Error[] = [];
  while (stoppers.length) {
    const { name, stop } = stoppers.pop()!;
    try {
      await stop();
    } catch (err) {
      failures.push(new Error(`stopping the ${name} failed: ${err instanceof Error ? err.message : String(err)}`));
    }
  }
  if (failures.length) throw failures[0];
}

function once(run: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= run());
}
