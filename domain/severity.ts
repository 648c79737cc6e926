/**
 * The severity of a breach by the ENISA 2013 methodology: SE = DPC × EI + CB. Every value is a
 * multiple of 0.25, so the score is computed in whole quarter units and only divided at the end:
 * no float drift at the band edges (2, 3, 4). See ../shared/regimes.md §2 for the tables.
 */
import type { RiskLevel } from './breach';

/** Data processing context: the base score of each category (Annex 1, Table 1). */
export const DATA_CATEGORY_BASE = { simple: 1, behavioural: 2, financial: 3, sensitive: 4 } as const;
export type DataCategory = keyof typeof DATA_CATEGORY_BASE;

/** Ease of identification, in quarter units (Annex 2): negligible 0.25 … maximum 1. */
export const EASE_OF_IDENTIFICATION = { negligible: 1, limited: 2, significant: 3, maximum: 4 } as const;
export type EaseOfIdentification = keyof typeof EASE_OF_IDENTIFICATION;

/** The circumstances of the breach, in quarter units (Annex 3); their points are added. */
export const CIRCUMSTANCES = {
  confidentiality: { none: 0, 'known-recipients': 1, 'unknown-recipients': 2 },
  integrity: { none: 0, recoverable: 1, 'not-recoverable': 2 },
  availability: { none: 0, temporary: 1, full: 2 },
} as const;

/** Malicious intent adds 0.5. */
const MALICIOUS_QUARTERS = 2;

export const SEVERITY_BANDS = ['low', 'medium', 'high', 'very-high'] as const;
export type SeverityBand = (typeof SEVERITY_BANDS)[number];

export interface CategoryScore {
  category: DataCategory;
  /** The change from the category's base for its context (−3 to +3); any change needs its reason. */
  adjustment: number;
  reason?: string;
}

export interface SeverityInputs {
  /** Every category of data involved; the highest score counts. */
  categories: CategoryScore[];
  ease: EaseOfIdentification;
  confidentiality: keyof typeof CIRCUMSTANCES.confidentiality;
  integrity: keyof typeof CIRCUMSTANCES.integrity;
  availability: keyof typeof CIRCUMSTANCES.availability;
  malicious: boolean;
  /** ENISA's flags (§3.3): they do not change the score. */
  moreThan100People: boolean;
  /** The data is unintelligible (strong encryption, key not compromised): Art. 34(3)(a). */
  unintelligible: boolean;
  /** Art. 34(3)(b): subsequent measures make the high risk no longer likely, and how. */
  subsequentMeasures?: string;
  /** Art. 34(3)(c): telling each person would take disproportionate effort, and why; a public communication replaces it. */
  disproportionateEffort?: string;
}

export interface SeverityScore {
  dpc: number;
  ei: number;
  cb: number;
  se: number;
  band: SeverityBand;
}

/** Which decision each band recommends (temporal.yaml `assessment.recommend`). */
export type RecommendationMap = Record<SeverityBand, RiskLevel>;

export const DEFAULT_RECOMMENDATION: RecommendationMap = { low: 'unlikely', medium: 'risk', high: 'high', 'very-high': 'high' };

export interface Recommendation {
  risk: RiskLevel;
  /** The Art. 34(3) exceptions that apply: individuals need not be told (a, b), or are told by public communication (c). */
  exceptions: ('a' | 'b' | 'c')[];
  publicCommunication: boolean;
}

/** What the history keeps of a scored assessment: the inputs, the score and the recommendation. */
export interface SeverityAssessment {
  inputs: SeverityInputs;
  score: SeverityScore;
  recommended: Recommendation;
}

/** Why the inputs cannot be scored, or undefined. */
export function severityProblem(inputs: SeverityInputs): string | undefined {
  if (inputs.categories.length === 0) return 'severity: at least one data category is needed';
  for (const c of inputs.categories) {
    const score = DATA_CATEGORY_BASE[c.category] + c.adjustment;
    if (score < 1 || score > 4) return `severity: ${c.category} data adjusted by ${signed(c.adjustment)} would score ${score}; a data category scores 1 to 4`;
    if (c.adjustment !== 0 && !c.reason?.trim()) return `severity: the adjustment of ${c.category} data by ${signed(c.adjustment)} needs its reason (ENISA: any change from the base score has to be explained)`;
  }
  return undefined;
}

export function scoreSeverity(inputs: SeverityInputs): SeverityScore {
  const dpc = Math.max(...inputs.categories.map((c) => DATA_CATEGORY_BASE[c.category] + c.adjustment));
  const eiQuarters = EASE_OF_IDENTIFICATION[inputs.ease];
  const cbQuarters =
    CIRCUMSTANCES.confidentiality[inputs.confidentiality] + CIRCUMSTANCES.integrity[inputs.integrity] + CIRCUMSTANCES.availability[inputs.availability] + (inputs.malicious ? MALICIOUS_QUARTERS : 0);
  const seQuarters = dpc * eiQuarters + cbQuarters;
  return { dpc, ei: eiQuarters / 4, cb: cbQuarters / 4, se: seQuarters / 4, band: bandOf(seQuarters) };
}

/** ENISA §3.2: SE < 2 low, < 3 medium, < 4 high, else very high (in quarters: 8, 12, 16). */
function bandOf(seQuarters: number): SeverityBand {
  if (seQuarters < 8) return 'low';
  if (seQuarters < 12) return 'medium';
  if (seQuarters < 16) return 'high';
  return 'very-high';
}

/**
 * The decision the score recommends under the configured map. A recommendation to tell
 * individuals (high) drops to the authority alone when data was unintelligible (Art. 34(3)(a)) or
 * later measures removed the high risk (b); with disproportionate effort (c) it stays, by public
 * communication.
 */
export function recommend(score: SeverityScore, inputs: SeverityInputs, map: RecommendationMap = DEFAULT_RECOMMENDATION): Recommendation {
  const byBand = map[score.band];
  if (byBand !== 'high') return { risk: byBand, exceptions: [], publicCommunication: false };
  const exceptions: Recommendation['exceptions'] = [];
  if (inputs.unintelligible) exceptions.push('a');
  if (inputs.subsequentMeasures?.trim()) exceptions.push('b');
  if (inputs.disproportionateEffort?.trim()) exceptions.push('c');
  if (exceptions.includes('a') || exceptions.includes('b')) return { risk: 'risk', exceptions, publicCommunication: false };
  return { risk: 'high', exceptions, publicCommunication: exceptions.includes('c') };
}

export function assessSeverity(inputs: SeverityInputs, map?: RecommendationMap): SeverityAssessment {
  const score = scoreSeverity(inputs);
  return { inputs, score, recommended: recommend(score, inputs, map) };
}

/** `ENISA severity 2.25 (medium): recommended risk` — for status and the audit. */
export function describeSeverity(s: SeverityAssessment): string {
  const exceptions = s.recommended.exceptions.length ? `; Art. 34(3)(${s.recommended.exceptions.join(', ')})` : '';
  const publicly = s.recommended.publicCommunication ? ', individuals by public communication' : '';
  return `ENISA severity ${s.score.se.toFixed(2)} (${s.score.band}: DPC ${s.score.dpc} × EI ${s.score.ei} + CB ${s.score.cb}), recommended ${s.recommended.risk}${publicly}${exceptions}`;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}
