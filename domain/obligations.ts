/**
 * The obligations of one breach: each rule of each regime that applies, evaluated against what the
 * breach knows (its assessment, the residents affected per state, the data involved, the events
 * its deadlines count from, its holds, the people who could not be reached) into a status and a
 * deadline. Evaluation is pure, so it runs in the workflow, in the audit and in tests alike.
 */
import { isAfter } from 'date-fns/isAfter';
import { parseISO } from 'date-fns/parseISO';
import { RISK_LEVELS, type RiskLevel } from './breach';
import { isActive, type Hold } from './holds';
import { endOfYearIn, obligationDeadline } from './regimes/obligation-deadline';
import { obligationId, type AnchorEvent, type DataType, type DeadlineUnit, type ObligationRule, type RulePack } from './regimes/rule-pack';

export const OBLIGATION_STATUSES = ['due', 'late', 'held', 'done', 'not-required', 'awaiting-anchor', 'awaiting-assessment'] as const;
export type ObligationStatus = (typeof OBLIGATION_STATUSES)[number];

/** What the breach records about its obligations: their anchors and the submissions that completed them. */
export interface ObligationFacts {
  /** The breach's regimes with the rules in force when it started. */
  packs: RulePack[];
  /** Affected people per ISO 3166 code (`US-CA`, `DE`): counts, never people. Absent when unknown. */
  residents?: Record<string, number>;
  /** Everyone affected, when known (the roster's rows). */
  affected?: number;
  /** The kinds of data involved; absent means not stated, and every trigger on data types counts as met. */
  dataTypes?: DataType[];
}

export interface AnchorRecord {
  at: string;
  by: string;
  reason?: string;
  recordedAt: string;
}

export interface ObligationCompletion {
  at: string;
  by: string;
  /** A portal reference, filing number or Message-ID. */
  reference: string;
  onTime: boolean;
  lateReason?: string;
  /** Recorded as not required, and why (Florida: no likely harm after consulting law enforcement). */
  notRequiredReason?: string;
}

/** The statuses that keep a breach from closing. */
export const OPEN_STATUSES: readonly ObligationStatus[] = ['due', 'late', 'held', 'awaiting-anchor', 'awaiting-assessment'];

export interface ObligationView {
  id: string;
  regime: string;
  recipient: string;
  citation: string;
  status: ObligationStatus;
  /** Absent: no fixed date ("without unreasonable delay"), or not computable yet (see `reason`). */
  deadline?: string;
  deadlineUnit?: DeadlineUnit;
  /** What the deadline counts from, in words: "discovery (2026-11-02T…)". */
  counts: string;
  /** Why it is not required, what it waits for, or which holds delay it. */
  reason?: string;
  heldBy?: string[];
  completion?: ObligationCompletion;
  completedBy: ObligationRule['completedBy'];
  means?: string;
}

/** The state of the breach that the obligations depend on, at one instant. */
export interface ObligationSituation {
  risk?: RiskLevel;
  unintelligible: boolean;
  disproportionateEffort: boolean;
  anchors: Partial<Record<AnchorEvent, AnchorRecord>>;
  completions: Record<string, ObligationCompletion>;
  holds: Hold[];
  /** People the notices could not reach so far. */
  unreachable: number;
  /** The authority notice the engine sent or recorded: it completes the obligation that `authority-notice` names. */
  authorityNotice?: { at: string; reference: string; onTime: boolean; lateReason?: string; by: string };
  /** When every cohort of the notices to individuals reached a final state. */
  individualsNotifiedAt?: string;
  /** People whose notice went out by fax alone. */
  reachedOnlyByFax?: number;
}

const ANCHOR_WORDS: Record<AnchorEvent, string> = {
  awareness: 'awareness',
  discovery: 'discovery',
  determination: 'the determination that a breach occurred',
  'materiality-determination': 'the materiality determination',
  'extortion-payment': 'the extortion payment',
};

/** The obligations with a deadline that count from `event`: what recording it starts. */
export function countingFrom(views: ObligationView[], event: AnchorEvent): ObligationView[] {
  return views.filter((v) => v.deadline && v.counts.startsWith(ANCHOR_WORDS[event]));
}

