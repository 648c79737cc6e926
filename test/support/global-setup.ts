import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../../sandbox/dev-server';
import { breachWorkflowsPath } from '../../worker/bundle-workflows';
import { temporalTestServerPath } from '../../scripts/temporal-binaries';
import { freePort } from '../../sandbox/ports';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

let server: DevServer | undefined;

/**
 * One real Temporal dev server and one workflow bundle for the whole run. The binaries are
 * installed here if missing; a missing server is a failure, never a skip.
 */
export async function setup(project: TestProject): Promise<void> {
  temporalTestServerPath();
  server = await startDevServer({ port: await freePort() });
  const { code } = await bundleWorkflowCode({ workflowsPath: breachWorkflowsPath(), logger: quietLogger });
  const bundlePath = path.resolve('.temporal', 'test-workflow-bundle.js');
  mkdirSync(path.dirname(bundlePath), { recursive: true });
  writeFileSync(bundlePath, code);
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', bundlePath);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };
