/**
 * The letter as the postal provider prints it. Lob renders an HTML letter in a browser onto US
 * Letter paper and, with `address_placement: insert_blank_page` (what the postal channel asks
 * for), prints the addresses on a page of its own in front of it, so that nothing of the notice
 * sits under the envelope's windows. Here the real templates, rendered by the real renderer, are
 * printed by headless Chromium (Debian's package) and checked against Lob's letter
 * specification: US Letter pages, and few enough of them that the letter with its address page
 * stays within the six sheets of the standard #10 double-window envelope.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { letterDocument, MAX_INLINE_HTML } from '../activities/channels/letter-document';
import { createNoticeRenderer, noticeContext } from '../activities/notice-renderer';
import { breachNotice } from '../domain/notice';
import { checkNotices } from '../client/notice-check';
import { TEXT_LIMITS } from '../domain/requests';
import { breachFacts, testConfig } from './support/engine';

const CHROMIUM = '/usr/bin/chromium';
const TEMPLATES = path.resolve(__dirname, '..', 'templates');
/** Lob's #10 double-window envelope holds six tri-folded sheets; the address page is one of them. */
const ENVELOPE_SHEETS = 6;
/** US Letter in PDF points (8.5 x 11 in). */
const US_LETTER = '[0 0 612 792]';

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (letters are laid out in a real browser)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
});

/** The letter printed as Lob prints HTML: the page size and margins its own CSS asks for. */
async function printed(html: string): Promise<{ pages: number; mediaBoxes: string[] }> {
  const page = await browser.newPage();
  await page.setContent(html);
  const pdf = (await page.pdf({ preferCSSPageSize: true })).toString('latin1');
  await page.close();
  const mediaBoxes = [...pdf.matchAll(/\/MediaBox\s*\[([^\]]+)\]/g)].map((m) => `[${m[1]!.trim().split(/\s+/).map(Number).join(' ')}]`);
  return { pages: [...pdf.matchAll(/\/Type\s*\/Page(?![s\w])/g)].length, mediaBoxes };
}

const render = createNoticeRenderer(TEMPLATES, 'en', { controller: { name: 'Acme Payroll Ltd', address: '1 Quay Street, Dublin 2, Ireland', dpo: 'Dana DPO' }, authorityName: 'Test Authority' });
const reader = { subjectId: 'layout', fullName: 'Alex Example', postal: { lines: ['210 King St'], city: 'San Francisco', region: 'CA', postalCode: '94107', country: 'US' } };

it('prints the longest letter Lob takes on US Letter pages that fit the double-window envelope with the address page', async () => {
  // A description long enough to bring the letter to Lob's inline limit, with the hold sentence.
  const base = await render({ ...breachNotice(breachFacts('layout')), lawEnforcementDelay: true }, reader, 'postal');
  const description = 'The export held names and bank details of current and former staff. '.repeat(200).slice(0, MAX_INLINE_HTML - base.html.length - 20);
  const { file } = letterDocument(await render({ ...breachNotice(breachFacts('layout', { description })), lawEnforcementDelay: true }, reader, 'postal'));
  expect(file.length).toBeGreaterThan(MAX_INLINE_HTML - 200);
  expect(file.length).toBeLessThanOrEqual(MAX_INLINE_HTML);

  const { pages, mediaBoxes } = await printed(file);
  expect(pages).toBeGreaterThan(1);
  expect(pages + 1).toBeLessThanOrEqual(ENVELOPE_SHEETS);
  expect(new Set(mediaBoxes)).toEqual(new Set([US_LETTER]));
});

it('prints the California and HIPAA letters on US Letter pages too', async () => {
  for (const regime of ['california', 'hipaa']) {
    const notice = { ...breachNotice(breachFacts('layout')), regimes: [{ id: regime, jurisdiction: regime === 'california' ? ['US-CA'] : [] }] };
    const { pages, mediaBoxes } = await printed(letterDocument(await render(notice, reader, 'postal')).file);
    expect(pages, regime).toBeLessThan(ENVELOPE_SHEETS);
    expect(new Set(mediaBoxes), regime).toEqual(new Set([US_LETTER]));
  }
});

it('refuses to start a breach whose letter would be longer than Lob takes, counting the hold sentence a later hold adds', async () => {
  const config = testConfig({ address: '127.0.0.1:7233', smtpPort: 25, taskQueue: 'layout' });
  config.individuals.channels = ['email', 'postal'];
  const renderAsChecked = createNoticeRenderer(TEMPLATES, 'en', noticeContext(config));
  const base = await renderAsChecked(breachNotice(breachFacts('layout')), { ...reader, fullName: 'W'.repeat(TEXT_LIMITS.name) }, 'postal');
  // Fits without the sentence on a law-enforcement delay, not with it.
  const description = 'x'.repeat(MAX_INLINE_HTML - base.html.length - 10);
  await expect(checkNotices(config, breachFacts('layout', { description }), ['en'])).rejects.toThrow(
    new RegExp(`^the letter in 'en' would be \\d+ characters of HTML, and the postal provider takes at most ${MAX_INLINE_HTML}; shorten the description`),
  );
  await expect(checkNotices(config, breachFacts('layout', { description: 'x'.repeat(100) }), ['en'])).resolves.toBeUndefined();
});
