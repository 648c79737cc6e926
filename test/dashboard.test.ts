/**
 * The read-only dashboard in a real browser: headless Chromium from Debian's packages, driven by
 * Playwright, against `breach dashboard` run as a person would run it, on the dev server with a
 * worker. The list, the breach page with its countdown, a hold appearing live, and nothing on
 * either page (or in the server) that changes a breach.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { assessUpdate, placeHoldUpdate, releaseHoldUpdate } from '../workflows/messages/breach';
import { writeRoster } from './support/cascade';
import { spawnBreachCli } from './support/cli';
import { breachFacts, eventually, startBreach, startDevEngine, type DevEngine } from './support/engine';

/** Debian's package (`apt-get install chromium`; `.ci/run` installs it). */
const CHROMIUM = '/usr/bin/chromium';

let engine: DevEngine;
let browser: Browser;
let dashboard: ReturnType<typeof spawnBreachCli>;
let base: string;
const breachId = `dash-${Date.now()}`;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (the dashboard is tested in a real browser)`);
  // A short bounce window, so that a small breach's people reach a final state within the test.
  engine = await startDevEngine('dashboard', { configure: (config) => void (config.individuals = { ...config.individuals, bounceWindow: '1 s', cohortSize: 10 }) });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-dashboard-'));
  const config = path.join(dir, 'temporal.yaml');
  writeFileSync(config, stringify(engine.config));
  dashboard = spawnBreachCli(config, dir, ['dashboard', '--port', '0']);
  const line = await eventually(async () => dashboard.lines.find((l) => l.startsWith('Dashboard at ')), (l) => l !== undefined);
  base = /http:\/\/\S+\//.exec(line!)![0];
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  dashboard?.child.kill('SIGTERM');
  await dashboard?.exited;
  await engine?.stop();
});

it('lists the breaches and shows a breach with its countdown, a hold appearing and going live, and nothing to click that changes anything', async () => {
  const handle = await startBreach(engine.client, engine.config, breachFacts(breachId, { title: 'Payroll export <b>sent</b> to the wrong recipient' }));
  const page = await browser.newPage();

  await page.goto(base);
  const row = page.locator(`tr[data-breach="${breachId}"]`);
  await row.waitFor();
  await expect.poll(() => row.innerText()).toMatch(/Payroll export <b>sent<\/b> to the wrong recipient\s+71h 5\dm left\s+awaiting-assessment\s+none/);

  await row.getByRole('link', { name: breachId }).click();
  await page.waitForURL(`${base}breaches/${breachId}`);
  await expect.poll(() => page.locator('h1').innerText()).toBe(`${breachId}: Payroll export <b>sent</b> to the wrong recipient`);
  expect(await page.locator('#countdown').innerText()).toMatch(/^71h 5\dm left$/);
  expect(await page.locator('#hold-banner').count()).toBe(0);

  // A hold placed with the CLI's update appears without a reload, and goes again on release.
  await handle.executeUpdate(placeHoldUpdate, { args: [{ agency: 'City Police', caseRef: 'CP-3', reason: 'Suspect at large', by: 'Lena Legal', reviewAt: '2099-01-01T00:00:00Z' }] });
  await page.locator('#hold-banner').waitFor({ timeout: 10_000 });
  expect(await page.locator('#hold-banner').innerText()).toBe('HOLD ACTIVE: no individual is contacted while hold-1 (City Police) is in force');
  expect(await page.locator('#holds li[data-hold="hold-1"]').innerText()).toContain('ACTIVE; review 2099-01-01T00:00:00Z — Suspect at large');
  await handle.executeUpdate(releaseHoldUpdate, { args: [{ holdId: 'hold-1', reason: 'Arrest made', by: 'Lena Legal' }] });
  await page.locator('#hold-banner').waitFor({ state: 'detached', timeout: 10_000 });
  expect(await page.locator('#holds li').innerText()).toContain(', released ');

  // Read-only: no forms, buttons or inputs on either page, only links; the server refuses anything but GET.
  for (const url of [base, `${base}breaches/${breachId}`]) {
    await page.goto(url);
    await page.locator('h1').waitFor();
    expect(await page.locator('form, button, input, select, textarea, [contenteditable]').count()).toBe(0);
  }
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const response = await fetch(`${base}api/breaches/${breachId}`, { method });
    expect(response.status).toBe(405);
  }
  expect((await fetch(`${base}api/breaches/no-such-breach`)).status).toBe(404);
  await page.close();
});

it("draws the breach's notification progress over time, up to everyone final", async () => {
  const id = `${breachId}-progress`;
  const rows = Array.from({ length: 30 }, (_, i) => `p-${i},Person ${i},p${i}@example.org,,,,,,,,en`);
  const roster = await writeRoster(mkdtempSync(path.join(os.tmpdir(), 'breach-dashboard-roster-')), 'progress', rows);
  const handle = await startBreach(engine.client, engine.config, breachFacts(id), undefined, roster);
  const page = await browser.newPage();
  await page.goto(`${base}breaches/${id}`);
  await page.locator('h1').waitFor();
  // Before the fan-out there is nothing to draw.
  expect(await page.locator('#progress-chart').count()).toBe(0);
  await handle.executeUpdate(assessUpdate, { args: [{ risk: 'high', rationale: 'Bank details exposed', by: 'Ines Responder' }] });
  await expect.poll(() => page.locator('#progress-caption').innerText().catch(() => ''), { timeout: 60_000, interval: 500 }).toMatch(/^30 of 30 final \(100%\) between the start of notifying /);
  // The curve starts at nobody final and ends at the top of the chart: everyone final.
  const points = ((await page.locator('#progress-chart polyline').getAttribute('points')) ?? '').split(' ').map((p) => p.split(',').map(Number) as [number, number]);
  expect(points.length).toBeGreaterThanOrEqual(3);
  expect(points[0]).toEqual([0, 160]);
  expect(points[points.length - 1]![1]).toBe(0);
  for (let i = 1; i < points.length; i++) expect(points[i]![0]).toBeGreaterThanOrEqual(points[i - 1]![0]);
  await page.close();
});
