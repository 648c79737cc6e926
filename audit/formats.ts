import { ENTRY_FIELD_NAMES, exportJson, type AuditEntry, type AuditExport, type EntryFields } from './export-schema';
import type { AuditFormat } from './format-names';
import { auditHtml, auditPdf } from './report-document';

/** The report in a format; a PDF is bytes, the others text. */
export async function formatAudit(report: AuditExport, format: AuditFormat): Promise<string | Buffer> {
  switch (format) {
    case 'pdf':
      return auditPdf(report);
    case 'html':
      return auditHtml(report);
    case 'json':
      return exportJson(report);
    case 'csv':
      return toCsv(report);
    case 'md':
      return toMarkdown(report);
    default:
      return toTable(report);
  }
}

function toTable(report: AuditExport): string {
  const rows = [['AT', 'KIND', 'ACTOR', 'WHAT'], ...report.entries.map((e) => [e.at, e.kind, e.actor ?? '', e.summary])];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join('  '));
  return [
    `Audit of breach ${report.breachId} (${report.workflowId}, ${report.runIds.length} run(s))`,
    ...lines,
    '',
    findingsText(report),
    `SHA-256 of entries: ${report.sha256}`,
  ].join('\n') + '\n';
}

function findingsText(report: AuditExport): string {
  if (report.findings.length === 0) return 'Findings: none';
  return ['Findings:', ...report.findings.map((f) => `  [${f.code}] ${f.detail}`)].join('\n');
}

const CSV_COLUMNS = ['at', 'kind', 'actor', 'identity', 'summary', 'runId', 'eventId'] as const satisfies (keyof AuditEntry)[];

/**
 * A CSV cell. A cell that a spreadsheet would run as a formula (starting with =, +, -, @, a tab
 * or a carriage return) is prefixed with an apostrophe, as OWASP's CSV injection advice says;
 * the JSON export keeps every text exactly.
 */
function csvCell(value: string | undefined): string {
  const raw = value ?? '';
  const text = /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A field as a CSV cell: lists joined by semicolons, numbers and booleans as JSON writes them. */
function fieldCell(value: EntryFields[keyof EntryFields]): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join('; ') : String(value);
}

/** One row per entry: its words, then a column per structured field (empty where the entry's kind has none). */
function toCsv(report: AuditExport): string {
  const header = [...CSV_COLUMNS, ...ENTRY_FIELD_NAMES].join(',');
  const row = (e: AuditEntry) => [...CSV_COLUMNS.map((c) => e[c]), ...ENTRY_FIELD_NAMES.map((f) => fieldCell(e.fields?.[f]))].map(csvCell).join(',');
  const blankFields = ENTRY_FIELD_NAMES.map(() => '');
  const findingRows = report.findings.map((f) => ['', 'finding', '', '', `[${f.code}] ${f.detail}`, '', '', ...blankFields].map(csvCell).join(','));
  return [header, ...report.entries.map(row), ...findingRows].join('\n') + '\n';
}

function mdCell(value: string | undefined): string {
  return (value ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function toMarkdown(report: AuditExport): string {
  return [
    `# Audit report: breach ${report.breachId}`,
    '',
    `Built from Temporal's event history of workflow \`${report.workflowId}\`, runs ${report.runIds.map((r) => `\`${r}\``).join(', ')}.`,
    '',
    '| When | What | Who | Details |',
    '|---|---|---|---|',
    ...report.entries.map((e) => `| ${e.at} | ${e.kind} | ${mdCell(e.actor)} | ${mdCell(e.summary)} |`),
    '',
    '## Findings',
    '',
    ...(report.findings.length ? report.findings.map((f) => `- **${f.code}**: ${mdCell(f.detail)}`) : ['None.']),
    '',
    `Integrity: SHA-256 of the entries \`${report.sha256}\`.`,
    '',
  ].join('\n');
}
