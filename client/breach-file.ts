import { readFileSync } from 'node:fs';
import { addMinutes } from 'date-fns/addMinutes';
import { isAfter } from 'date-fns/isAfter';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { RISK_LEVELS, type AssessRequest, type BreachFacts } from '../domain/breach';
import { TEXT_LIMITS } from '../domain/requests';
import { DATA_TYPES, type AnchorEvent, type DataType } from '../domain/regimes/rule-pack';
import { UsageError } from './errors';

/**
 * Limits on the breach's own texts, which every notice and the authority report repeat: a few
 * thousand characters each keep a letter within the postal provider's size and every workflow
 * input far below Temporal's payload limit.
 */
export const FACT_LIMITS = { description: 3_000, categories: 30 } as const;

/** A text a person supplies, at most `max` characters (the README lists the limits). */
const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
/** A whole decimal number, from YAML (a number) or a flag (its digits): not "", "0x10", "1e3" or true. */
const count = z
  .union([z.number(), z.string().regex(/^\s*-?\d+\s*$/, 'must be a whole decimal number')], { error: 'must be a whole decimal number' })
  .transform(Number)
  .pipe(z.number().int('must be a whole number').min(0, 'must not be negative').max(1e10, 'must be at most 10,000,000,000'));

export const assessmentSchema = z.strictObject({
  risk: z.enum(RISK_LEVELS, { error: `must be one of ${RISK_LEVELS.join(', ')}` }),
  rationale: text(TEXT_LIMITS.reason),
  by: text(TEXT_LIMITS.name),
});

const instantField = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-11-29T08:00:00Z' });

/** A breach as `breach start` accepts it, from flags or a YAML/JSON file. */
const breachSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be 1-100 letters, digits, dots, dashes or underscores'),
  title: text(TEXT_LIMITS.name),
  description: text(FACT_LIMITS.description),
  awareAt: instantField,
  reporter: text(TEXT_LIMITS.name),
  dataCategories: z.array(text(TEXT_LIMITS.name)).min(1, 'must name at least one category of personal data').max(FACT_LIMITS.categories, `must name at most ${FACT_LIMITS.categories} categories`),
  approxSubjects: count,
  approxRecords: count,
  likelyConsequences: text(FACT_LIMITS.description),
  measures: text(FACT_LIMITS.description),
  contactPoint: text(TEXT_LIMITS.reason),
  advice: text(FACT_LIMITS.description).optional(),
  occurredFrom: instantField.optional(),
  occurredUntil: instantField.optional(),
  subjectCategories: z.array(text(TEXT_LIMITS.name)).min(1).max(FACT_LIMITS.categories, `must name at most ${FACT_LIMITS.categories} categories`).optional(),
  assessment: assessmentSchema.optional(),
  regimes: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be regime ids such as gdpr, california')).min(1, 'must name at least one regime').optional(),
  residents: z.record(z.string().regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, 'must be keyed by ISO 3166 codes such as US-CA or DE'), count).optional(),
  dataTypes: z.array(z.enum(DATA_TYPES, { error: `must be among ${DATA_TYPES.join(', ')}` })).min(1).optional(),
  discoveredAt: instantField.optional(),
  determinedAt: instantField.optional(),
});

/** Clock skew between the responder's machine and the truth is tolerated up to this much. */
const FUTURE_TOLERANCE_MINUTES = 5;

/** The `breach start` flag of each field, for errors that name what the person typed. */
const FLAG_OF: Record<string, string> = {
  id: '--id',
  title: '--title',
  description: '--description',
  awareAt: '--aware-at',
  reporter: '--reporter',
  dataCategories: '--categories',
  approxSubjects: '--subjects',
  approxRecords: '--records',
  likelyConsequences: '--consequences',
  measures: '--measures',
  contactPoint: '--contact',
  advice: '--advice',
  'assessment.risk': '--risk',
  'assessment.rationale': '--rationale',
  'assessment.by': '--by',
  occurredFrom: '--occurred-from',
  occurredUntil: '--occurred-until',
  subjectCategories: '--subject-categories',
  regimes: '--regimes',
  residents: '--residents',
  dataTypes: '--data-types',
  discoveredAt: '--discovered-at',
  determinedAt: '--determined-at',
};

/** What the regimes of a new breach are decided from: those named, the residents counted, the data involved, the anchors known. */
export interface RegimeFacts {
  regimes?: string[];
  residents?: Record<string, number>;
  dataTypes?: DataType[];
  anchors: Partial<Record<AnchorEvent, string>>;
}

/**
 * The breach's facts from the flags, merged over a file when one is given. Errors name the flags
 * (`missing: --description, --aware-at`), or the file's fields with their flags.
 */
export function parseBreach(raw: unknown, file: string | undefined, now: Date = new Date()): { facts: BreachFacts; initialAssessment?: AssessRequest; regimeFacts: RegimeFacts } {
  const named = (path: PropertyKey[]) => {
    const field = path.map(String).join('.');
    // An element of a list (dataTypes.0) is named by the list's flag.
    const flag = FLAG_OF[field] ?? FLAG_OF[String(path[0])];
    return file ? (flag ? `${field} (${flag})` : field || 'breach') : (flag ?? (field || 'breach'));
  };
  const fail = (problems: string[]) => new UsageError(file ? `${file}: ${problems.join('; ')}` : problems.join('; '));
  const parsed = breachSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const absent = (issue: z.core.$ZodIssue) => issue.code !== 'unrecognized_keys' && issue.input === undefined;
    const missing = parsed.error.issues.filter(absent).map((issue) => named(issue.path));
    const others = parsed.error.issues
      .filter((issue) => !absent(issue))
      .map((issue) => (issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : `${named(issue.path)} ${issue.message}`));
    throw fail([...(missing.length ? [`missing: ${missing.join(', ')}`] : []), ...others]);
  }
  const { id, assessment, regimes, residents, dataTypes, discoveredAt, determinedAt, ...rest } = parsed.data;
  if (parsed.data.occurredFrom && parsed.data.occurredUntil && Date.parse(parsed.data.occurredUntil) < Date.parse(parsed.data.occurredFrom)) {
    throw fail([`${named(['occurredUntil'])} is before ${named(['occurredFrom'])}`]);
  }
  const future = (['awareAt', 'discoveredAt', 'determinedAt', 'occurredFrom', 'occurredUntil'] as const).filter((f) => parsed.data[f] && isAfter(new Date(parsed.data[f]), addMinutes(now, FUTURE_TOLERANCE_MINUTES)));
  if (future.length) throw fail(future.map((f) => `${named([f])} ${parsed.data[f]} is in the future; give the time it happened`));
  const anchors = { ...(discoveredAt ? { discovery: new Date(discoveredAt).toISOString() } : {}), ...(determinedAt ? { determination: new Date(determinedAt).toISOString() } : {}) };
  return {
    facts: {
      breachId: id,
      ...rest,
      awareAt: new Date(rest.awareAt).toISOString(),
      ...(rest.occurredFrom ? { occurredFrom: new Date(rest.occurredFrom).toISOString() } : {}),
      ...(rest.occurredUntil ? { occurredUntil: new Date(rest.occurredUntil).toISOString() } : {}),
    },
    initialAssessment: assessment,
    regimeFacts: { regimes, residents, dataTypes, anchors },
  };
}

export function readBreachFile(file: string, what = 'breach file'): unknown {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${what} ${file}`);
  }
  try {
    return parseYaml(content);
  } catch (err) {
    throw new UsageError(`${file} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
}
