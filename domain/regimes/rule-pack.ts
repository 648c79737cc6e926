/**
 * A regime's rule pack: what one law asks of a breach, as data. The engine evaluates the packs
 * that apply to a breach into obligations (`domain/obligations.ts`); the built-in packs are in
 * `built-in-packs.ts`, and `temporal.yaml` may override any of their fields or add packs.
 */
import { z } from 'zod';

export const DEADLINE_UNITS = ['hours', 'calendar-days', 'business-days'] as const;
export type DeadlineUnit = (typeof DEADLINE_UNITS)[number];

/** The events a deadline can count from. Awareness is the breach's `awareAt`; the others are recorded as they happen. */
export const ANCHOR_EVENTS = ['awareness', 'discovery', 'determination', 'materiality-determination', 'extortion-payment'] as const;
export type AnchorEvent = (typeof ANCHOR_EVENTS)[number];

/** The kinds of personal data some laws name in their triggers. */
export const DATA_TYPES = ['phi', 'ssn', 'government-id', 'financial-account', 'payment-card', 'credentials', 'biometric', 'medical', 'contact', 'other'] as const;
export type DataType = (typeof DATA_TYPES)[number];

export const HOLD_FORMS = ['written', 'oral'] as const;
export type HoldForm = (typeof HOLD_FORMS)[number];

/** How an obligation is completed: by the engine's authority report, by the engine's notices to individuals, or by a recorded submission. */
export const COMPLETED_BY = ['authority-notice', 'individual-notices', 'submission'] as const;

const positive = z.number().int().positive();
const key = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be lower-case letters, digits and dashes');
const text = z.string().trim().min(1).max(500);

const deadlineSchema = z
  .strictObject({ amount: z.number().positive().max(87_600), unit: z.enum(DEADLINE_UNITS) })
  .refine((d) => d.unit === 'hours' || Number.isInteger(d.amount), { message: 'days must be a whole number', path: ['amount'] });

const anchorSchema = z.union([
  z.strictObject({
    event: z.enum(ANCHOR_EVENTS),
    /** Counts from the end of the calendar year the event falls in (HIPAA's annual log of small breaches). */
    fromYearEnd: z.boolean().optional(),
  }),
  /** Counts from the completion of another obligation of the same pack (California's attorney general, 15 days after residents). */
  z.strictObject({ after: key }),
]);

const triggerSchema = z.strictObject({
  /** Owed only from this assessed risk up; until the breach is assessed the obligation waits for it. */
  minRisk: z.enum(['risk', 'high']).optional(),
  /** Owed only when this many people of the pack's jurisdiction are affected. */
  residentsAtLeast: positive.optional(),
  /** Owed only when fewer than this many are affected (HIPAA's annual log). */
  residentsBelow: positive.optional(),
  /** Owed only when at least this many residents of one state are affected (HIPAA's media notice). */
  inOneStateAtLeast: positive.optional(),
  /** Owed only when one of these types of data is involved; a breach that names none is taken to involve them. */
  dataTypes: z.array(z.enum(DATA_TYPES)).min(1).optional(),
  /** Not owed when the data was unintelligible to whoever got it (encrypted, key not compromised). */
  unlessUnintelligible: z.boolean().optional(),
  /** Substitute notice: owed when at least this many people could not be reached. */
  unreachableAtLeast: positive.optional(),
  /** Substitute notice: owed when the assessment records that notifying each person would take disproportionate effort. */
  disproportionateEffort: z.boolean().optional(),
});

const obligationRuleSchema = z.strictObject({
  key,
  recipient: text,
  citation: text,
  /** Absent: "without unreasonable delay", no fixed date. */
  deadline: deadlineSchema.optional(),
  anchor: anchorSchema,
  trigger: triggerSchema.default({}),
  completedBy: z.enum(COMPLETED_BY).default('submission'),
  /** What a substitute or public notice consists of, for the people who carry it out. */
  means: text.optional(),
});

const lawEnforcementSchema = z.strictObject({
  /** The keys of the obligations a hold may delay; never the GDPR authority notice. */
  delays: z.array(key).min(1),
  /** The forms of request the regime accepts. */
  forms: z.array(z.enum(HOLD_FORMS)).min(1),
  /** The longest a hold of a form delays the notices, in days from when it was placed, unless a written statement follows. */
  maxDays: z.partialRecord(z.enum(HOLD_FORMS), positive).optional(),
});

const noticeRulesSchema = z.strictObject({
  /** Elements the notice to individuals must contain, as the names templates mark them with. */
  requiredElements: z.array(key).default([]),
  /** Elements the notice must not contain (Massachusetts: the nature of the breach). */
  forbiddenElements: z.array(key).default([]),
  /** The channels that satisfy the notice; e-mail only with the person's consent where `emailNeedsConsent`. */
  channels: z.array(z.enum(['email', 'fax', 'postal'])).min(1),
  emailNeedsConsent: z.boolean().default(false),
});

export const rulePackSchema = z.strictObject({
  id: key,
  name: text,
  /** The IANA zone whose calendar counts its days and business days. */
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as America/New_York'),
  /**
   * Where its residents are: ISO 3166-1 countries (`DE`) or ISO 3166-2 US states (`US-CA`). A
   * pack with a jurisdiction applies when the roster has residents there; one without (HIPAA,
   * SEC, NYDFS) applies only when the breach names it.
   */
  /** The holidays business days skip besides weekends. */
  holidays: z.enum(['us-federal', 'none']).default('none'),
  jurisdiction: z.array(z.string().regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, 'must be an ISO 3166 code such as DE or US-CA')).default([]),
  obligations: z.array(obligationRuleSchema).min(1),
  lawEnforcement: lawEnforcementSchema.optional(),
  notice: noticeRulesSchema.optional(),
});

/** A pack as written (built in, or in temporal.yaml), before defaults are filled in. */
export type RulePackDefinition = z.input<typeof rulePackSchema>;
export type RulePack = z.output<typeof rulePackSchema>;
export type ObligationRule = RulePack['obligations'][number];
export type ObligationTrigger = ObligationRule['trigger'];
export type LawEnforcementRule = NonNullable<RulePack['lawEnforcement']>;

/** The id of one obligation of one breach: `california:attorney-general`. */
export function obligationId(pack: Pick<RulePack, 'id'>, rule: Pick<ObligationRule, 'key'>): string {
  return `${pack.id}:${rule.key}`;
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Why a pack's obligations do not fit together, or undefined when they do: every `after` and `delays` names one of its obligations. */
export function packProblem(pack: RulePack): string | undefined {
  const keys = new Set(pack.obligations.map((o) => o.key));
  if (keys.size !== pack.obligations.length) return `${pack.id}: two obligations share a key`;
  for (const rule of pack.obligations) {
    if ('after' in rule.anchor) {
      if (!keys.has(rule.anchor.after)) return `${pack.id}:${rule.key} counts from '${rule.anchor.after}', which is not an obligation of ${pack.id}`;
      if (rule.anchor.after === rule.key) return `${pack.id}:${rule.key} cannot count from itself`;
    }
  }
  const unknown = pack.lawEnforcement?.delays.find((k) => !keys.has(k));
  if (unknown) return `${pack.id}: the law-enforcement rule delays '${unknown}', which is not an obligation of ${pack.id}`;
  if (pack.id === 'gdpr' && pack.lawEnforcement?.delays.includes('authority')) return 'gdpr: a law-enforcement hold never delays the authority notice';
  return undefined;
}
