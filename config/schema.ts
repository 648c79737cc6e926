import { z } from 'zod';

const text = z.string().trim().min(1, 'expected a non-empty string');
const email = z.email('expected an email address');
/** Secrets never sit in temporal.yaml: the file names the environment variable that holds them. */
const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected the name of an environment variable');

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
});

const authority = z.strictObject({
  name: text,
  notifyBy: z.enum(['email', 'portal']).default('email'),
  email: email.optional(),
  deadlineHours: z.number().positive().default(72),
  holdsDelayNotice: z.boolean().default(false),
});

const notifications = z.strictObject({
  from: email,
  responders: z.array(email).min(1, 'expected at least one responder address'),
  legal: z.array(email).optional(),
  reminderHoursBeforeDeadline: z.array(z.number().positive()).default([48, 24, 6, 1]),
  overdueReminderEveryHours: z.number().positive().default(4),
});

const smtp = z.strictObject({
  host: text,
  port: z.number().int().min(1).max(65535),
  secure: z.boolean().default(false),
  userEnv: envVarName.optional(),
  passwordEnv: envVarName.optional(),
});

export const configSchema = z
  .strictObject({ temporal: temporal.default(temporal.parse({})), authority, notifications, smtp })
  .refine((c) => c.authority.notifyBy !== 'email' || c.authority.email !== undefined, {
    path: ['authority', 'email'],
    message: 'expected an email address: required when authority.notifyBy is email',
  });

export type EngineConfig = z.infer<typeof configSchema>;
