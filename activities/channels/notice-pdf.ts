import PDFDocument from 'pdfkit';
import type { NoticeContent } from '../../domain/individuals';

/**
 * PDFKit stamps the current time into the document info and derives the file ID from it. A fixed
 * date makes the same notice render the same bytes, so a retried send produces a PDF with the same
 * SHA-256 as the first try and the hash recorded as evidence stays valid. When the notice was sent
 * is recorded with the attempt and by the provider, not in the file.
 */
const FIXED_CREATION_DATE = new Date(0);

/** What a fax's cover sheet says: to whom, from whom, and the numbers to call back. */
export interface FaxCover {
  to: string;
  toFax?: string;
  from?: string;
  fromFax: string;
}

/** A heading of the plain-text notice: a short line after a blank one, without a full stop, followed by its text. */
function isHeading(lines: string[], i: number): boolean {
  const line = lines[i]!;
  return (i === 0 || lines[i - 1]!.trim() === '') && line.length > 0 && line.length <= 60 && !/[.,;:]$/.test(line) && (lines[i + 1] ?? '').trim() !== '';
}

/**
 * Renders the plain-text notice as a Letter-size PDF for the fax channel (or the authority
 * report's attachment): with a cover sheet when `cover` is given, the title, and the notice's
 * headings in bold so that it reads on a fax machine's paper.
 */
export function renderNoticePdf(notice: NoticeContent, cover?: FaxCover): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'LETTER',
    margin: 72,
    // Compressed content streams are still deterministic (zlib) and keep the fax upload small.
    compress: true,
    // PDFKit parses a standard font's metrics for each document that uses it, which is most of
    // the cost of rendering a notice; starting in the title's font spares parsing its default one.
    font: 'Helvetica-Bold',
    info: {
      Title: notice.subject,
      // Ties the PDF to the rendered notice it was made from, for an auditor comparing hashes.
      Keywords: `notice-sha256:${notice.contentSha256}`,
      CreationDate: FIXED_CREATION_DATE,
    },
  });
  const done = pdfBytes(doc);
  if (cover) {
    doc.font('Helvetica-Bold').fontSize(28).text('FAX');
    doc.moveDown();
    doc.fontSize(12).text('To: ', { continued: true }).font('Helvetica').text(`${cover.to}${cover.toFax ? ` (${cover.toFax})` : ''}`);
    doc.font('Helvetica-Bold').text('From: ', { continued: true }).font('Helvetica').text(`${cover.from ? `${cover.from}, ` : ''}fax ${cover.fromFax}`);
    doc.font('Helvetica-Bold').text('Subject: ', { continued: true }).font('Helvetica').text(notice.subject);
    doc.moveDown().text('The following pages are a notice addressed to you personally. If you are not its addressee, please tell the sender and destroy it.');
    doc.addPage();
  }
  doc.font('Helvetica-Bold').fontSize(14).text(notice.subject);
  doc.moveDown();
  const lines = notice.text.split('\n');
  for (const [i, line] of lines.entries()) doc.font(isHeading(lines, i) ? 'Helvetica-Bold' : 'Helvetica').fontSize(11).text(line, { align: 'left' });
  doc.end();
  return done;
}

/** The bytes of a PDFKit document once it has ended. */
export function pdfBytes(doc: PDFKit.PDFDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
}
