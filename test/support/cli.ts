import { execFile } from 'node:child_process';
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
