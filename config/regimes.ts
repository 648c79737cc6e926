/**
 * The `regimes` section of temporal.yaml: which regimes every breach has unless `breach start
 * --regimes` names others, and overrides of the built-in rule packs (or packs of its own). An
 * override names a pack by `id` and gives only what changes; an obligation in it is matched by
 * `key`, its fields replace the built-in ones, and an obligation with a new key is added.
 */
import { z } from 'zod';
import { BUILT_IN_PACKS } from '../domain/regimes/built-in-packs';
import { packProblem, rulePackSchema, type RulePack } from '../domain/regimes/rule-pack';

type Definition = Record<string, unknown>;

const override = z.looseObject({ id: z.string().min(1, 'must name the pack it overrides or adds') });

export const regimesSchema = z
  .strictObject({
    default: z.array(z.string()).min(1, 'expected at least one regime').default(['gdpr']),
    packs: z.array(override).default([]),
  })
  .transform((section, ctx) => {
    // Plain data, so that a loaded configuration can be written out and read again unchanged.
    const packs: RulePack[] = [];
    const definitions = new Map<string, Definition>(BUILT_IN_PACKS.map((p) => [p.id, p as unknown as Definition]));
    for (const change of section.packs) {
      const base = definitions.get(change.id);
      definitions.set(change.id, base ? mergePack(base, change) : change);
    }
    for (const [id, definition] of definitions) {
      const parsed = rulePackSchema.safeParse(definition);
      const at = section.packs.findIndex((p) => p.id === id);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: ['packs', Math.max(at, 0), ...issue.path] });
        continue;
      }
      const problem = packProblem(parsed.data);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['packs', Math.max(at, 0)] });
      packs.push(parsed.data);
    }
    const unknown = section.default.find((id) => !definitions.has(id));
    if (unknown) ctx.addIssue({ code: 'custom', message: `unknown regime '${unknown}'; known: ${[...definitions.keys()].join(', ')}`, path: ['default'] });
    return { default: section.default, packs };
  });

function mergePack(base: Definition, change: Definition): Definition {
  const merged: Definition = { ...base, ...change };
  if (Array.isArray(change.obligations)) {
    const rules = [...((base.obligations as Definition[]) ?? [])];
    for (const rule of change.obligations as Definition[]) {
      const at = rules.findIndex((r) => r.key === rule.key);
      if (at >= 0) rules[at] = { ...rules[at], ...rule };
      else rules.push(rule);
    }
    merged.obligations = rules;
  }
  return merged;
}

export type RegimesConfig = z.output<typeof regimesSchema>;

/** The packs `ids` name, each as configured; unknown ids are named with the known ones. */
export function packsNamed(config: RegimesConfig, ids: string[]): { packs: RulePack[] } | { problem: string } {
  const known = config.packs.map((p) => p.id);
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length) return { problem: `unknown regime${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')}; known: ${known.join(', ')}` };
  return { packs: [...new Set(ids)].map((id) => config.packs.find((p) => p.id === id)!) };
}

/** The regimes whose jurisdiction the roster's residents live in (packs without one, such as HIPAA, are only ever named). */
export function packsForResidents(config: RegimesConfig, residents: Record<string, number>): RulePack[] {
  return config.packs.filter((p) => p.jurisdiction.some((code) => (residents[code] ?? 0) > 0));
}
