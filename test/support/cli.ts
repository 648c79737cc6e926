import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real `breach` executable, spawned as a person would run it, with the worker deadline the test chooses. */
export function runBreachCli(config: string, cwd: string, args: string[], workerTimeoutSeconds = 3): Promise<CliResult> {
  return new Promise((resolve) => {
    const env = { ...process.env, BREACH_CLI_TIMEOUT_SECONDS: String(workerTimeoutSeconds) };
    execFile(path.join(root, 'bin', 'breach'), ['--config', config, ...args], { cwd, env }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

/** The `breach` executable left running (`status --watch`): its stdout lines as they come, and its exit. */
export function spawnBreachCli(config: string, cwd: string, args: string[]): { lines: string[]; exited: Promise<CliResult>; child: ChildProcess } {
  const lines: string[] = [];
  const child = spawn(path.join(root, 'bin', 'breach'), ['--config', config, ...args], { cwd, env: { ...process.env, BREACH_CLI_TIMEOUT_SECONDS: '10' } });
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr })));
  return { lines, exited, child };
}