/** The earliest deadline among the obligations still open. */
export function nextDeadline(views: ObligationView[]): string | undefined {
  return views.filter((v) => v.deadline && OPEN_STATUSES.includes(v.status)).map((v) => v.deadline!).sort()[0];
}

/** Every obligation of every pack, ordered by deadline (those without one last, in pack order). */
export function evaluateObligations(facts: ObligationFacts, situation: ObligationSituation, now: Date): ObligationView[] {
  const views: ObligationView[] = [];
  for (const pack of facts.packs) {
    const done = new Map<string, ObligationView>();
    // Rules that count from another rule come after it, so its completion is known.
    for (const rule of orderedByDependency(pack.obligations)) {
      const view = evaluateRule(pack, rule, facts, situation, done, now);
      done.set(rule.key, view);
      views.push(view);
    }
  }
  return views.sort(byDeadline);
}

function byDeadline(a: ObligationView, b: ObligationView): number {
  if (a.deadline && b.deadline) return a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : 0;
  return a.deadline ? -1 : b.deadline ? 1 : 0;
}

function orderedByDependency(rules: ObligationRule[]): ObligationRule[] {
  const ordered: ObligationRule[] = [];
  const place = (rule: ObligationRule, seen: Set<string>) => {
    if (ordered.includes(rule) || seen.has(rule.key)) return;
    seen.add(rule.key);
    if ('after' in rule.anchor) {
      const after = rule.anchor.after;
      const first = rules.find((r) => r.key === after);
      if (first) place(first, seen);
    }
    ordered.push(rule);
  };
  for (const rule of rules) place(rule, new Set());
  return ordered;
}

function evaluateRule(pack: RulePack, rule: ObligationRule, facts: ObligationFacts, situation: ObligationSituation, earlier: Map<string, ObligationView>, now: Date): ObligationView {
  const id = obligationId(pack, rule);
  const base = { id, regime: pack.id, recipient: rule.recipient, citation: rule.citation, completedBy: rule.completedBy, ...(rule.means ? { means: rule.means } : {}) };
  const anchor = anchorOf(pack, rule, situation, earlier);
  const deadline = 'at' in anchor && rule.deadline ? deadlineFrom(anchor.at, rule, pack) : undefined;
  const view = (status: ObligationStatus, extra: Partial<ObligationView> = {}): ObligationView => ({ ...base, status, counts: anchor.words, ...(deadline ? { deadline: deadline.toISOString(), deadlineUnit: rule.deadline!.unit } : {}), ...extra });

  const notRequired = notRequiredBecause(pack, rule, facts, situation);
  if (notRequired) return view('not-required', { reason: notRequired });
  const faxOnly = faxDoesNotCount(pack, rule, situation);
  const completion = situation.completions[id] ?? (faxOnly ? undefined : automaticCompletion(rule, situation, deadline));
  if (completion?.notRequiredReason) return view('not-required', { completion, reason: `recorded by ${completion.by}: ${completion.notRequiredReason}` });
  if (completion) return view('done', { completion });
  if (situation.risk === undefined && rule.trigger.minRisk) return view('awaiting-assessment', { reason: 'owed only if the assessed risk calls for it; assess the breach first' });
  if (!('at' in anchor)) return view('awaiting-anchor', { reason: anchor.waiting });
  const heldBy = holdsDelaying(pack, rule, situation.holds);
  if (heldBy.length) return view('held', { heldBy, reason: `delayed by ${heldBy.join(', ')} (${pack.name} lets a law-enforcement hold delay it)` });
  return view(deadline && isAfter(now, deadline) ? 'late' : 'due', faxOnly ? { reason: faxOnly } : {});
}

