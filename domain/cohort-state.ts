import type { BatchItem, FaxStatus, ItemResult } from './batch';
import { type CascadePolicy, type ChannelFailure, type CohortCounts, type DeliveryReport, type FinalState, type Outcome, type PersonProgress, type SubjectView } from './cascade';
import type { Attempt, AttemptOutcome, Channel, RosterEntry } from './individuals';

/** How many unreachable subjects a cohort names in its reports to the breach; the audit names all. */
export const UNREACHABLE_REPORTED = 50;

type Stage = 'due' | 'sending' | 'awaiting' | 'final';

interface Person {
  subjectId: string;
  rowOffset: number;
  reachable: Channel[];
  /** Index into the policy's channels of the channel being tried. */
  step: number;
  stage: Stage;
  /** For `due`: not before then. For `awaiting`: the bounce window's end or the next fax poll. */
  at: number;
  final?: FinalState;
  providerId?: string;
  /** A report that arrived while the send was still under way. */
  earlyReport?: DeliveryReport;
  mayExist?: boolean;
  /** Why the roster row cannot be used (a breach started with --skip-invalid). */
  rowProblem?: string;
  /** Why channels failed in the cohort's earlier run, for a person resumed by a retry. */
  earlierReasons?: string[];
  contacted: boolean;
  attempts: Attempt[];
}

/**
 * The people of one cohort and the rules of their cascade: email, then fax, then post, in the
 * configured order, skipping channels without contact data. Plain and deterministic (every time
 * is a parameter), so the workflow only decides when to call it and the rules are tested
 * without a server.
 */
export class CohortState {
  private readonly people: Person[] = [];
  private readonly byId = new Map<string, Person>();
  private readonly failing = new Map<Channel, ChannelFailure & { sinceMs: number; retries: number }>();
  /** Incremented on every change a report makes, so a waiting workflow notices new work. */
  version = 0;

  constructor(private readonly policy: CascadePolicy) {}

  /** The cohort's people from its roster rows; a retried cohort's people go on from where `resume` says they stood. */
  load(entries: RosterEntry[], now: number, resume: PersonProgress[] = []): void {
    const progress = new Map(resume.map((p) => [p.subjectId, p]));
    for (const entry of entries) {
      const person: Person = { subjectId: entry.subjectId, rowOffset: entry.rowOffset, reachable: entry.channels, step: 0, stage: 'due', at: now, contacted: false, attempts: [] };
      this.people.push(person);
      if (entry.duplicate || this.byId.has(entry.subjectId)) {
        // The same subject id twice in the roster (allowed with --skip-invalid): notified once, at its first row.
        this.finish(person, 'duplicate');
        continue;
      }
      this.byId.set(entry.subjectId, person);
      if (entry.problem) {
        person.rowProblem = `roster line ${entry.line}: ${entry.problem}`;
        this.finish(person, 'unreachable');
        continue;
      }
      const earlier = progress.get(entry.subjectId);
      if (earlier) this.resume(person, earlier);
      else this.advance(person, now, 0);
    }
  }

  /**
   * Where each contacted person's cascade stands, for a retry after the cohort's workflow ended:
   * a send under way may have gone out, so it is due again with `mayExist`.
   */
  progress(): PersonProgress[] {
    return this.people
      .filter((p) => p.contacted && !p.rowProblem && p.final !== 'duplicate')
      .map((p) => ({
        subjectId: p.subjectId,
        step: p.step,
        stage: p.stage === 'sending' ? 'due' : p.stage,
        at: p.at,
        ...(p.final ? { final: p.final } : {}),
        ...(p.stage === 'awaiting' && p.providerId ? { providerId: p.providerId } : {}),
        ...(p.stage === 'sending' || p.mayExist ? { mayExist: true } : {}),
        ...(p.final === 'unreachable' ? { reasons: reasonsOf(p) } : {}),
      }));
  }

  /** People whose next send on `channel` is due now, at most `limit`. */
  due(channel: Channel, now: number, limit: number): BatchItem[] {
    const items: BatchItem[] = [];
    for (const p of this.people) {
      if (items.length === limit) break;
      if (p.stage === 'due' && p.at <= now && this.channelOf(p) === channel) items.push({ subjectId: p.subjectId, rowOffset: p.rowOffset, ...(p.mayExist ? { mayExist: true } : {}) });
    }
    return items;
  }

