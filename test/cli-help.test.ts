/**
 * What `--help` tells a person: an example for every command, required options marked; and the
 * relative review dates legal types (`--review-in 14d`).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reviewDateFlag } from '../client/flags';
import { HELP_EXAMPLES, leafCommands } from '../client/help-examples';
import { buildProgram } from '../client/main';
import { runBreachCli } from './support/cli';

describe('breach --help', () => {
  it('has an example for every command, and only for commands that exist', () => {
    const paths = leafCommands(buildProgram()).map(([path]) => path).sort();
    expect(Object.keys(HELP_EXAMPLES).sort()).toEqual(paths);
    for (const [path, example] of Object.entries(HELP_EXAMPLES)) expect(example.startsWith(`breach ${path.split(' ')[0]}`), path).toBe(true);
  });

  it('shows the example and marks the required options, from the real executable', async () => {
    const help = await runBreachCli('unused.yaml', os.tmpdir(), ['hold', 'place', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--agency <text> +\(required\) the requesting agency/);
    expect(help.stdout).toMatch(/--review-in <duration> +the review date as a time from now/);
    expect(help.stdout).toContain(`Example:\n  ${HELP_EXAMPLES['hold place']}`);
  });

  it('starts without the libraries only `notice preview` and `audit` need, which would add about a second to every command', () => {
    // The modules the CLI has loaded once its commands are registered, before any command runs.
    const loaded: string[] = JSON.parse(
      execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', "require('./client/main.ts').buildProgram(); console.log(JSON.stringify(Object.keys(require.cache)))"], { cwd: path.resolve(__dirname, '..') }).toString(),
    );
    expect(loaded.some((file) => file.includes('/node_modules/@temporalio/client/'))).toBe(true);
    for (const heavy of ['pdfkit', 'telnyx', '@lob/lob-typescript-sdk', '@aws-sdk/client-s3', 'nodemailer']) {
      expect(loaded.filter((file) => file.includes(`/node_modules/${heavy}/`)), heavy).toEqual([]);
    }
    // date-fns is imported function by function: its index loads every one of them.
    expect(loaded.filter((file) => /\/node_modules\/date-fns\/index\.c?js$/.test(file))).toEqual([]);
  });
});

describe('review dates', () => {
  const now = new Date('2026-12-01T09:00:00.000Z');
  it('takes an instant or a time from now, not both, and names what is wrong', () => {
    expect(reviewDateFlag({ reviewIn: '14d' }, now)).toBe('2026-12-15T09:00:00.000Z');
    expect(reviewDateFlag({ reviewIn: '36h' }, now)).toBe('2026-12-02T21:00:00.000Z');
    expect(reviewDateFlag({ reviewIn: '2w' }, now)).toBe('2026-12-15T09:00:00.000Z');
    expect(reviewDateFlag({ reviewAt: '2026-12-20T10:00:00+01:00' }, now)).toBe('2026-12-20T09:00:00.000Z');
    expect(reviewDateFlag({}, now)).toBeUndefined();
    expect(() => reviewDateFlag({ reviewIn: 'a fortnight' }, now)).toThrow("--review-in 'a fortnight' must be a number of hours, days or weeks, e.g. 36h, 14d or 2w");
    expect(() => reviewDateFlag({ reviewIn: '0d' }, now)).toThrow('must be a number of hours, days or weeks');
    // A number without a unit would otherwise be read as milliseconds, a review due at once.
    for (const reviewIn of ['14', '30m', '90s']) expect(() => reviewDateFlag({ reviewIn }, now), reviewIn).toThrow('must be a number of hours, days or weeks');
    expect(() => reviewDateFlag({ reviewIn: '14d', reviewAt: '2026-12-20T09:00:00Z' }, now)).toThrow('give --review-at or --review-in, not both');
  });
});
