import { existsSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { TEMPLATE_FILES } from '../activities/notice-renderer';
import type { EngineConfig } from '../config/schema';
import type { WorkerRole } from './roles';

/**
 * What a worker needs before it takes any work, checked at start-up: a missing template or an
 * unset provider key found only when a notice is sent would make every person of a breach
 * unreachable. Each problem names the configuration key; none echoes a value.
 */
export function preflightProblems(config: EngineConfig, roles: readonly WorkerRole[], env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  if (roles.includes('workflows')) problems.push(...cacheProblems(config));
  const { templateDir, defaultLanguage } = config.individuals;
  const missing = Object.values(TEMPLATE_FILES).filter((file) => !existsSync(path.join(templateDir, defaultLanguage, file)));
  if (roles.some((role) => role !== 'workflows') && missing.length > 0) {
    problems.push(`individuals.templateDir: ${path.join(templateDir, defaultLanguage)} lacks ${missing.join(', ')} for the default language '${defaultLanguage}'`);
  }
  for (const channel of ['fax', 'postal'] as const) {
    const provider = config.channels[channel];
    if (!roles.includes(channel) || !provider) continue;
    if (!env[provider.apiKeyEnv]) problems.push(`channels.${channel}.apiKeyEnv: the environment variable ${provider.apiKeyEnv} is not set`);
  }
  return problems;
}

/**
 * What a cached cohort workflow keeps in the workflow thread's heap per person of its cohort:
 * about 1 MB for a cohort of 500, measured at 100,000 people.
 */
const CACHED_BYTES_PER_PERSON = 2_000;

/**
 * The workflow cache lives in the workflow thread's heap, which the worker's heap limit bounds
 * (`--max-old-space-size` in package.json's `worker` script). A cache that could fill most of it
 * would end the worker with an out-of-memory crash under load, long after it started; half the
 * limit leaves the rest for everything else the thread holds between collections.
 */
function cacheProblems(config: EngineConfig): string[] {
  const heapLimitMb = v8.getHeapStatistics().heap_size_limit / 2 ** 20;
  const { maxCachedWorkflows } = config.temporal;
  const { cohortSize } = config.individuals;
  const neededMb = Math.ceil((maxCachedWorkflows * cohortSize * CACHED_BYTES_PER_PERSON) / 2 ** 20);
  if (neededMb <= heapLimitMb / 2) return [];
  return [
    `temporal.maxCachedWorkflows: ${maxCachedWorkflows} cached cohorts of ${cohortSize} people need about ${neededMb} MB of the workflow thread's heap, more than half of the worker's heap limit of ${Math.round(heapLimitMb)} MB; lower it, or raise --max-old-space-size in package.json's worker script`,
  ];
}
