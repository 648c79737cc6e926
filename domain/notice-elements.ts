/**
 * The elements a regime requires in, or forbids from, the notice to individuals, found in a
 * template as the notice fields it shows (`{{description}}` is the nature of the breach) or as a
 * marker comment for a section the template writes out itself (`{{! element: what-you-can-do }}`).
 */
import Mustache from 'mustache';
import type { BreachNotice } from './notice';

/** The notice field that supplies an element; elements not listed here are marked in the template. */
const ELEMENT_FIELDS: Record<string, keyof BreachNotice> = {
  nature: 'description',
  'contact-point': 'contactPoint',
  'likely-consequences': 'likelyConsequences',
  measures: 'measures',
};

const MARKER = /^\s*element:\s*(.+)$/;

/** The elements a template contains, from Mustache's own parse of it. */
export function templateElements(template: string): Set<string> {
  const elements = new Set<string>();
  const fields = new Set<string>();
  const visit = (tokens: unknown[][]) => {
    for (const token of tokens) {
      const [type, value] = token as [string, string];
      if (type === '!') for (const name of MARKER.exec(value)?.[1]?.split(',') ?? []) elements.add(name.trim());
      if (type === 'name' || type === '&' || type === '#') fields.add(value);
      if (Array.isArray(token[4])) visit(token[4] as unknown[][]);
    }
  };
  visit(Mustache.parse(template) as unknown[][]);
  for (const [element, field] of Object.entries(ELEMENT_FIELDS)) if (fields.has(field)) elements.add(element);
  return elements;
}

/** What a template lacks or holds against a regime's rules, in words that name the element and how to fix it. */
export function elementProblems(template: string, rules: { regime: string; requiredElements: string[]; forbiddenElements: string[] }): string[] {
  const found = templateElements(template);
  const missing = rules.requiredElements.filter((e) => !found.has(e));
  const forbidden = rules.forbiddenElements.filter((e) => found.has(e));
  return [
    ...missing.map((e) => `lacks '${e}', which ${rules.regime} requires (${ELEMENT_FIELDS[e] ? `show {{${ELEMENT_FIELDS[e]}}}` : `write the section and mark it {{! element: ${e} }}`})`),
    ...forbidden.map((e) => `contains '${e}', which ${rules.regime} forbids in the notice to individuals${ELEMENT_FIELDS[e] ? ` (remove {{${ELEMENT_FIELDS[e]}}})` : ''}`),
  ];
}
