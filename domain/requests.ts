/**
 * The shape of every message a breach or cohort workflow takes, checked before anything reads
 * it: a message from any client (the CLI, a webhook, the `temporal` CLI, another program) that
 * is not exactly this shape is refused, so that no input can fail a workflow task or store
 * fields the rules never looked at. The rules about what a well-formed request may change stay
 * with the state they guard (`BreachRecord`, `domain/holds.ts`).
 */
import { z } from 'zod';
import { RISK_LEVELS } from './breach';
import { RESOLVED_STATES } from './cohort-recovery';
import { CIRCUMSTANCES, DATA_CATEGORY_BASE, EASE_OF_IDENTIFICATION, type SeverityInputs } from './severity';
import { SUBJECT_STATES } from './cascade';
import { CHANNELS } from './individuals';
import { FIELD_NAMES } from './required-fields';
import { ANCHOR_EVENTS, HOLD_FORMS } from './regimes/rule-pack';

/** The longest texts a person may supply, in characters (the README lists them). */
export const TEXT_LIMITS = {
  /** A name or reference: who acted, an agency, a case or portal reference, a hold id. */
  name: 200,
  /** A rationale or a reason. */
  reason: 5_000,
  /** Supplementary information for the authority. */
  information: 20_000,
} as const;

const text = (max: number) => z.string().max(max);
const name = text(TEXT_LIMITS.name);
const reason = text(TEXT_LIMITS.reason);
const count = z.number().int().nonnegative();

/** An instant with its time zone: `2026-12-01T09:00:00Z` or `…+01:00`; a local time would be read in the worker's zone. */
export const instant = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone offset, e.g. 2026-12-01T09:00:00Z' });

const oneOf = <T extends string>(values: readonly T[]) => z.enum(values as [T, ...T[]], { error: `must be one of ${values.join(', ')}` });
const keysOf = <T extends object>(o: T) => Object.keys(o) as (keyof T & string)[];

/** The ENISA severity inputs (`domain/severity.ts`), as a flag set or file gives them. */
export const severityInputsSchema = z.strictObject({
  categories: z
    .array(z.strictObject({ category: oneOf(keysOf(DATA_CATEGORY_BASE)), adjustment: z.number().int().min(-3).max(3), reason: reason.optional() }))
    .min(1, 'at least one data category is needed')
    .max(20),
  ease: oneOf(keysOf(EASE_OF_IDENTIFICATION)),
  // What is not said did not happen: no loss of confidentiality, integrity or availability, no malice, no flags.
  confidentiality: oneOf(keysOf(CIRCUMSTANCES.confidentiality)).default('none'),
  integrity: oneOf(keysOf(CIRCUMSTANCES.integrity)).default('none'),
  availability: oneOf(keysOf(CIRCUMSTANCES.availability)).default('none'),
  malicious: z.boolean().default(false),
  moreThan100People: z.boolean().default(false),
  unintelligible: z.boolean().default(false),
  subsequentMeasures: reason.optional(),
  disproportionateEffort: reason.optional(),
}) satisfies z.ZodType<SeverityInputs>;