/** US statutes do not list fax: people reached by fax alone are not notified under them until a letter or e-mail follows. */
function faxDoesNotCount(pack: RulePack, rule: ObligationRule, situation: ObligationSituation): string | undefined {
  const people = situation.reachedOnlyByFax ?? 0;
  if (rule.completedBy !== 'individual-notices' || !situation.individualsNotifiedAt || people === 0 || !pack.notice || pack.notice.channels.includes('fax')) return undefined;
  return `${people === 1 ? '1 person was' : `${people} people were`} reached only by fax, which ${pack.name} does not accept as notice; send them a letter or an e-mail, then record it (breach obligation record)`;
}

/** The engine's own notices complete the obligations they satisfy. */
function automaticCompletion(rule: ObligationRule, situation: ObligationSituation, deadline: Date | undefined): ObligationCompletion | undefined {
  if (rule.completedBy === 'authority-notice') return situation.authorityNotice;
  if (rule.completedBy !== 'individual-notices' || !situation.individualsNotifiedAt) return undefined;
  const at = situation.individualsNotifiedAt;
  return { at, by: 'the engine', reference: 'notices to individuals', onTime: !deadline || !isAfter(parseISO(at), deadline) };
}

function deadlineFrom(at: Date, rule: ObligationRule, pack: RulePack): Date {
  const from = 'event' in rule.anchor && rule.anchor.fromYearEnd ? endOfYearIn(at, pack.timeZone) : at;
  return obligationDeadline(from, rule.deadline!, pack);
}

function anchorOf(pack: RulePack, rule: ObligationRule, situation: ObligationSituation, earlier: Map<string, ObligationView>): { at: Date; words: string } | { waiting: string; words: string } {
  if ('after' in rule.anchor) {
    const first = earlier.get(rule.anchor.after);
    const words = `completion of ${pack.id}:${rule.anchor.after}`;
    if (first?.completion) return { at: parseISO(first.completion.at), words: `${words} (${first.completion.at})` };
    return { waiting: `counts from the completion of ${pack.id}:${rule.anchor.after}, which is not done yet`, words };
  }
  const { event } = rule.anchor;
  const recorded = situation.anchors[event];
  const words = `${ANCHOR_WORDS[event]}${rule.anchor.fromYearEnd ? ', from the end of its calendar year' : ''}`;
  if (recorded) return { at: parseISO(recorded.at), words: `${words} (${recorded.at})` };
  return { waiting: `counts from ${ANCHOR_WORDS[event]}, which is not recorded yet (breach anchor <id> ${event} --at ISO --by NAME)`, words };
}

/** Why a rule's trigger is not met, or undefined when the obligation is owed. */
function notRequiredBecause(pack: RulePack, rule: ObligationRule, facts: ObligationFacts, situation: ObligationSituation): string | undefined {
  const t = rule.trigger;
  if (t.minRisk && situation.risk && RISK_LEVELS.indexOf(situation.risk) < RISK_LEVELS.indexOf(t.minRisk)) return `the assessed risk is '${situation.risk}'; owed from '${t.minRisk}'`;
  if (t.unlessUnintelligible && situation.unintelligible) return 'the data was unintelligible to whoever got it (encrypted, key not compromised)';
  if (t.dataTypes && facts.dataTypes && !t.dataTypes.some((d) => facts.dataTypes!.includes(d))) return `none of the data types it covers (${t.dataTypes.join(', ')}) is involved`;
  const residents = residentsOf(pack, facts);
  if (t.residentsAtLeast !== undefined && residents !== undefined && residents < t.residentsAtLeast) return `${residents} ${residentWord(pack)} affected; owed from ${t.residentsAtLeast}`;
  if (t.residentsBelow !== undefined && residents !== undefined && residents >= t.residentsBelow) return `${residents} ${residentWord(pack)} affected; owed only below ${t.residentsBelow}`;
  if (t.inOneStateAtLeast !== undefined) {
    const most = largestState(facts);
    if (most !== undefined && most < t.inOneStateAtLeast) return `at most ${most} residents of one state affected; owed from ${t.inOneStateAtLeast}`;
  }
  if (t.unreachableAtLeast !== undefined && situation.unreachable < t.unreachableAtLeast) return `${situation.unreachable} people could not be reached so far; owed from ${t.unreachableAtLeast}`;
  if (t.disproportionateEffort && !situation.disproportionateEffort) return 'the assessment does not record that notifying each person would take disproportionate effort';
  // A notice to a jurisdiction's residents is not owed where none live; its authority's notice still is, the regime being named.
  if (rule.completedBy === 'individual-notices' && pack.jurisdiction.length && residents === 0) return `no ${residentWord(pack)} affected`;
  return undefined;
}

