import PDFDocument from 'pdfkit';
import type { NoticeContent } from '../../domain/individuals';

/**
 * PDFKit stamps the current time into the document info and derives the file ID from it. A fixed
 * date makes the same notice render the same bytes, so a retried send produces a PDF with the same
 * SHA-256 as the first try and the hash recorded as evidence stays valid. When the notice was sent
 * is recorded with the attempt and by the provider, not in the file.
 */
const FIXED_CREATION_DATE = new Date(0);

/** Renders the plain-text notice as a Letter-size PDF for the fax channel. */
export function renderNoticePdf(notice: NoticeContent): Promise<Buffer> {
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
  const done = collect(doc);
  doc.font('Helvetica-Bold').fontSize(14).text(notice.subject);
  doc.moveDown();
  doc.font('Helvetica').fontSize(11).text(notice.text, { align: 'left' });
  doc.end();
  return done;
}

function collect(doc: PDFKit.PDFDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
}
