import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Mustache from 'mustache';
import type { Channel, NoticeContent, RenderNotice, Subject } from '../domain/individuals';
import type { BreachNotice, NoticeRegime } from '../domain/notice';
import { residenceCode } from '../domain/residence';
import type { ControllerConfig, EngineConfig } from '../config/schema';

interface Templates {
  subject: string;
  text: string;
  html: string;
  advice: string;
}

/** The template files of each language, in `templateDir/<language>/`. */
export const TEMPLATE_FILES = { subject: 'subject.txt', text: 'notice.txt', html: 'notice.html', advice: 'advice.txt' } as const;

/**
 * Where a template part is read from for readers under `regime` in `language`: the regime's own
 * folder (`templateDir/<regime>/<language>/`) when it has that part, else the language's
 * (`templateDir/<language>/`). A language without templates falls back to the default language.
 */
export function templateFile(templateDir: string, defaultLanguage: string, regime: string | undefined, language: string, part: keyof typeof TEMPLATE_FILES): string {
  const chosen = isLanguageTag(language) && existsSync(path.join(templateDir, language, TEMPLATE_FILES.text)) ? language : defaultLanguage;
  const own = regime ? path.join(templateDir, regime, chosen, TEMPLATE_FILES[part]) : undefined;
  return own && existsSync(own) ? own : path.join(templateDir, chosen, TEMPLATE_FILES[part]);
}

/**
 * The regime whose templates a person reads: the regime where they live, if it has templates of
 * its own, else a regime that applies to everyone affected (HIPAA) with templates of its own,
 * else none (the language's templates).
 */
export function readerRegime(
  templateDir: string,
  regimes: NoticeRegime[] | undefined,
  subject: Pick<Subject, 'postal'>,
  hasTemplates: (id: string) => boolean = (id) => existsSync(path.join(templateDir, id)),
): string | undefined {
  if (!regimes?.length) return undefined;
  const residence = residenceCode(subject.postal?.country, subject.postal?.region);
  const local = regimes.find((r) => residence && r.jurisdiction.includes(residence) && hasTemplates(r.id));
  return (local ?? regimes.find((r) => r.jurisdiction.length === 0 && hasTemplates(r.id)))?.id;
}

/**
 * Renders the Art. 34(2) notice from the templates in `templateDir/<language>/` (or a regime's
 * own, see `templateFile`), which can be edited without code changes. The same content serves
 * every channel: email (text and HTML), fax (text as PDF), letter (HTML).
 */
/** An email notice as its evidence hash covers it: the subject, the text and the HTML part, one after another. */
export function emailDocument(content: Pick<NoticeContent, 'subject' | 'text' | 'html'>): string {
  return `${content.subject}\n${content.text}\n${content.html}`;
}

/** What every notice may name beside the breach: the company (`controller`) and the authority people may complain to. */
export interface NoticeContext {
  controller?: ControllerConfig;
  authorityName?: string;
}

/** A roster's language names a folder and a calendar only when it is a BCP 47 tag (`en`, `de-AT`); anything else reads as the default language. */
function isLanguageTag(language: string): boolean {
  if (!/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(language)) return false;
  try {
    Intl.getCanonicalLocales(language);
    return true;
  } catch {
    return false;
  }
}

/**
 * The breach's instants as the reader's calendar dates ("3 November 2026"), in the company's time
 * zone (`controller.timeZone`, UTC by default), and the notice's own date: the day it is rendered.
 */
function noticeDates(notice: BreachNotice, format: Intl.DateTimeFormat, today: Date) {
  const date = (iso: string | undefined) => (iso ? format.format(new Date(iso)) : undefined);
  return { noticeDate: format.format(today), awareOn: date(notice.awareAt), occurredFrom: date(notice.occurredFrom), occurredUntil: date(notice.occurredUntil) };
}

export function noticeContext(config: Pick<EngineConfig, 'controller' | 'authority'>): NoticeContext {
  return { controller: config.controller, authorityName: config.authority.name };
}

export function createNoticeRenderer(templateDir: string, defaultLanguage: string, context: NoticeContext = {}): RenderNotice {
  // Keyed by the regime and language, so the disk is consulted once per pair, not per notice.
  const cache = new Map<string, Templates>();
  // Asked for every notice: the disk is consulted once per regime.
  const regimeFolders = new Map<string, boolean>();
  const hasTemplates = (id: string) => {
    let known = regimeFolders.get(id);
    if (known === undefined) regimeFolders.set(id, (known = existsSync(path.join(templateDir, id))));
    return known;
  };
  // A formatter is costly to make and the same for every notice in a language.
  const dateFormats = new Map<string, Intl.DateTimeFormat>();
  const dateFormat = (language: string) => {
    let format = dateFormats.get(language);
    if (!format) dateFormats.set(language, (format = new Intl.DateTimeFormat(language, { dateStyle: 'long', timeZone: context.controller?.timeZone ?? 'UTC' })));
    return format;
  };
  const templatesFor = (regime: string | undefined, language: string): Templates => {
    const key = `${regime ?? ''}|${language}`;
    let templates = cache.get(key);
    if (!templates) {
      const read = (part: keyof typeof TEMPLATE_FILES) => readFileSync(templateFile(templateDir, defaultLanguage, regime, language, part), 'utf8');
      templates = { subject: read('subject').trim(), text: read('text'), html: read('html'), advice: read('advice').trim() };
      cache.set(key, templates);
    }
    return templates;
  };

  return async (notice: BreachNotice, subject: Subject, _channel: Channel): Promise<NoticeContent> => {
    const language = subject.language ?? defaultLanguage;
    const templates = templatesFor(readerRegime(templateDir, notice.regimes, subject, hasTemplates), language);
    const { regimes: _, ...fields } = notice;
    const dates = noticeDates(notice, dateFormat(isLanguageTag(language) ? language : defaultLanguage), new Date());
    const view = { ...context, ...fields, ...dates, advice: notice.advice ?? templates.advice, fullName: subject.fullName, subjectId: subject.subjectId };
    // Plain-text parts must not be HTML-escaped; the HTML part must be.
    const plain = (template: string) => Mustache.render(template, view, undefined, { escape: (value: string) => value });
    const content = { subject: plain(templates.subject), text: plain(templates.text), html: Mustache.render(templates.html, view) };
    const contentSha256 = createHash('sha256').update(emailDocument(content)).digest('hex');
    return { ...content, contentSha256 };
  };
}