function residentWord(pack: RulePack): string {
  if (!pack.jurisdiction.length) return 'people';
  return pack.jurisdiction.length > 3 ? `resident(s) of the countries where ${pack.id} applies` : `resident(s) of ${pack.jurisdiction.join(', ')}`;
}

/** The people of the pack's jurisdiction; for a pack without one (HIPAA, SEC), everyone affected. */
export function residentsOf(pack: Pick<RulePack, 'jurisdiction'>, facts: Pick<ObligationFacts, 'residents' | 'affected'>): number | undefined {
  if (!pack.jurisdiction.length) return facts.affected;
  if (!facts.residents) return undefined;
  return pack.jurisdiction.reduce((sum, code) => sum + (facts.residents![code] ?? 0), 0);
}

function largestState(facts: ObligationFacts): number | undefined {
  if (!facts.residents) return undefined;
  return Math.max(0, ...Object.entries(facts.residents).filter(([code]) => code.startsWith('US-')).map(([, n]) => n));
}

/** The active holds that delay this rule: placed under its regime, a form the regime accepts, not lapsed there. */
export function holdsDelaying(pack: RulePack, rule: Pick<ObligationRule, 'key'>, holds: Hold[]): string[] {
  if (!pack.lawEnforcement?.delays.includes(rule.key)) return [];
  return holds.filter((h) => isActive(h) && holdCovers(h, pack.id)).map((h) => h.holdId);
}

/** Whether an active hold still delays a regime's notices: placed under it and not lapsed there. */
export function holdCovers(hold: Hold, regime: string): boolean {
  return (hold.regimes?.includes(regime) ?? true) && !hold.lapsed?.some((l) => l.regime === regime);
}

/**
 * Why the breach's facts cannot be evaluated, for `breach start`: a threshold on residents needs
 * to know how many residents there are, and a threshold on everyone affected how many people.
 */
export function obligationFactsProblems(facts: ObligationFacts): string[] {
  const problems: string[] = [];
  for (const pack of facts.packs) {
    const counted = pack.obligations.find((r) => r.trigger.residentsAtLeast !== undefined || r.trigger.residentsBelow !== undefined || r.trigger.inOneStateAtLeast !== undefined);
    if (!counted) continue;
    const perState = counted.trigger.inOneStateAtLeast !== undefined && !facts.residents;
    if (residentsOf(pack, facts) === undefined || perState) {
      const where = pack.jurisdiction.length ? pack.jurisdiction.join(', ') : 'each US state';
      problems.push(`${pack.id}:${counted.key} depends on how many people of ${where} are affected; give a --roster with country and region, or --residents ${pack.jurisdiction[0] ?? 'US-CA'}=N`);
    }
  }
  return problems;
}

/** A responder records when an event a deadline counts from happened (a materiality determination, say). */
export interface RecordAnchorRequest {
  event: AnchorEvent;
  at: string;
  by: string;
  reason?: string;
}

/** A responder records that an obligation was met outside the engine: a portal filing, a letter, a posting. */
export interface RecordObligationRequest {
  obligationId: string;
  /** The portal reference, filing number or other evidence. */
  reference: string;
  by: string;
  /** When it was submitted, if earlier than now. */
  at?: string;
  /** Required when it was submitted after its deadline. */
  lateReason?: string;
  /** Records instead that the obligation is not owed, and why. */
  notRequiredReason?: string;
}

/** The part of a breach's state that belongs to its obligations, carried whole into the next run. */
export interface ObligationState {
  anchors: Partial<Record<AnchorEvent, AnchorRecord>>;
  completions: Record<string, ObligationCompletion>;
  individualsNotifiedAt?: string;
}
