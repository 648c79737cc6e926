import type { BreachFacts } from './breach';

/** The breach-level content of the notice to individuals (Art. 34(2)); it holds no personal data. */
export interface BreachNotice {
  breachId: string;
  title: string;
  description: string;
  contactPoint: string;
  likelyConsequences: string;
  measures: string;
  advice?: string;
}

export function breachNotice(facts: BreachFacts): BreachNotice {
  const { breachId, title, description, contactPoint, likelyConsequences, measures, advice } = facts;
  return { breachId, title, description, contactPoint, likelyConsequences, measures, advice };
}