export const assessRequestSchema = z.strictObject({
  risk: z.enum(RISK_LEVELS, { error: `must be one of ${RISK_LEVELS.join(', ')}` }),
  rationale: reason,
  by: name,
  severity: severityInputsSchema.optional(),
  belowRecommendation: reason.optional(),
});
export const lateReasonRequestSchema = z.strictObject({ reason, by: name });
export const portalSubmissionRequestSchema = z.strictObject({ reference: name, by: name, lateReason: reason.optional() });
export const supplementRequestSchema = z.strictObject({ information: text(TEXT_LIMITS.information), by: name, portalReference: name.optional() });
export const placeHoldRequestSchema = z.strictObject({
  agency: name,
  caseRef: name,
  reason,
  by: name,
  reviewAt: instant.optional(),
  form: oneOf(HOLD_FORMS).optional(),
  regimes: z.array(name).min(1, 'name at least one regime').max(20).optional(),
  confidential: z.boolean().optional(),
});
export const holdStatementRequestSchema = z.strictObject({ holdId: name, reason, by: name });
export const recordAnchorRequestSchema = z.strictObject({ event: oneOf(ANCHOR_EVENTS), at: instant, by: name, reason: reason.optional() });
export const recordObligationRequestSchema = z.strictObject({
  obligationId: name,
  reference: name,
  by: name,
  at: instant.optional(),
  lateReason: reason.optional(),
  notRequiredReason: reason.optional(),
});
export const releaseHoldRequestSchema = z.strictObject({ holdId: name, reason, by: name });
export const reviewHoldRequestSchema = z.strictObject({ holdId: name, kind: z.enum(['confirmed', 'extended'], { error: 'must be confirmed or extended' }), reviewAt: instant, reason, by: name });
export const closeRequestSchema = z.strictObject({ by: name, incompleteReason: reason.optional() });
export const retryCohortRequestSchema = z.strictObject({ cohort: count, subjectId: name.optional(), reason, by: name });
export const resolveSubjectRequestSchema = z.strictObject({
  cohort: count,
  subjectId: name,
  state: z.enum(RESOLVED_STATES, { error: `must be one of ${RESOLVED_STATES.join(', ')}` }),
  reason,
  by: name,
});

export const deliveryReportSchema = z.strictObject({
  subjectId: name,
  channel: z.enum(CHANNELS, { error: `must be one of ${CHANNELS.join(', ')}` }),
  reason,
  source: name.optional(),
  by: name.optional(),
  observation: z.enum(['delayed', 'complaint']).optional(),
});

const finalState = z.enum(['notified-email', 'notified-fax', 'notified-postal', 'unreachable', 'duplicate']);
const cohortCounts = z.strictObject({ rows: count, 'notified-email': count, 'notified-fax': count, 'notified-postal': count, unreachable: count, duplicate: count });

/** What a cohort tells its breach (`CohortReport`). */
export const cohortReportSchema = z.strictObject({
  cohort: count,
  stage: z.enum(['sending', 'waiting', 'final']),
  counts: cohortCounts,
  unreachable: z.array(z.strictObject({ subjectId: name, state: finalState, reasons: z.array(reason).max(10).optional() })).max(1_000),
  failing: z.strictObject({ channel: z.enum(CHANNELS), since: instant, reason }).optional(),
  error: reason.optional(),
});
export const cohortHeldSchema = z.strictObject({ cohort: count, round: count });
export const holdNewsSchema = z.strictObject({ active: z.boolean(), round: count });
export const subjectIdSchema = name;
export const subjectStateSchema = z.enum(SUBJECT_STATES, { error: `must be one of ${SUBJECT_STATES.join(', ')}` });

/** The checked request, or why it was refused, in words that name the field and never echo its value. */
export function parseRequest<T>(schema: z.ZodType<T>, request: unknown): { value: T } | { problem: string } {
  const parsed = schema.safeParse(request, { reportInput: true });
  if (parsed.success) return { value: parsed.data };
  return { problem: describeIssue(parsed.error.issues[0]!) };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.map(String).join('.');
  const named = FIELD_NAMES[field] ?? field;
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}${field ? ` in ${field}` : ''}`;
    case 'invalid_type':
      if (issue.path.length === 0) return `the request must be a JSON object, not ${kindOf(issue.input)}`;
      if (issue.input === undefined) return issue.expected === 'string' ? `${named} must not be empty` : `${named} is missing`;
      return `${named} must be ${issue.expected === 'string' ? 'text' : issue.expected}, not ${kindOf(issue.input)}`;
    case 'too_big':
      return issue.origin === 'string' ? `${named} is longer than ${issue.maximum} characters` : `${named} has more than ${issue.maximum} entries`;
    default:
      return `${named} ${issue.message}`;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
