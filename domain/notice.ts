import type { BreachFacts, BreachRegimes } from './breach';

/** A regime whose people may read a notice of its own (`templates/<regime>/`), with where they live. */
export interface NoticeRegime {
  id: string;
  jurisdiction: string[];
}

/** The breach-level content of the notice to individuals (Art. 34(2)); it holds no personal data. */
export interface BreachNotice {
  breachId: string;
  title: string;
  description: string;
  contactPoint: string;
  likelyConsequences: string;
  measures: string;
  advice?: string;
  /** The categories of personal data involved, as one line ("names, bank account numbers"). */
  informationInvolved?: string;
  /** The breach's regimes that notify individuals; absent for breaches started before regimes. */
  regimes?: NoticeRegime[];
  /** When the company became aware of the breach, and when the breach began and ended if known (ISO 8601); the renderer words them as dates. */
  awareAt?: string;
  occurredFrom?: string;
  occurredUntil?: string;
  /**
   * A hold delayed the notices to individuals before this one was sent (California and others ask
   * the notice to say so). It is the batch's, not the breach's: people told before a hold was placed
   * were not delayed.
   */
  lawEnforcementDelay?: boolean;
}

export function breachNotice(facts: BreachFacts, regimes?: BreachRegimes): BreachNotice {
  const { breachId, title, description, contactPoint, likelyConsequences, measures, advice, awareAt, occurredFrom, occurredUntil } = facts;
  const notifying = regimes?.packs.filter((p) => p.obligations.some((r) => r.completedBy === 'individual-notices')).map((p) => ({ id: p.id, jurisdiction: p.jurisdiction }));
  return {
    breachId,
    title,
    description,
    contactPoint,
    likelyConsequences,
    measures,
    advice,
    informationInvolved: facts.dataCategories.join(', '),
    ...(notifying ? { regimes: notifying } : {}),
    awareAt,
    ...(occurredFrom ? { occurredFrom } : {}),
    ...(occurredUntil ? { occurredUntil } : {}),
  };
}
