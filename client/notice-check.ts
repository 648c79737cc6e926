import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_INLINE_HTML } from '../activities/channels/letter-document';
import { createNoticeRenderer, noticeContext, readerRegime, templateFile } from '../activities/notice-renderer';
import type { EngineConfig } from '../config/schema';
import type { BreachFacts, BreachRegimes } from '../domain/breach';
import type { PostalAddress } from '../domain/individuals';
import { breachNotice } from '../domain/notice';
import { elementProblems } from '../domain/notice-elements';
import type { RulePack } from '../domain/regimes/rule-pack';
import { TEXT_LIMITS } from '../domain/requests';
import { UsageError } from './errors';

/** One kind of reader: where they live (none: no regime of the breach has their residence), and the regimes whose rules their notice follows. */
interface Readers {
  postal?: PostalAddress;
  packs: RulePack[];
}

/**
 * Before a breach with a roster starts, renders its notice in every language the roster asks
 * for, for the readers of each of its regimes, with the templates the workers will use, for a
 * person with the longest name a roster may hold. A template missing, a template without an
 * element a regime requires (or with one it forbids), or a letter longer than the postal provider
 * takes is found now instead of making every person unreachable once the cascade runs.
 */
export async function checkNotices(config: EngineConfig, facts: BreachFacts, languages: string[], regimes?: BreachRegimes): Promise<void> {
  const { templateDir, defaultLanguage, channels } = config.individuals;
  const dir = path.resolve(templateDir);
  const render = createNoticeRenderer(dir, defaultLanguage, noticeContext(config));
  // The longest a notice can be: with the sentence on a law-enforcement delay, which a hold adds later.
  const notice = { ...breachNotice(facts, regimes), lawEnforcementDelay: true };
  const longestName = 'W'.repeat(TEXT_LIMITS.name);
  const problems: string[] = [];
  for (const language of new Set([defaultLanguage, ...languages])) {
    for (const readers of readerKinds(regimes)) {
      let html: string;
      try {
        ({ html } = await render(notice, { subjectId: 'preflight', fullName: longestName, language, postal: readers.postal }, 'postal'));
      } catch (err) {
        throw new UsageError(`individuals.templateDir: cannot render the notice in '${language}' from ${templateDir}: ${(err as Error).message.split('\n')[0]}`);
      }
      const regime = readerRegime(dir, notice.regimes, readers);
      if (channels.includes('postal') && html.length > MAX_INLINE_HTML) {
        throw new UsageError(
          `the letter in '${language}'${regime ? ` (the ${regime} template)` : ''} would be ${html.length} characters of HTML, and the postal provider takes at most ${MAX_INLINE_HTML}; ` +
            'shorten the description, consequences, measures or advice',
        );
      }
      for (const part of ['text', 'html'] as const) {
        const file = templateFile(dir, defaultLanguage, regime, language, part);
        const template = readFileSync(file, 'utf8');
        for (const pack of readers.packs) {
          const rules = { regime: pack.id, requiredElements: pack.notice?.requiredElements ?? [], forbiddenElements: pack.notice?.forbiddenElements ?? [] };
          for (const problem of elementProblems(template, rules)) problems.push(`${shortPath(file)}: ${problem}`);
        }
      }
    }
  }
  if (problems.length) throw new UsageError([...new Set(problems)].join('; '));
}

function shortPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
}

/**
 * The kinds of readers a breach's notice has: the residents of each regime with a jurisdiction
 * that has any (their notice follows that regime and every regime without a jurisdiction, such
 * as HIPAA), and everyone else (the regimes without a jurisdiction only).
 */
function readerKinds(regimes: BreachRegimes | undefined): Readers[] {
  const everywhere = regimes?.packs.filter((p) => p.jurisdiction.length === 0 && p.notice) ?? [];
  const local = (regimes?.packs ?? []).filter((p) => p.notice && p.jurisdiction.some((code) => regimes!.residents === undefined || (regimes!.residents[code] ?? 0) > 0));
  return [
    { packs: everywhere },
    ...local.map((pack) => {
      const code = pack.jurisdiction.find((c) => (regimes!.residents?.[c] ?? 1) > 0)!;
      const [country, region] = code.split('-') as [string, string | undefined];
      return { postal: { lines: ['1 Main Street'], city: 'City', region: region ?? '', postalCode: '00000', country }, packs: [pack, ...everywhere] };
    }),
  ];
}

