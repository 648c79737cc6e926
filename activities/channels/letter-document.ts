import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { LETTER_REJECTED } from '../../domain/failures';
import type { NoticeContent } from '../../domain/individuals';

/** Lob refuses inline HTML longer than this (html_string in its spec); a template or URL would be needed. */
export const MAX_INLINE_HTML = 10_000;

/** The letter's HTML as Lob receives it, and its SHA-256 as the evidence records it (`breach notice preview` shows the same). */
export function letterDocument(content: NoticeContent): { file: string; contentSha256: string } {
  const file = noticeFile(content.html);
  return { file, contentSha256: createHash('sha256').update(file, 'utf8').digest('hex') };
}

/** The HTML Lob prints. Lob renders inline HTML itself, so the notice is sent as is. */
function noticeFile(html: string): string {
  if (html.length > MAX_INLINE_HTML) {
    throw ApplicationFailure.nonRetryable(`notice HTML is ${html.length} characters; Lob accepts at most ${MAX_INLINE_HTML} inline`, LETTER_REJECTED);
  }
  return html;
}
