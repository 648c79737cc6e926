import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Mustache from 'mustache';
import type { Channel, NoticeContent, RenderNotice, Subject } from '../domain/individuals';
import type { BreachNotice } from '../domain/notice';

interface Templates {
  subject: string;
  text: string;
  html: string;
  advice: string;
}

/** The template files of each language, in `templateDir/<language>/`. */
export const TEMPLATE_FILES = { subject: 'subject.txt', text: 'notice.txt', html: 'notice.html', advice: 'advice.txt' } as const;

/**
 * Renders the Art. 34(2) notice from the templates in `templateDir/<language>/`, which can be
 * edited without code changes. A language without templates falls back to the default language.
 * The same content serves every channel: email (text and HTML), fax (text as PDF), letter (HTML).
 */
export function createNoticeRenderer(templateDir: string, defaultLanguage: string): RenderNotice {
  // Keyed by the language asked for, so the disk is consulted once per language, not per notice.
  const cache = new Map<string, Templates>();
  const templatesFor = (language: string): Templates => {
    let templates = cache.get(language);
    if (!templates) {
      const chosen = existsSync(path.join(templateDir, language, TEMPLATE_FILES.text)) ? language : defaultLanguage;
      const read = (part: keyof typeof TEMPLATE_FILES) => readFileSync(path.join(templateDir, chosen, TEMPLATE_FILES[part]), 'utf8');
      templates = { subject: read('subject').trim(), text: read('text'), html: read('html'), advice: read('advice').trim() };
      cache.set(language, templates);
    }
    return templates;
  };

  return async (notice: BreachNotice, subject: Subject, _channel: Channel): Promise<NoticeContent> => {
    const templates = templatesFor(subject.language ?? defaultLanguage);
    const view = { ...notice, advice: notice.advice ?? templates.advice, fullName: subject.fullName, subjectId: subject.subjectId };
    // Plain-text parts must not be HTML-escaped; the HTML part must be.
    const plain = (template: string) => Mustache.render(template, view, undefined, { escape: (value: string) => value });
    const content = { subject: plain(templates.subject), text: plain(templates.text), html: Mustache.render(templates.html, view) };
    const contentSha256 = createHash('sha256').update(`${content.subject}\n${content.text}\n${content.html}`).digest('hex');
    return { ...content, contentSha256 };
  };
}
