import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RISK_LEVELS } from '../domain/breach';
import { CHANNELS } from '../domain/individuals';

/**
 * The JSON audit export. Auditors file these exports and check them years later, so a schema
 * version is frozen: any change, even an added field, makes a new version, and a filed export
 * always validates against the document of its version. `breach-audit/v2` added each entry's
 * structured `fields`; v1 exports (entries in words only) are still read and verified. The JSON
 * Schema documents `docs/breach-audit-v<N>.schema.json` are generated from these definitions
 * (`npm run audit-schema`), and a test keeps them identical.
 */
export const AUDIT_SCHEMA_VERSION = 'breach-audit/v2';
const V1 = 'breach-audit/v1';
export const AUDIT_SCHEMA_VERSIONS = [V1, AUDIT_SCHEMA_VERSION] as const;
export type AuditSchemaVersion = (typeof AUDIT_SCHEMA_VERSIONS)[number];

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

const instant = z.iso.datetime();

/** What an entry says in words, as data: only the fields its kind has are present. None holds personal data. */
const entryFieldsSchema = z
  .strictObject({
    subjectId: z.string().describe("The subject's id in the roster (a pseudonym, never contact data)."),
    cohort: z.number().int().nonnegative().describe('The cohort (slice of the roster) the subject or entry belongs to.'),
    channel: z.enum(CHANNELS).describe('The channel of a notice, attempt or report.'),
    state: z.string().describe("A subject's final state (notified-email, notified-fax, notified-postal, unreachable) or an obligation's status."),
    reasons: z.array(z.string()).describe('Why each channel failed, for an unreachable subject.'),
    providerId: z.string().describe('What the provider accepted: Message-ID, Telnyx fax id or Lob letter id.'),
    contentSha256: z.string().describe('SHA-256 of the notice as sent.'),
    attempt: z.number().int().positive().describe('The activity attempt that sent it (above 1: an earlier attempt may have sent a copy with the same id).'),
    holdId: z.string(),
    agency: z.string(),
    caseRef: z.string(),
    reviewAt: instant.describe("A hold's next review date."),
    regimes: z.array(z.string()).describe('The regimes a hold delays, or that the breach opened under.'),
    heldHours: z.number().nonnegative().describe('How long a released hold was in force.'),
    risk: z.enum(RISK_LEVELS),
    awareAt: instant.describe('When the company became aware of the breach.'),
    deadline: instant.describe('The deadline of the authority notice or of an obligation.'),
    deadlineHours: z.number().positive(),
    acceptedAt: instant.describe("When the authority notice was accepted (the relay's reply, or the portal submission)."),
    onTime: z.boolean(),
    lateReason: z.string(),
    messageId: z.string(),
    portalReference: z.string(),
    obligationId: z.string().describe('regime:obligation, e.g. california:residents.'),
    rosterSubjects: z.number().int().nonnegative(),
    rosterSha256: z.string(),
  })
  .partial()
  .meta({ title: 'Entry fields' });

export type EntryFields = z.infer<typeof entryFieldsSchema>;
/** The fields in the order the CSV export gives them as columns. */
export const ENTRY_FIELD_NAMES = Object.keys(entryFieldsSchema.shape) as (keyof EntryFields)[];

const auditEntryV1Schema = z
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

const auditEntrySchema = auditEntryV1Schema.extend({ fields: entryFieldsSchema.optional().describe("The entry's facts as data, for tools; the summary says the same in words.") }).meta({ title: 'Audit entry' });

const findingSchema = z
  .strictObject({
    code: z.enum(FINDING_CODES).describe('Which check raised it.'),
    detail: z.string().describe('What is wrong, naming holds, subjects and times; never personal data.'),
  })
  .meta({ title: 'Finding' });

function exportSchema<E extends z.ZodType>(version: AuditSchemaVersion, entry: E) {
  return z
    .strictObject({
      schema: z.literal(version),
      breachId: z.string().min(1),
      workflowId: z.string().min(1).describe('The workflow the entries were read from: the breach, or one subject (--subject).'),
      runIds: z.array(z.string()).min(1).describe('Every run of that workflow (continue-as-new makes several), oldest first.'),
      entries: z.array(entry).describe('The timeline, in the order the events happened.'),
      findings: z.array(findingSchema).describe('What an auditor would raise; empty for a complete record.'),
      sha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .describe('SHA-256 (hex) of JSON.stringify(entries): equal for two exports of the same finished breach, changed by any edit.'),
    })
    .meta({ title: 'Breach audit export', description: "A breach's documentation (GDPR Art. 33(5)), rebuilt from Temporal's event history." });
}

export const auditExportSchema = exportSchema(AUDIT_SCHEMA_VERSION, auditEntrySchema);
const SCHEMAS = { [V1]: exportSchema(V1, auditEntryV1Schema), [AUDIT_SCHEMA_VERSION]: auditExportSchema } as const;

export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type Finding = z.infer<typeof findingSchema>;
/** An export as built now, or as filed under an earlier version (whose entries have no fields). */
export type AuditExport = Omit<z.infer<typeof auditExportSchema>, 'schema'> & { schema: AuditSchemaVersion };

/** The integrity hash an export carries: SHA-256 over its entries as JSON. */
export function entriesSha256(entries: AuditEntry[]): string {
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex');
}

/** The published JSON Schema document of an export version. */
export function auditExportJsonSchema(version: AuditSchemaVersion = AUDIT_SCHEMA_VERSION): Record<string, unknown> {
  return { $id: `urn:breach-engine:schema:${version.replace('/', ':')}`, ...z.toJSONSchema(SCHEMAS[version]) };
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
  const version = (json as { schema?: unknown } | null)?.schema;
  if (!AUDIT_SCHEMA_VERSIONS.includes(version as AuditSchemaVersion)) {
    throw new InvalidExport(`is not an audit export: schema must be one of ${AUDIT_SCHEMA_VERSIONS.join(', ')}`);
  }
  const parsed = SCHEMAS[version as AuditSchemaVersion].safeParse(json);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new InvalidExport(`is not a ${version} export: ${issue!.path.join('.') || 'the document'}: ${issue!.message}`);
  }
  const stored = json as AuditExport;
  const actual = entriesSha256(stored.entries);
  if (actual !== stored.sha256) throw new InvalidExport(`was changed: its entries hash to ${actual}, the export says ${stored.sha256}`);
  return stored;
}
