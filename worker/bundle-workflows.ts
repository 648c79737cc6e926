/**
 * The workflows' bundle, built in a process of its own. Webpack leaves what it built reachable in
 * the process that ran it (about 115 MB of heap after a full GC), and V8 lets a heap grow to a
 * few times what is live before it collects it all, so a worker that bundled in its own process
 * carried several hundred MB more for its whole life. A worker forks this file at start (with its
 * own Node flags, so tsx too); the child bundles, sends the code back and exits, and its memory
 * goes back to the system.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

export function breachWorkflowsPath(): string {
  return path.join(__dirname, '..', 'workflows', 'index.ts');
}

interface BundlerAnswer {
  code?: string;
  error?: string;
}

/** Bundles the workflows in a child process; the same code as `bundleWorkflowCode` here would give, so the build and replays are unchanged. */
export function bundleWorkflowsInChild(): Promise<{ code: string }> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answer: BundlerAnswer | undefined;
    child.once('message', (message: BundlerAnswer) => (answer = message));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (answer?.code !== undefined) resolve({ code: answer.code });
      else reject(new Error(`bundling the workflows failed: ${answer?.error ?? `the bundler exited with code ${code}`}`));
    });
  });
}

function bundleAndAnswer(): void {
  // Webpack's report of a failed build goes to stderr; the rest of the bundler's log is left out.
  const say = (message: string) => console.error(`workflow bundler: ${message}`);
  const logger = { log() {}, trace() {}, debug() {}, info() {}, warn: say, error: say };
  // A worker that stops while this runs leaves nobody to send the bundle to.
  process.once('disconnect', () => process.exit(1));
  bundleWorkflowCode({ workflowsPath: breachWorkflowsPath(), logger }).then(
    ({ code }) => process.send!({ code } satisfies BundlerAnswer, () => process.exit(0)),
    (err: unknown) => process.send!({ error: err instanceof Error ? err.message : String(err) } satisfies BundlerAnswer, () => process.exit(1)),
  );
}

if (require.main === module && process.send) bundleAndAnswer();