  hasDue(now: number): boolean {
    return this.people.some((p) => p.stage === 'due' && p.at <= now);
  }

  /**
   * When the workflow must look again without being told: the next bounce window end or fax
   * poll, and the next due send unless sending is held.
   */
  nextWakeAt(sendsAllowed: boolean): number | undefined {
    let next: number | undefined;
    for (const p of this.people) {
      const counts = p.stage === 'awaiting' || (sendsAllowed && p.stage === 'due');
      if (counts && (next === undefined || p.at < next)) next = p.at;
    }
    return next;
  }

  markSending(items: BatchItem[]): void {
    for (const item of items) {
      const p = this.byId.get(item.subjectId)!;
      p.stage = 'sending';
      p.contacted = true;
    }
  }

  /** The batch's outcome: evidence, refusals, and items it never reached (due again at once). */
  recordBatch(channel: Channel, items: BatchItem[], results: (ItemResult | null)[], now: number): void {
    items.forEach((item, i) => {
      const p = this.byId.get(item.subjectId)!;
      const result = results[i];
      if (!result) return this.requeue(p, now, false);
      p.mayExist = undefined;
      if ('failed' in result) return this.failChannel(p, channel, result.failed, now);
      const { providerId, at, contentSha256, smtpReply, expectedDeliveryDate, activityAttempt } = result.sent;
      const repeat = activityAttempt > 1 ? { activityAttempt } : {};
      p.attempts.push({ channel, at, outcome: 'accepted', providerId, contentSha256, ...(smtpReply ? { smtpReply } : {}), ...repeat, ...(expectedDeliveryDate ? { reason: `expected delivery ${expectedDeliveryDate}` } : {}) });
      p.providerId = providerId;
      if (channel === 'postal') return this.finish(p, 'notified-postal');
      p.stage = 'awaiting';
      p.at = now + (channel === 'email' ? this.policy.bounceWindowMs : this.policy.faxPollIntervalMs);
      const early = p.earlyReport;
      p.earlyReport = undefined;
      if (early) this.applyReport(p, early, now);
    });
  }

  /** A batch that did not complete: the items are due again, later if our side is failing. */
  requeueBatch(items: BatchItem[], now: number, mayExist: boolean): void {
    for (const item of items) this.requeue(this.byId.get(item.subjectId)!, now, mayExist);
  }

  /** Every item of the batch fails this channel (a configuration error that no retry can mend). */
  failBatch(channel: Channel, items: BatchItem[], reason: string, now: number): void {
    for (const item of items) this.failChannel(this.byId.get(item.subjectId)!, channel, reason, now);
  }

  /**
   * Our side cannot reach the channel. Nobody is marked unreachable for it: the batch is retried
   * with backoff, and only after `outageRetryForMs` do its people move on to the next channel.
   * Returns the failure as the status shows it.
   */
  channelOutage(channel: Channel, items: BatchItem[], reason: string, now: number): ChannelFailure {
    const known = this.failing.get(channel);
    const failure = known ? { ...known, reason, retries: known.retries + 1 } : { channel, since: iso(now), sinceMs: now, reason, retries: 0 };
    this.failing.set(channel, failure);
    if (now - failure.sinceMs >= this.policy.outageRetryForMs) {
      this.failBatch(channel, items, `the ${channel} channel was unavailable on our side since ${failure.since} (${reason})`, now);
    } else {
      const backoff = Math.min(5 * 60_000, 5_000 * 2 ** Math.min(failure.retries, 10));
      for (const item of items) this.requeue(this.byId.get(item.subjectId)!, now + backoff, true);
    }
    return { channel, since: failure.since, reason };
  }

  /** Returns true when the channel had been failing. */
  channelWorks(channel: Channel): boolean {
    return this.failing.delete(channel);
  }

  currentFailure(): ChannelFailure | undefined {
    const [first] = this.failing.values();
    return first ? { channel: first.channel, since: first.since, reason: first.reason } : undefined;
  }

  /** Faxes sent and not yet final whose status should be read now. */
  faxesToPoll(now: number): string[] {
    return this.people.filter((p) => p.stage === 'awaiting' && this.channelOf(p) === 'fax' && p.at <= now).map((p) => p.providerId!);
  }

