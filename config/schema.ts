import { durationMs } from './duration';
import { z } from 'zod';
import { RETURN_PATH_PLACEHOLDER } from '../domain/ids';
import { RISK_LEVELS } from '../domain/breach';
import { CHANNELS } from '../domain/individuals';
import { DEFAULT_RECOMMENDATION } from '../domain/severity';
import { isTimeZone } from '../domain/regimes/rule-pack';
import { regimesSchema } from './regimes';

const text = z.string().trim().min(1, 'expected a non-empty string');
const email = z.email('expected an email address');
/**
 * Secrets never sit in temporal.yaml: the file names the environment variable that holds them.
 * A name is upper case, at most 64 characters, in words of at most 24: an API key pasted here by
 * mistake is refused (without being echoed) instead of being copied into logs and histories.
 */
const envVarName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]{0,63}$/, 'expected the name of an environment variable (upper case letters, digits and _), not its value')
  .refine((name) => name.split('_').every((word) => word.length <= 24), 'this looks like a secret, not the name of an environment variable; put the secret in the environment and name the variable here');

/** A positive duration with its unit, such as '48 hours', '30s' or '2m' (see durationMs). */
const duration = z.custom<string>((value) => durationMs(value) > 0, {
  message: "expected a duration with its unit, such as '48 hours', '30 seconds' or '5m'",
});

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'expected an E.164 number such as +13125550100');

const temporal = z.strictObject({
  address: text.default('localhost:7233'),
  namespace: text.default('default'),
  taskQueue: text.default('breach-notifications'),
  tls: z
    .strictObject({
      clientCertPathEnv: envVarName,
      clientKeyPathEnv: envVarName,
      serverRootCaPathEnv: envVarName.optional(),
      serverName: text.optional(),
    })
    .optional(),
  apiKeyEnv: envVarName.optional(),
  /** Where people open a breach's workflow in the Temporal Web UI. */
  webUiUrl: z.url().default('http://localhost:8233'),
  /**
   * Workflows a worker keeps in memory between tasks. Every cohort of a breach stays open until the
   * breach closes, so without a bound the worker would keep them all; one evicted is replayed from
   * its short history when it next has work. At least the 40 workflow tasks a worker runs at once,
   * each of which needs a place in the cache.
   */
  maxCachedWorkflows: z.number().int().min(40).default(100),
});

const authority = z.strictObject({
  name: text,
  notifyBy: z.enum(['email', 'portal']).default('email'),
  email: email.optional(),
  deadlineHours: z.number().positive().default(72),
  holdsDelayNotice: z.boolean().default(false),
});

/** The company that holds the data (the controller): named in every notice and in the authority report. */
const controller = z.strictObject({
  name: text,
  address: text.optional(),
  phone: text.optional(),
  website: z.url().optional(),
  /** The data protection officer or other contact point, as the notices and the report name them. */
  dpo: text.optional(),
  /** Where replies to notices go (a monitored mailbox); notices come from `notifications.from`. */
  replyTo: email.optional(),
  /** The zone in which notices give their dates (the breach period, when it was found, the notice's own date); UTC by default. */
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin').optional(),
});

export type ControllerConfig = z.infer<typeof controller>;

const notifications = z.strictObject({
  from: email,
  responders: z.array(email).min(1, 'expected at least one responder address'),
  legal: z.array(email).optional(),
  reminderHoursBeforeDeadline: z.array(z.number().positive()).default([48, 24, 6, 1]),
  overdueReminderEveryHours: z.number().positive().default(4),
  /** Reminders before an obligation whose deadline is counted in days. */
  obligationReminderDaysBefore: z.array(z.number().int().positive()).default([7, 3, 1]),
  /** Legal is reminded this many days before a hold stops delaying a regime's notices (an oral HIPAA hold). */
  holdLapseReminderDaysBefore: z.number().int().positive().default(5),
});

const smtp = z.strictObject({
  host: text,
  port: z.number().int().min(1).max(65535),
  secure: z.boolean().default(false),
  userEnv: envVarName.optional(),
  passwordEnv: envVarName.optional(),
  /** Pooled connections per worker; at most one notice is in flight on each. */
  maxConnections: z.number().int().min(1).max(100).default(5),
  /**
   * The envelope sender of notices to individuals, with `{notice}` where each notice's id goes
   * (VERP), e.g. `bounces+{notice}@bounces.company.example`: bounces come back to the bounce
   * intake (`npm run bounces`) and name their notice. Without it, the envelope sender is `from`.
   */
  returnPath: z
    .string()
    .refine(
      (value) => value.split(RETURN_PATH_PLACEHOLDER).length === 2 && z.email().safeParse(value.replace(RETURN_PATH_PLACEHOLDER, 'notice')).success && value.indexOf(RETURN_PATH_PLACEHOLDER) < value.lastIndexOf('@'),
      `expected an address with ${RETURN_PATH_PLACEHOLDER} once in its local part, e.g. bounces+${RETURN_PATH_PLACEHOLDER}@bounces.company.example`,
    )
    .optional(),
});

const riskLevel = z.enum(RISK_LEVELS);

/**
 * What each ENISA severity band recommends (`breach assess` with a score): ENISA sets no
 * notification threshold, so the mapping is the company's policy. A decision below it needs a reason.
 */
