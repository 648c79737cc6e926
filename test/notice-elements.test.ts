/**
 * The notice per regime: each reader gets the templates of the regime where they live (or the
 * language's), and a breach does not start when a template lacks an element one of its regimes
 * requires, or holds one it forbids, naming the file, the element and the regime.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNoticeRenderer } from '../activities/notice-renderer';
import { breachRegimes } from '../client/breach-regimes';
import { checkNotices } from '../client/notice-check';
import { breachNotice } from '../domain/notice';
import { templateElements } from '../domain/notice-elements';
import { breachFacts, testConfig } from './support/engine';

const TEMPLATES = path.resolve(__dirname, '..', 'templates');

function withTemplates(change?: (dir: string) => void) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-templates-'));
  cpSync(TEMPLATES, dir, { recursive: true });
  change?.(dir);
  const config = testConfig({ address: 'unused', smtpPort: 25, taskQueue: 'unused' });
  config.individuals = { ...config.individuals, templateDir: dir, channels: ['email', 'postal'] };
  return config;
}

const facts = breachFacts('notice-regimes');
const regimesFor = (config: ReturnType<typeof withTemplates>, regimes: string[], residents: Record<string, number>) =>
  breachRegimes(config, { regimes, residents, anchors: {}, dataTypes: ['ssn', 'phi'] }, 10);
const postal = (country: string, region: string) => ({ lines: ['1 Main St'], city: 'City', region, postalCode: '00000', country });

describe('notices per regime', () => {
  it('finds elements as the fields a template shows and as the sections it marks', () => {
    expect([...templateElements('{{! element: what-you-can-do, security-freeze }}{{#measures}}{{measures}}{{/measures}} {{{description}}}')].sort()).toEqual(['measures', 'nature', 'security-freeze', 'what-you-can-do']);
    expect([...templateElements('{{! a comment that marks nothing }}{{advice}}')]).toEqual([]);
  });

  it("gives each reader the templates of the regime where they live: California's title and headings for a Californian", async () => {
    const config = withTemplates();
    const notice = breachNotice(facts, regimesFor(config, ['gdpr', 'california', 'texas'], { 'US-CA': 2, 'US-TX': 2 }));
    const render = createNoticeRenderer(config.individuals.templateDir, 'en');
    const californian = await render(notice, { subjectId: 's-1', fullName: 'Cal', postal: postal('US', 'California') }, 'email');
    expect(californian.subject).toBe("Notice of Data Breach");
    expect(californian.text).toContain('NOTICE OF DATA BREACH');
    expect(californian.text).toContain(`What Information Was Involved\n${facts.dataCategories.join(', ')}`);
    const texan = await render(notice, { subjectId: 's-2', fullName: 'Tex', postal: postal('US', 'TX') }, 'email');
    expect(texan.text).toContain('What this may mean for you');
    // Breaches started before regimes read the language's templates as before.
    const before = await render(breachNotice(facts), { subjectId: 's-1', fullName: 'Cal', postal: postal('US', 'CA') }, 'email');
    expect(before.text).toBe(texan.text.replace('Tex', 'Cal').replace('s-2', 's-1'));
  });

  it('reads a roster language that is not a language tag as the default language, for the templates and the dates', async () => {
    const config = withTemplates((dir) => writeFileSync(path.join(dir, 'notice.txt'), 'outside the language folders'));
    const render = createNoticeRenderer(config.individuals.templateDir, 'en');
    const english = await render(breachNotice(facts), { subjectId: 's-1', fullName: 'Lang' }, 'email');
    for (const language of ['.', '..', 'en_US', '12', 'x'.repeat(300)]) {
      const notice = await render(breachNotice(facts), { subjectId: 's-1', fullName: 'Lang', language }, 'email');
      expect(notice.text, language).toBe(english.text);
    }
  });

  it('starts a breach whose templates have every element its regimes require', async () => {
    const config = withTemplates();
    await expect(checkNotices(config, facts, ['en'], regimesFor(config, ['gdpr', 'hipaa', 'california'], { 'US-CA': 3, 'US-NY': 2, DE: 1 }))).resolves.toBeUndefined();
    await expect(checkNotices(config, facts, ['en'], regimesFor(config, ['gdpr', 'massachusetts', 'texas'], { 'US-MA': 3, 'US-TX': 2, DE: 1 }))).resolves.toBeUndefined();
    // HIPAA asks what happened; Massachusetts forbids saying it: a template cannot satisfy both, and the start says so.
    await expect(checkNotices(config, facts, ['en'], regimesFor(config, ['hipaa', 'massachusetts'], { 'US-MA': 3 }))).rejects.toThrow("massachusetts/en/notice.txt: lacks 'what-happened', which hipaa requires");
  });

  it('refuses a template that lacks a required element or holds a forbidden one, naming the file, the element and the regime', async () => {
    const config = withTemplates((dir) => {
      const ca = path.join(dir, 'california', 'en', 'notice.txt');
      writeFileSync(ca, readFileSync(ca, 'utf8').replace('what-you-can-do, ', ''));
      const ma = path.join(dir, 'massachusetts', 'en', 'notice.html');
      writeFileSync(ma, readFileSync(ma, 'utf8').replace('<h3>What we have done</h3>', '<p>{{description}}</p><h3>What we have done</h3>'));
    });
    const problem = await checkNotices(config, facts, ['en'], regimesFor(config, ['california', 'massachusetts'], { 'US-CA': 3, 'US-MA': 2 })).then(
      () => '',
      (err: Error) => err.message,
    );
    expect(problem).toContain(`${path.join(config.individuals.templateDir, 'california', 'en', 'notice.txt')}: lacks 'what-you-can-do', which california requires (write the section and mark it {{! element: what-you-can-do }})`);
    expect(problem).toContain(`${path.join(config.individuals.templateDir, 'massachusetts', 'en', 'notice.html')}: contains 'nature', which massachusetts forbids in the notice to individuals (remove {{description}})`);
    // A HIPAA breach's readers anywhere need HIPAA's elements: the language's own template lacks them.
    const hipaa = await checkNotices(withTemplates((dir) => cpSync(path.join(dir, 'en'), path.join(dir, 'hipaa', 'en'), { recursive: true })), facts, ['en'], regimesFor(config, ['hipaa'], { 'US-NY': 3 })).then(
      () => '',
      (err: Error) => err.message,
    );
    expect(hipaa).toMatch(/hipaa[/\\]en[/\\]notice\.txt: lacks 'what-happened', which hipaa requires/);
  });
});