  recordFaxStatuses(statuses: FaxStatus[], now: number): void {
    const byFax = new Map(statuses.map((s) => [s.faxId, s]));
    for (const p of this.people) {
      if (p.stage !== 'awaiting' || this.channelOf(p) !== 'fax') continue;
      const status = byFax.get(p.providerId!);
      if (!status) continue;
      if (status.status === 'delivered') {
        p.attempts.push({ channel: 'fax', at: iso(now), outcome: 'delivered', providerId: p.providerId });
        this.finish(p, 'notified-fax');
      } else if (status.status === 'failed') {
        this.failChannel(p, 'fax', status.failureReason ?? status.providerStatus, now, 'failed');
      } else {
        p.at = now + this.policy.faxPollIntervalMs;
      }
    }
  }

  /** Emails whose bounce window has passed without a bounce are delivered. */
  expireBounceWindows(now: number): void {
    for (const p of this.people) {
      if (p.stage === 'awaiting' && this.channelOf(p) === 'email' && p.at <= now) {
        p.attempts.push({ channel: 'email', at: iso(now), outcome: 'delivered', providerId: p.providerId, reason: 'no bounce within the bounce window' });
        this.finish(p, 'notified-email');
      }
    }
  }

  /** Why a delivery report cannot apply to this cohort now, or undefined when it can. */
  reportProblem(report: DeliveryReport): string | undefined {
    const p = this.byId.get(report.subjectId);
    if (!p) return `subject '${report.subjectId}' is not in this cohort`;
    if (report.channel === 'postal') {
      return p.final === 'notified-postal' ? undefined : `no letter to subject '${report.subjectId}' counts as delivered`;
    }
    const channel = this.channelOf(p);
    if ((p.stage === 'sending' || p.stage === 'awaiting') && channel === report.channel) return undefined;
    return channel && p.stage !== 'final' ? `the notice to subject '${report.subjectId}' is not waiting for a ${report.channel} report` : `no ${report.channel} notice to subject '${report.subjectId}' is awaiting a delivery report`;
  }

  report(report: DeliveryReport, now: number): void {
    const p = this.byId.get(report.subjectId)!;
    // A delay or a complaint is evidence, not an outcome: the notice keeps waiting for its window.
    if (report.observation) {
      p.attempts.push({ channel: report.channel, at: iso(now), outcome: report.observation === 'delayed' ? 'delayed' : 'complained', reason: `${report.reason}${report.source ? ` (${report.source})` : ''}`, ...(p.providerId ? { providerId: p.providerId } : {}) });
      return;
    }
    this.version++;
    if (p.stage === 'sending') p.earlyReport = report;
    else this.applyReport(p, report, now);
  }

  private applyReport(p: Person, report: DeliveryReport, now: number): void {
    const by = report.source ? ` (${report.source})` : '';
    if (report.channel === 'postal') {
      p.attempts.push({ channel: 'postal', at: iso(now), outcome: 'returned', providerId: p.providerId, reason: `${report.reason}${by}` });
      p.final = 'unreachable';
      return;
    }
    this.failChannel(p, report.channel, `${report.reason}${by}`, now, report.channel === 'email' ? 'bounced' : 'failed', this.policy.fallbackDelayMs);
  }

  allFinal(): boolean {
    return this.people.every((p) => p.stage === 'final');
  }

  /** Everyone has been sent a first notice (or needs none). */
  allContacted(): boolean {
    return this.people.every((p) => p.contacted || p.stage === 'final');
  }

  counts(): CohortCounts {
    const counts: CohortCounts = { rows: this.people.length, 'notified-email': 0, 'notified-fax': 0, 'notified-postal': 0, unreachable: 0, duplicate: 0 };
    for (const p of this.people) if (p.final) counts[p.final]++;
    return counts;
  }

  outcomes(): Outcome[] {
    return this.people.filter((p) => p.final !== 'duplicate').map((p) => ({ subjectId: p.subjectId, state: p.final!, ...(p.final === 'unreachable' ? { reasons: reasonsOf(p) } : {}) }));
  }

  unreachable(limit = UNREACHABLE_REPORTED): Outcome[] {
    return this.outcomes().filter((o) => o.state === 'unreachable').slice(0, limit);
  }

  view(subjectId: string, cohort: number): SubjectView | undefined {
    const p = this.byId.get(subjectId);
    if (!p) return undefined;
    return { subjectId, cohort, state: stateOf(p), channel: p.final ? undefined : this.channelOf(p), attempts: p.attempts };
  }