const assessment = z.strictObject({
  recommend: z.strictObject({ low: riskLevel, medium: riskLevel, high: riskLevel, 'very-high': riskLevel }).default(DEFAULT_RECOMMENDATION),
});

/** The bounce intake (`npm run bounces`): the SMTP server the return-path domain's MX points at. */
const bounceIntake = z.strictObject({
  host: text.default('0.0.0.0'),
  port: z.number().int().min(0).max(65535).default(2525),
  maxMessageBytes: z.number().int().min(10_000).max(100_000_000).default(10_000_000),
});

const individuals = z.strictObject({
  channels: z.array(z.enum(CHANNELS)).min(1, 'expected at least one channel').default(['email', 'fax', 'postal']),
  bounceWindow: duration.default('48 hours'),
  faxPollInterval: duration.default('30 seconds'),
  emailMaxAttempts: z.number().int().min(1).default(5),
  /** Roster rows per cohort workflow. */
  cohortSize: z.number().int().min(1).max(2000).default(500),
  /** Cohorts sending their first notices at once; cohorts waiting for bounce windows hold no slot. */
  sendingCohorts: z.number().int().min(1).max(100).default(4),
  /** Messages per batch activity. */
  batchSize: z.number().int().min(1).max(1000).default(100),
  /** How long people who move to the next channel are gathered before their batch is sent. */
  fallbackDelay: duration.default('10 seconds'),
  /** How long a channel our side cannot reach is retried before its people move on to the next channel. */
  outageRetryFor: duration.default('24 hours'),
  continueAsNewAfterEvents: z.number().int().min(200).default(10_000),
  templateDir: text.default('templates'),
  defaultLanguage: text.default('en'),
  /**
   * Messages per second per channel, across all workers: the channel's task queue admits
   * maxPerSecond / batchSize batch activities per second (Temporal enforces it per task queue),
   * and each batch paces its own messages to maxPerSecond. Lob allows 150 requests per 5 s per endpoint.
   */
  maxPerSecond: z
    .strictObject({ email: z.number().positive().default(200), fax: z.number().positive().default(10), postal: z.number().positive().default(20) })
    .default({ email: 200, fax: 10, postal: 20 }),
});

const fax = z.strictObject({
  provider: z.literal('telnyx').default('telnyx'),
  apiKeyEnv: envVarName,
  connectionId: text,
  from: e164,
  baseUrl: z.url().optional(),
});

const postal = z.strictObject({
  provider: z.literal('lob').default('lob'),
  apiKeyEnv: envVarName,
  baseUrl: z.url().optional(),
  from: z.strictObject({
    name: text,
    address_line1: text,
    address_line2: text.optional(),
    address_city: text,
    address_state: text,
    address_zip: text,
    address_country: text.optional(),
  }),
});

/**
 * An S3 bucket (or an S3-compatible store through `endpoint`) for the audit archive. The region
 * is required rather than defaulted because where the exports live is a data-residency decision.
 */
const s3Archive = z.strictObject({
  bucket: text,
  /** Folder-like key prefix; a '/' is added when missing. */
  prefix: z.string().trim().regex(/^[^/]/, "expected a non-empty key prefix that does not start with '/'").optional(),
  region: text,
  endpoint: z.url().optional(),
  forcePathStyle: z.boolean().default(false),
  accessKeyIdEnv: envVarName.default('AWS_ACCESS_KEY_ID'),
  secretAccessKeyEnv: envVarName.default('AWS_SECRET_ACCESS_KEY'),
  sessionTokenEnv: envVarName.optional(),
});

export type S3ArchiveConfig = z.infer<typeof s3Archive>;

const DEFAULT_ARCHIVE_DIR = '.data/audit-archive';

/** Closed breaches' audit exports go to the S3 bucket when `s3` is given, else to `archiveDir`. */
const audit = z.strictObject({
  archiveDir: text.default(DEFAULT_ARCHIVE_DIR),
  s3: s3Archive.optional(),
});

export type AuditConfig = z.infer<typeof audit>;

export const configSchema = z
  .strictObject({
    temporal: temporal.default(temporal.parse({})),
    authority,
    controller: controller.optional(),
    assessment: assessment.default({ recommend: DEFAULT_RECOMMENDATION }),
    notifications,
    smtp,
    bounceIntake: bounceIntake.default(bounceIntake.parse({})),
    individuals: individuals.default(individuals.parse({ channels: ['email'] })),
    channels: z.strictObject({ fax: fax.optional(), postal: postal.optional() }).default({}),
    audit: audit.default({ archiveDir: DEFAULT_ARCHIVE_DIR }),
    regimes: regimesSchema.prefault({}),
  })
  .refine((c) => c.authority.notifyBy !== 'email' || c.authority.email !== undefined, {
    path: ['authority', 'email'],
    message: 'expected an email address: required when authority.notifyBy is email',
  })
  .refine((c) => !c.individuals.channels.includes('fax') || c.channels.fax !== undefined, {
    path: ['channels', 'fax'],
    message: 'expected the fax provider settings: individuals.channels includes fax',
  })
  .refine((c) => !c.individuals.channels.includes('postal') || c.channels.postal !== undefined, {
    path: ['channels', 'postal'],
    message: 'expected the postal provider settings: individuals.channels includes postal',
  });

export type EngineConfig = z.infer<typeof configSchema>;
