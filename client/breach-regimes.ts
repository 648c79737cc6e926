import { packsForResidents, packsNamed } from '../config/regimes';
import { packsInForce } from '../config/load';
import type { EngineConfig } from '../config/schema';
import type { BreachRegimes } from '../domain/breach';
import { obligationFactsProblems } from '../domain/obligations';
import type { RegimeFacts } from './breach-file';
import { UsageError } from './errors';

/**
 * The regimes a new breach starts under: those `--regimes` names, or else the configured default
 * regimes and those where the roster's people live. The residents are the roster's counts, or the
 * counts given (`--residents`), which win. Refused, naming each, when a regime is unknown or a
 * threshold of one cannot be computed from what is known.
 */
export function breachRegimes(config: EngineConfig, facts: RegimeFacts, approxSubjects: number, roster?: { total: number; residents: Record<string, number> }): BreachRegimes {
  const residents = facts.residents ?? roster?.residents;
  const named = packsNamed(config.regimes, facts.regimes ?? config.regimes.default);
  if ('problem' in named) throw new UsageError(`--regimes: ${named.problem}`);
  const derived = facts.regimes || !residents ? [] : packsForResidents(config.regimes, residents).filter((p) => !named.packs.includes(p));
  const packs = packsInForce(config, [...named.packs, ...derived]);
  const problems = obligationFactsProblems({ packs, residents, affected: roster?.total ?? approxSubjects, dataTypes: facts.dataTypes });
  if (problems.length) throw new UsageError(problems.join('; '));
  return { packs, anchors: facts.anchors, ...(residents ? { residents } : {}), ...(facts.dataTypes ? { dataTypes: facts.dataTypes } : {}) };
}

/** `US-CA=600,US-TX=250` as counts per code; the file form is a mapping. */
export function parseResidents(flag: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const part of flag.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([A-Z]{2}(?:-[A-Z0-9]{1,3})?)=(\d+)$/.exec(part);
    if (!match) throw new UsageError(`--residents: '${part}' must be CODE=COUNT, e.g. US-CA=600`);
    counts[match[1]!] = Number(match[2]);
  }
  return counts;
}
