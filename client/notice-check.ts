import path from 'node:path';
import { MAX_INLINE_HTML } from '../activities/channels/postal';
import { createNoticeRenderer } from '../activities/notice-renderer';
import type { EngineConfig } from '../config/schema';
import type { BreachFacts } from '../domain/breach';
import { breachNotice } from '../domain/notice';
import { TEXT_LIMITS } from '../domain/requests';
import { UsageError } from './errors';

/**
 * Before a breach with a roster starts, renders its notice in every language the roster asks
 * for, with the templates the workers will use, for a person with the longest name a roster may
 * hold: a template missing, or a letter longer than the postal provider takes, is found now
 * instead of making every person unreachable once the cascade runs.
 */
export async function checkNotices(config: EngineConfig, facts: BreachFacts, languages: string[]): Promise<void> {
  const { templateDir, defaultLanguage, channels } = config.individuals;
  const render = createNoticeRenderer(path.resolve(templateDir), defaultLanguage);
  const longestName = 'W'.repeat(TEXT_LIMITS.name);
  for (const language of new Set([defaultLanguage, ...languages])) {
    let html: string;
    try {
      ({ html } = await render(breachNotice(facts), { subjectId: 'preflight', fullName: longestName, language }, 'postal'));
    } catch (err) {
      throw new UsageError(`individuals.templateDir: cannot render the notice in '${language}' from ${templateDir}: ${(err as Error).message.split('\n')[0]}`);
    }
    if (channels.includes('postal') && html.length > MAX_INLINE_HTML) {
      throw new UsageError(
        `the letter in '${language}' would be ${html.length} characters of HTML, and the postal provider takes at most ${MAX_INLINE_HTML}; ` +
          'shorten the description, consequences, measures or advice',
      );
    }
  }
}
