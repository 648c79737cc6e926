import type { RulePack } from '../domain/regimes/rule-pack';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { durationMs } from './duration';
import type { AuthorityPolicy } from '../domain/breach';
import { channelBatchSize, channelTaskQueue, faxStatusTaskQueue, type CascadePolicy } from '../domain/cascade';
import { configSchema, type EngineConfig } from './schema';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const DEFAULT_CONFIG_PATH = 'temporal.yaml';

/**
 * Reads and validates temporal.yaml once. Every problem is reported with the key's path and what
 * was expected, so a typo never surfaces later as a confusing runtime failure.
 */
export function loadConfig(file: string = DEFAULT_CONFIG_PATH, env: NodeJS.ProcessEnv = process.env): EngineConfig {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message.split('\n')[0];
    throw new ConfigError(`${file}: ${reason}`);
  }
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(`${file}: ${describeIssues(parsed.error.issues)}`);
  const config = parsed.data;
  // The templates sit beside the configuration that names them, wherever the worker or the CLI runs from.
  config.individuals.templateDir = path.resolve(path.dirname(file), config.individuals.templateDir);
  if (env.TEMPORAL_ADDRESS) config.temporal.address = env.TEMPORAL_ADDRESS;
  if (env.TEMPORAL_NAMESPACE) config.temporal.namespace = env.TEMPORAL_NAMESPACE;
  return config;
}

function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.join('.') || '(top level)';
      if (issue.code === 'unrecognized_keys') {
        const where = issue.path.length ? `${path}.` : '';
        return issue.keys.map((key) => `${where}${key}: unknown key`).join('; ');
      }
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

/** The policy a new breach is started under; it travels in the workflow input. */
export function authorityPolicy(config: EngineConfig): AuthorityPolicy {
  return {
    deadlineHours: config.authority.deadlineHours,
    notifyBy: config.authority.notifyBy,
    holdsDelayNotice: config.authority.holdsDelayNotice,
    reminderHoursBeforeDeadline: config.notifications.reminderHoursBeforeDeadline,
    overdueReminderEveryHours: config.notifications.overdueReminderEveryHours,
    recommend: config.assessment.recommend,
    obligationReminderDaysBefore: config.notifications.obligationReminderDaysBefore,
    holdLapseReminderDaysBefore: config.notifications.holdLapseReminderDaysBefore,
  };
}

/** The packs as a new breach starts under them: the authority notice's deadline is the authority clock's own (`authority.deadlineHours`). */
export function packsInForce(config: EngineConfig, packs: RulePack[]): RulePack[] {
  const hours = config.authority.deadlineHours;
  return packs.map((p) => ({ ...p, obligations: p.obligations.map((r) => (r.completedBy === 'authority-notice' ? { ...r, deadline: { amount: hours, unit: 'hours' as const } } : r)) }));
}

/** The individual-notification policy a new breach is started under. */
export function cascadePolicy(config: EngineConfig): CascadePolicy {
  const i = config.individuals;
  return {
    channels: i.channels,
    taskQueues: {
      email: channelTaskQueue(config.temporal.taskQueue, 'email'),
      fax: channelTaskQueue(config.temporal.taskQueue, 'fax'),
      postal: channelTaskQueue(config.temporal.taskQueue, 'postal'),
    },
    bounceWindowMs: durationMs(i.bounceWindow),
    faxPollIntervalMs: durationMs(i.faxPollInterval),
    emailMaxAttempts: i.emailMaxAttempts,
    cohortSize: i.cohortSize,
    sendingCohorts: i.sendingCohorts,
    batchSizes: {
      email: channelBatchSize(i.batchSize, i.maxPerSecond.email),
      fax: channelBatchSize(i.batchSize, i.maxPerSecond.fax),
      postal: channelBatchSize(i.batchSize, i.maxPerSecond.postal),
    },
    faxStatusTaskQueue: faxStatusTaskQueue(config.temporal.taskQueue),
    fallbackDelayMs: durationMs(i.fallbackDelay),
    outageRetryForMs: durationMs(i.outageRetryFor),
    continueAsNewAfterEvents: i.continueAsNewAfterEvents,
  };
}