  /** The subjects in one state, in roster order (each once: a duplicate row is its first row's subject). */
  subjectsIn(state: SubjectView['state']): string[] {
    return [...this.byId.values()].filter((p) => stateOf(p) === state).map((p) => p.subjectId);
  }

  private resume(p: Person, earlier: PersonProgress): void {
    Object.assign(p, { step: earlier.step, stage: earlier.stage, at: earlier.at, providerId: earlier.providerId, mayExist: earlier.mayExist, earlierReasons: earlier.reasons, contacted: true });
    if (earlier.final) p.final = earlier.final;
  }

  private channelOf(p: Person): Channel | undefined {
    return this.policy.channels[p.step];
  }

  private requeue(p: Person, at: number, mayExist: boolean): void {
    p.stage = 'due';
    p.at = at;
    if (mayExist) p.mayExist = true;
  }

  private failChannel(p: Person, channel: Channel, reason: string, now: number, outcome: AttemptOutcome = 'failed', delay = 0): void {
    p.attempts.push({ channel, at: iso(now), outcome, reason, ...(p.providerId ? { providerId: p.providerId } : {}) });
    p.providerId = undefined;
    p.mayExist = undefined;
    this.advance(p, now + delay, p.step + 1);
  }

  /** Moves to the first channel from `step` on that has contact data, recording the ones skipped. */
  private advance(p: Person, at: number, step: number): void {
    const channels = this.policy.channels;
    for (p.step = step; p.step < channels.length; p.step++) {
      const channel = channels[p.step]!;
      if (p.reachable.includes(channel)) {
        this.requeue(p, at, false);
        return;
      }
      p.attempts.push({ channel, at: iso(at), outcome: 'skipped', reason: 'no contact data for this channel' });
    }
    this.finish(p, 'unreachable');
  }

  private finish(p: Person, state: FinalState): void {
    p.stage = 'final';
    p.final = state;
    p.contacted = true;
  }
}

/** The cohort of a finished cascade: people and their outcomes, taking only returned letters now. */
export class DeliveredCohort {
  private readonly byId: Map<string, Outcome>;
  constructor(outcomes: Outcome[]) {
    this.byId = new Map(outcomes.map((o) => [o.subjectId, { ...o }]));
  }

  reportProblem(report: DeliveryReport): string | undefined {
    const o = this.byId.get(report.subjectId);
    if (!o) return `subject '${report.subjectId}' is not in this cohort`;
    if (report.channel !== 'postal') return `the notification of subject '${report.subjectId}' has already finished`;
    return o.state === 'notified-postal' ? undefined : `no letter to subject '${report.subjectId}' counts as delivered`;
  }

  returned(report: DeliveryReport): void {
    const o = this.byId.get(report.subjectId)!;
    o.state = 'unreachable';
    o.reasons = [`postal: returned to sender (${report.reason})`];
  }

  counts(rows: number, duplicates: number): CohortCounts {
    const counts: CohortCounts = { rows, 'notified-email': 0, 'notified-fax': 0, 'notified-postal': 0, unreachable: 0, duplicate: duplicates };
    for (const o of this.byId.values()) counts[o.state]++;
    return counts;
  }

  outcome(subjectId: string): Outcome | undefined {
    return this.byId.get(subjectId);
  }

  /** The subjects in one final state. */
  subjectsIn(state: SubjectView['state']): string[] {
    return [...this.byId.values()].filter((o) => o.state === state).map((o) => o.subjectId);
  }

  outcomes(): Outcome[] {
    return [...this.byId.values()];
  }

  unreachable(limit = UNREACHABLE_REPORTED): Outcome[] {
    return [...this.byId.values()].filter((o) => o.state === 'unreachable').slice(0, limit);
  }
}

function stateOf(p: Person): SubjectView['state'] {
  return p.final ?? (p.stage === 'due' ? (p.contacted ? 'sending' : 'pending') : p.stage === 'sending' ? 'sending' : 'awaiting-report');
}

function reasonsOf(p: Person): string[] {
  if (p.rowProblem) return [p.rowProblem];
  const reasons = p.attempts.filter((a) => a.reason && a.outcome !== 'accepted' && a.outcome !== 'delivered').map((a) => `${a.channel}: ${a.reason}`);
  return [...(p.earlierReasons ?? []), ...reasons];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
