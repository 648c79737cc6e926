import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The JSON audit export, `breach-audit/v1`. Auditors file these exports and check them years
 * later, so the schema is frozen: any change, even an added field, makes `breach-audit/v2`, and a
 * filed export always validates against the document of its version. The JSON Schema document
 * `docs/breach-audit-v1.schema.json` is generated from this definition (`npm run audit-schema`),
 * and a test keeps the two identical.
 */
export const AUDIT_SCHEMA_VERSION = 'breach-audit/v1';

export const FINDING_CODES = [
  'missing-art33-element',
  'late-without-reason',
  'hold-without-case-reference',
  'hold-past-review',
  'subjects-without-final-state',
  'contacted-during-hold',
  'notification-stopped',
  'hold-without-review-date',
  'unreachable-without-substitute-notice',
] as const;

const auditEntrySchema = z
  .strictObject({
    at: z.iso.datetime().describe('When it happened (UTC, ISO 8601): the time of the history event it was read from.'),
    kind: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .describe(
        'What happened. Breach: opened, continued-as-new, assessed, reminder, escalation, overdue, hold-review-reminder, ' +
          'authority-notified, authority-notice-failed, late-reason, supplement, hold-placed, hold-reviewed, hold-statement, hold-lapse-reminder, hold-lapsed, hold-released, ' +
          'regimes, anchor-recorded, obligation-reminder, obligation-escalation, obligation-overdue, obligation-done, obligation-not-required, request-refused, ' +
          'request-failed, signal-refused, signal-unknown, fan-out-started, fan-out-stopped, subject-notified, subject-unreachable, duplicate-rows, returned-mail, cohort-retried, subject-resolved, closed, workflow-completed, ' +
          'individual-totals. Subject (--subject): email-accepted, fax-accepted, fax-delivered, fax-failed, postal-accepted, ' +
          '<channel>-failed, <channel>-report, cascade-resumed, final.',
      ),
    actor: z.string().optional().describe('The person the request names (--by).'),
    identity: z.string().optional().describe('The Temporal client identity that sent the request.'),
    summary: z.string().describe('The entry in words: who, what, the reasons and the evidence (ids, hashes, replies).'),
    runId: z.string().describe('The workflow run whose history holds the event.'),
    eventId: z.string().describe("The event's id in that run's history ('totals' for the closing individual-totals entry)."),
  })
  .meta({ title: 'Audit entry' });

const findingSchema = z
  .strictObject({
    code: z.enum(FINDING_CODES).describe('Which check raised it.'),
    detail: z.string().describe('What is wrong, naming holds, subjects and times; never personal data.'),
  })
  .meta({ title: 'Finding' });

export const auditExportSchema = z
  .strictObject({
    schema: z.literal(AUDIT_SCHEMA_VERSION),
    breachId: z.string().min(1),
    workflowId: z.string().min(1).describe('The workflow the entries were read from: the breach, or one subject (--subject).'),
    runIds: z.array(z.string()).min(1).describe('Every run of that workflow (continue-as-new makes several), oldest first.'),
    entries: z.array(auditEntrySchema).describe('The timeline, in the order the events happened.'),
    findings: z.array(findingSchema).describe('What an auditor would raise; empty for a complete record.'),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .describe('SHA-256 (hex) of JSON.stringify(entries): equal for two exports of the same finished breach, changed by any edit.'),
  })
  .meta({ title: 'Breach audit export', description: "A breach's documentation (GDPR Art. 33(5)), rebuilt from Temporal's event history." });

export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type Finding = z.infer<typeof findingSchema>;
export type AuditExport = z.infer<typeof auditExportSchema>;

/** The integrity hash an export carries: SHA-256 over its entries as JSON. */
export function entriesSha256(entries: AuditEntry[]): string {
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex');
}

/** The published JSON Schema document of the export. */
export function auditExportJsonSchema(): Record<string, unknown> {
  return { $id: 'urn:breach-engine:schema:breach-audit:v1', ...z.toJSONSchema(auditExportSchema) };
}

/** A document that is not an intact export; the message says why and never quotes its content. */
export class InvalidExport extends Error {
  override name = 'InvalidExport';
}

/** An export as JSON text, the form it is filed and archived in. */
export function exportJson(report: AuditExport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

/**
 * Reads an export from its JSON text and checks it against the schema and its integrity hash. It
 * is returned as it was stored: the hash covers the entries exactly as written, and validation
 * would put their keys in the schema's order.
 */
export function readExport(text: string): AuditExport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidExport('is not valid JSON');
  }
  const parsed = auditExportSchema.safeParse(json);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new InvalidExport(`is not a ${AUDIT_SCHEMA_VERSION} export: ${issue!.path.join('.') || 'the document'}: ${issue!.message}`);
  }
  const stored = json as AuditExport;
  const actual = entriesSha256(stored.entries);
  if (actual !== stored.sha256) throw new InvalidExport(`was changed: its entries hash to ${actual}, the export says ${stored.sha256}`);
  return stored;
}
