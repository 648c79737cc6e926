import { existsSync } from 'node:fs';
import path from 'node:path';
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
