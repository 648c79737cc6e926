/**
 * The shapes a breach is made of. These types cross every boundary (CLI, workflow, activities),
 * so they are plain data: ISO strings for instants, no classes.
 */

import type { CascadePolicy } from './cascade';
import type { AnchorEvent, DataType, RulePack } from './regimes/rule-pack';
import type { RosterRef } from './individuals';
import type { RecommendationMap, SeverityAssessment, SeverityInputs } from './severity';
import type { BreachSnapshot } from './snapshot';

export const RISK_LEVELS = ['unlikely', 'risk', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** The facts Art. 33(3) requires in the authority report, known when the breach is opened. */
export interface BreachFacts {
  breachId: string;
  title: string;
  /** Nature of the breach in the reporter's words. */
  description: string;
  /** When the company became aware of the breach; starts the authority clock. */
  awareAt: string;
  reporter: string;
  dataCategories: string[];
  approxSubjects: number;
  approxRecords: number;
  likelyConsequences: string;
  measures: string;
  /** The data protection officer or other contact point. */
  contactPoint: string;
  /** What affected people can do to protect themselves (Art. 34(2)); a general text when absent. */
  advice?: string;
  /** When the breach itself began and ended, when known (the authority report gives them). */
  occurredFrom?: string;
  occurredUntil?: string;
  /** The categories of people affected (customers, employees, patients), for the authority report (Art. 33(3)(a)). */
  subjectCategories?: string[];
}

export interface AssessRequest {
  risk: RiskLevel;
  rationale: string;
  by: string;
  /** The ENISA severity inputs the decision rests on; the workflow scores them. */
  severity?: SeverityInputs;
  /** Why the decision is below what the score recommends (required then). */
  belowRecommendation?: string;
}

export interface Assessment extends Omit<AssessRequest, 'severity'> {
  at: string;
  /** The inputs, the score and the recommendation, as the workflow computed them. */
  severity?: SeverityAssessment;
}

/**
 * The rules in force for this breach, copied from temporal.yaml when it starts. Keeping them in
 * the workflow input records in the history which policy governed the breach, and keeps a later
 * configuration change from altering the clock of a breach already running.
 */
export interface AuthorityPolicy {
  deadlineHours: number;
  notifyBy: 'email' | 'portal';
  holdsDelayNotice: boolean;
  reminderHoursBeforeDeadline: number[];
  overdueReminderEveryHours: number;
  /** Which decision each severity band recommends; breaches started before scoring use the default. */
  recommend?: RecommendationMap;
  /** Days before an obligation's deadline counted in days when responders are reminded of it. */
  obligationReminderDaysBefore?: number[];
  /** Days before an oral or time-limited hold stops delaying notices when legal is reminded. */
  holdLapseReminderDaysBefore?: number;
}

/** The regimes that apply to a breach and the facts their triggers count, fixed when it starts. */
export interface BreachRegimes {
  packs: RulePack[];
  /** Affected people per ISO 3166 code (`US-CA`, `DE`), from the roster or as given. */
  residents?: Record<string, number>;
  dataTypes?: DataType[];
  /** The events deadlines count from that were known at start (awareness is always `facts.awareAt`). */
  anchors: Partial<Record<AnchorEvent, string>>;
}

export interface BreachWorkflowInput {
  facts: BreachFacts;
  policy: AuthorityPolicy;
  initialAssessment?: AssessRequest;
  /** The affected individuals, notified when the risk is high. */
  roster?: { ref: RosterRef; total: number };
  cascade?: CascadePolicy;
  /** Breaches started before regimes existed have none: the authority clock is their only obligation. */
  regimes?: BreachRegimes;
  /** State carried over from the previous run when the workflow continued-as-new. */
  carried?: BreachSnapshot;
}
