/** Small helpers for the benchmarks: flags, percentiles, memory of other processes. */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { durationMs } from '../config/duration';

export function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) return argv[i + 1];
  const inline = argv.find((a) => a.startsWith(`--${name}=`));
  return inline?.slice(name.length + 3);
}

/** A duration flag with its unit ('60 seconds', '10s'), as temporal.yaml takes it; undefined when absent. */
export function durationFlag(argv: string[], name: string): string | undefined {
  const raw = flag(argv, name);
  if (raw !== undefined && !(durationMs(raw) > 0)) throw new Error(`--${name} expects a duration with its unit, such as '60 seconds' or '10s', got ${raw}`);
  return raw;
}

/** A positive integer flag; `fallback` (or undefined) when absent. */
export function intFlag(argv: string[], name: string, fallback: number): number;
export function intFlag(argv: string[], name: string): number | undefined;
export function intFlag(argv: string[], name: string, fallback?: number): number | undefined {
  const raw = flag(argv, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} expects a positive integer, got ${raw}`);
  return value;
}

/** Nearest-rank percentile of an unsorted list; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs at most `limit` tasks at once. */
export function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((resolve) => queue.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

/**
 * Samples another process's resident memory; `peak()` is the highest seen since the last
 * `reset()`. The kernel's own high-water mark (VmHWM) cannot be reset, and it includes the
 * worker's start (bundling the workflows), which is not what a phase of the bench costs.
 */
export function rssSampler(pid: number, everyMs = 250) {
  const now = () => procMemory(pid)?.rss ?? 0;
  let peak = now();
  const timer = setInterval(() => {
    peak = Math.max(peak, now());
  }, everyMs);
  timer.unref();
  return {
    peak: () => Math.max(peak, now()),
    reset: () => void (peak = now()),
    stop: () => clearInterval(timer),
  };
}

/** The pid of a child of this process whose command line contains all of `parts` (Linux only). */
export function findChildPid(parts: string[]): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (parts.every((part) => cmdline.includes(part))) return Number(entry);
    } catch {
      // The process went away while we looked.
    }
  }
  return undefined;
}

/** VmRSS and VmHWM (peak RSS) of a process in bytes, from /proc/<pid>/status. */
export function procMemory(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** CPU time a process has used so far (user + system), in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * Runs a command to its end and measures it: wall time, and peak RSS from VmHWM, which the kernel
 * keeps as a high-water mark, so a sample every 50 ms misses only a peak in the last 50 ms.
 */
export function runMeasured(command: string, args: string[], cwd: string): Promise<{ code: number | null; ms: number; peakRss: number; stdout: string; stderr: string }> {
  const started = Date.now();
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  let peakRss = 0;
  const timer = setInterval(() => {
    // A process that has just exited has no VmHWM; its NaN never compares greater.
    const hwm = child.pid ? (procMemory(child.pid)?.hwm ?? 0) : 0;
    if (hwm > peakRss) peakRss = hwm;
  }, 50);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code, ms: Date.now() - started, peakRss, stdout, stderr });
    });
  });
}

export const mb = (bytes: number | undefined) => (bytes === undefined || Number.isNaN(bytes) ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(0)} MB`);
export const secs = (ms: number | undefined) => (ms === undefined || Number.isNaN(ms) ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
export const rate = (count: number | undefined, ms: number | undefined) =>
  count === undefined || ms === undefined || Number.isNaN(ms) || ms <= 0 ? NaN : count / (ms / 1000);
