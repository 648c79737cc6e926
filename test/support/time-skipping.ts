/**
 * A breach engine on the time-skipping test server: the real workers with the real policy, a real
 * SMTP server for what they send, and a clock that reads the server's skipped time.
 */
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createMailTransport } from '../../activities/smtp';
import type { EngineConfig } from '../../config/schema';
import { SEARCH_ATTRIBUTE_TYPES } from '../../domain/search-attributes';
import { startSmtpSink, type SmtpSink } from '../../sandbox/smtp-sink';
import { temporalTestServerPath } from '../../scripts/temporal-binaries';
import { createBreachWorkers } from '../../worker/breach-worker';
import { quietRuntime, testConfig, uniqueTaskQueue, workflowBundle } from './engine';

const { IndexedValueType } = temporal.api.enums.v1;
const INDEXED_VALUE_TYPES = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
} as const;

export interface TimeSkippingEngine {
  env: TestWorkflowEnvironment;
  sink: SmtpSink;
  config: EngineConfig;
  now(): Promise<Date>;
  stop(): Promise<void>;
}

export async function startTimeSkippingEngine(name: string, configure?: (config: EngineConfig) => void): Promise<TimeSkippingEngine> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: temporalTestServerPath() } } });
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(Object.entries(SEARCH_ATTRIBUTE_TYPES).map(([attribute, type]) => [attribute, INDEXED_VALUE_TYPES[type]])),
  });
  const sink = await startSmtpSink();
  const config = testConfig({ address: 'time-skipping', smtpPort: sink.port, taskQueue: uniqueTaskQueue(name) });
  configure?.(config);
  const transport = createMailTransport(config.smtp);
  // Reports are stamped with the time they are sent: here, the test server's skipped time.
  const now = async () => new Date(await env.currentTimeMs());
  const worker = await createBreachWorkers({ config, connection: env.nativeConnection, transport, workflowBundle: workflowBundle(), clock: now });
  const running = worker.run();
  return {
    env,
    sink,
    config,
    now,
    async stop() {
      worker.shutdown();
      await running;
      transport.close();
      await sink.stop();
      await env.teardown();
    },
  };
}
