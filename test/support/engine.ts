import type { BreachRegimes } from '../../domain/breach';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { inject } from 'vitest';
import { configSchema, type EngineConfig } from '../../config/schema';
import type { AssessRequest, BreachFacts } from '../../domain/breach';
import type { RosterRef } from '../../domain/individuals';
import { startBreachWorkflow } from '../../client/start-breach';
import { startLocalStack } from '../../sandbox/local-stack';
import type { SmtpSink } from '../../sandbox/smtp-sink';
import { temporalCliPath } from '../../scripts/temporal-binaries';

let runtimeInstalled = false;
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
  runtimeInstalled = true;
}

export function workflowBundle(): { code: string } {
  return { code: readFileSync(inject('workflowBundlePath'), 'utf8') };
}

let queueCounter = 0;
export function uniqueTaskQueue(name: string): string {
  return `${name}-${process.pid}-${++queueCounter}-${Date.now()}`;
}

/** A valid configuration pointed at the test's servers; `overrides` changes whole sections. */
export function testConfig(options: {
  address: string;
  smtpPort: number;
  taskQueue: string;
  authority?: Partial<EngineConfig['authority']>;
  notifications?: Partial<EngineConfig['notifications']>;
}): EngineConfig {
  return configSchema.parse({
    temporal: { address: options.address, namespace: 'default', taskQueue: options.taskQueue },
    authority: { name: 'Test Authority', email: 'notices@authority.test', ...options.authority },
    notifications: { from: 'engine@company.test', responders: ['ir@company.test'], legal: ['legal@company.test'], ...options.notifications },
    smtp: { host: '127.0.0.1', port: options.smtpPort },
    individuals: { channels: ['email'], templateDir: path.resolve(__dirname, '..', '..', 'templates') },
    audit: { archiveDir: mkdtempSync(path.join(os.tmpdir(), 'breach-archive-')) },
  });
}

export function breachFacts(breachId: string, overrides: Partial<BreachFacts> = {}): BreachFacts {
  return {
    breachId,
    title: 'Payroll export sent to the wrong recipient',
    description: 'A payroll export was emailed to an external address by mistake.',
    awareAt: new Date().toISOString(),
    reporter: 'Ines Responder',
    dataCategories: ['names', 'bank account numbers', 'salaries'],
    approxSubjects: 340,
    approxRecords: 4080,
    likelyConsequences: 'Financial fraud and loss of confidentiality of salary data.',
    measures: 'Recipient asked to delete the file; deletion confirmed in writing; outbound DLP rule added.',
    contactPoint: 'Dana DPO, dpo@company.test, +44 20 7946 0000',
    ...overrides,
  };
}

export async function startBreach(
  client: Client,
  config: EngineConfig,
  facts: BreachFacts,
  initialAssessment?: AssessRequest,
  roster?: { ref: RosterRef; total: number },
  regimes?: BreachRegimes,
) {
  return (await startBreachWorkflow(client, config, facts, initialAssessment, roster, regimes)).handle;
}

/** A worker, client and SMTP sink on the shared dev server, with a task queue of their own. */
export interface DevEngine {
  config: EngineConfig;
  client: Client;
  sink: SmtpSink;
  /** Workflows the engine's worker holds in memory between tasks. */
  cachedWorkflows(): number;
  stop(): Promise<void>;
}

export interface DevEngineOptions {
  taskQueue?: string;
  /** An SMTP sink the test owns (and stops); otherwise the engine starts and stops its own. */
  sink?: SmtpSink;
  authority?: Partial<EngineConfig['authority']>;
  /** Adjusts the configuration before the worker starts (channels, windows, …). */
  configure?: (config: EngineConfig) => void;
  /** Environment the worker reads provider API keys from. */
  env?: NodeJS.ProcessEnv;
}

/** The engine through the one local-stack launcher, on the run's shared dev server; the test's own SMTP sink when it lends one. */
export async function startDevEngine(name: string, options: DevEngineOptions = {}): Promise<DevEngine> {
  quietRuntime();
  const address = inject('temporalAddress');
  const stack = await startLocalStack({
    temporal: { address },
    mail: options.sink ? { sink: options.sink } : {},
    telnyx: false,
    lob: false,
    config: testConfig({ address, smtpPort: options.sink?.port ?? 25, taskQueue: options.taskQueue ?? uniqueTaskQueue(name), authority: options.authority }),
    configure: options.configure,
    workflowBundle: workflowBundle(),
    env: options.env,
    identity: `test ${name}`,
  });
  return { config: stack.config, client: stack.client, sink: stack.sink!, cachedWorkflows: () => stack.worker!.cachedWorkflows!(), stop: stack.stop };
}

export async function connectClient(name: string): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return { client: new Client({ connection, identity: `test ${name}` }), close: () => connection.close() };
}

/**
 * Replays a workflow's real history (of the run the handle names, which `runId` repeats for the
 * copy) against the current workflow code, and keeps a copy in test/histories when
 * CAPTURE_HISTORIES is set so the replay test guards running breaches against future changes.
 */
export async function expectHistoryReplays(handle: WorkflowHandle, name: string, runId?: string): Promise<void> {
  const history = await handle.fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: workflowBundle(), replayName: name }, history, handle.workflowId);
  if (process.env.CAPTURE_HISTORIES) {
    // Exported by the official CLI, in the JSON form `temporal workflow show --output json` prints.
    const run = runId ? ['--run-id', runId] : [];
    const json = execFileSync(temporalCliPath(), ['workflow', 'show', '--workflow-id', handle.workflowId, ...run, '--address', (handle.client.connection as Connection).options.address, '--output', 'json']);
    const dir = path.resolve('test', 'histories');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${name}.json`), json);
  }
}

/** The reason a breach gave for refusing an update (the test fails if it was accepted). */
export async function refusal(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof WorkflowUpdateFailedError)) throw new Error(`expected the update to be refused, got ${err === undefined ? 'its result' : String(err)}`);
  return err.cause?.message ?? '';
}

/** Polls `read` until `accept` holds; the workflow acts asynchronously to our requests. */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  do {
    try {
      last = await read();
      if (accept(last)) return last;
    } catch (err) {
      // Not there yet (e.g. a child workflow that has not started): try again.
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  } while (Date.now() < deadline);
  throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}; last error: ${String(lastError)}`);
}
