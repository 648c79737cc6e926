/**
 * The audit as a document an auditor can hand on: HTML (a summary, a timeline chart, the
 * entries, the findings and the integrity hash) and PDF (the same summary, entries and hash).
 * Both are drawn from the export itself, so an archived export gives the same document.
 */
import PDFDocument from 'pdfkit';
import { pdfBytes } from '../activities/channels/notice-pdf';
import type { AuditExport } from './export-schema';
import { summarizeAudit, type AuditSummary } from './summary';

const escape = (text: string | undefined) => (text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The summary as label and value pairs, the same in both documents. */
export function summaryRows(s: AuditSummary): [string, string][] {
  return [
    ['Became aware', s.awareAt ?? 'not recorded'],
    ['Authority deadline', s.deadline ?? 'not recorded'],
    ['Authority notified', s.noticeAt ? `${s.noticeAt} (${s.noticeHours} h after awareness, ${s.onTime ? 'on time' : 'LATE'})` : 'not notified'],
    ['Time under a law-enforcement hold', `${s.heldHours} h (${s.holds.length} hold${s.holds.length === 1 ? '' : 's'})`],
    ['Individuals', `${s.notified} notified, ${s.unreachable} unreachable${s.coverage !== undefined ? ` (coverage ${s.coverage}%)` : ''}`],
    ['Time to notify (from awareness)', s.timeToNotify ? `median ${s.timeToNotify.p50Hours} h, longest ${s.timeToNotify.maxHours} h` : 'nobody notified'],
    ['Findings', String(s.findings)],
  ];
}

export function auditHtml(report: AuditExport, now: Date = new Date()): string {
  const s = summarizeAudit(report, now);
  const rows = summaryRows(s).map(([label, value]) => `<tr><th>${escape(label)}</th><td data-summary="${escape(label)}">${escape(value)}</td></tr>`);
  const entries = report.entries.map((e) => `<tr><td>${escape(e.at)}</td><td>${escape(e.kind)}</td><td>${escape(e.actor)}</td><td>${escape(e.summary)}</td></tr>`);
  const findings = report.findings.length ? `<ul>${report.findings.map((f) => `<li><strong>${escape(f.code)}</strong>: ${escape(f.detail)}</li>`).join('')}</ul>` : '<p>None.</p>';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Audit report: breach ${escape(report.breachId)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2433}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #dde;vertical-align:top}th{width:18rem}code{word-break:break-all}</style></head>
<body>
<h1>Audit report: breach ${escape(report.breachId)}</h1>
<p>Built from Temporal's event history of workflow <code>${escape(report.workflowId)}</code>, runs ${report.runIds.map((r) => `<code>${escape(r)}</code>`).join(', ')}.</p>
<h2>Summary</h2>
<table>${rows.join('')}</table>
<h2>Timeline</h2>
${timelineSvg(s, report)}
<h2>Findings</h2>
${findings}
<h2>Entries</h2>
<table><thead><tr><th>When</th><th>What</th><th>Who</th><th>Details</th></tr></thead><tbody>${entries.join('')}</tbody></table>
<p>Integrity: SHA-256 of the entries <code id="sha256">${escape(report.sha256)}</code> (<code>breach audit verify</code> recomputes it from the JSON export).</p>
</body></html>
`;
}

/** Awareness, the deadline and the notice as markers, the holds as bars, and the share of people notified as a curve. */
function timelineSvg(s: AuditSummary, report: AuditExport): string {
  if (!s.awareAt) return '<p>No awareness recorded.</p>';
  const start = Date.parse(s.awareAt);
  const times = [s.deadline, s.noticeAt, ...report.entries.map((e) => e.at)].filter((t): t is string => Boolean(t)).map(Date.parse);
  const end = Math.max(start + 3_600_000, ...times);
  const width = 900;
  const x = (iso: string) => Math.round(((Date.parse(iso) - start) / (end - start)) * (width - 40)) + 20;
  const marker = (iso: string | undefined, label: string, colour: string) =>
    iso ? `<line x1="${x(iso)}" x2="${x(iso)}" y1="10" y2="150" stroke="${colour}" stroke-width="2"/><text x="${x(iso) + 3}" y="22" font-size="11" fill="${colour}">${escape(label)}</text>` : '';
  const bars = s.holds.map((h, i) => `<rect x="${x(h.from)}" y="${40 + i * 14}" width="${Math.max(2, x(h.to ?? new Date(end).toISOString()) - x(h.from))}" height="10" fill="#e0a800"><title>${escape(h.holdId)}</title></rect>`);
  const total = s.notified + s.unreachable;
  const curve = total ? s.notifiedAt.map((at, i) => `${x(at)},${150 - Math.round(((i + 1) / total) * 80)}`).join(' ') : '';
  return `<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="${width}" height="170" role="img" aria-label="Timeline of the breach">
<line x1="20" x2="${width - 20}" y1="150" y2="150" stroke="#99a"/>
${marker(s.awareAt, 'aware', '#334')}${marker(s.deadline, 'deadline', '#b00020')}${marker(s.noticeAt, 'authority notified', '#2a7d2e')}
${bars.join('')}
${curve ? `<polyline points="20,150 ${curve}" fill="none" stroke="#4a6cf7" stroke-width="2"><title>people notified</title></polyline>` : ''}
</svg>`;
}

export function auditPdf(report: AuditExport, now: Date = new Date()): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: `Audit report: breach ${report.breachId}`, Keywords: `entries-sha256:${report.sha256}` } });
  const done = pdfBytes(doc);
  doc.font('Helvetica-Bold').fontSize(16).text(`Audit report: breach ${report.breachId}`);
  doc.font('Helvetica').fontSize(9).text(`Workflow ${report.workflowId}, runs ${report.runIds.join(', ')}`).moveDown();
  doc.font('Helvetica-Bold').fontSize(12).text('Summary');
  for (const [label, value] of summaryRows(summarizeAudit(report, now))) doc.font('Helvetica-Bold').fontSize(10).text(`${label}: `, { continued: true }).font('Helvetica').text(value);
  doc.moveDown().font('Helvetica-Bold').fontSize(12).text('Findings');
  doc.font('Helvetica').fontSize(10).text(report.findings.length ? report.findings.map((f) => `[${f.code}] ${f.detail}`).join('\n') : 'None.');
  doc.moveDown().font('Helvetica-Bold').fontSize(12).text('Entries');
  for (const e of report.entries) doc.font('Helvetica').fontSize(8).text(`${e.at}  ${e.kind}${e.actor ? `  (${e.actor})` : ''}: ${e.summary}`);
  doc.moveDown().font('Helvetica-Bold').fontSize(10).text('Integrity: SHA-256 of the entries');
  doc.font('Courier').fontSize(9).text(report.sha256);
  doc.end();
  return done;
}
