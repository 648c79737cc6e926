import { spawn } from 'node:child_process';
import { motoServerCommand } from '../scripts/s3-server';
import { stopProcess } from './dev-server';
import { freePort } from './ports';

export interface S3Server {
  /** The endpoint to give the SDK, with `forcePathStyle: true`. */
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts moto's S3-compatible server on a free port and waits until it answers. It keeps objects
 * in memory and accepts any credentials, so each test run starts empty.
 */
export async function startS3Server(): Promise<S3Server> {
  const { python, pythonPath } = motoServerCommand();
  const port = await freePort();
  const child = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, PYTHONPATH: pythonPath },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto S3 server exited with code ${child.exitCode}: ${stderr}`);
    if (await answers(`${endpoint}/moto-api/`)) return { endpoint, stop: () => stopProcess(child) };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stopProcess(child);
  throw new Error(`moto S3 server did not answer on ${endpoint} within 30 s: ${stderr}`);
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}
