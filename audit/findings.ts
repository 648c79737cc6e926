import { tsToDate } from '@temporalio/common/lib/time';
import type { BreachWorkflowInput } from '../domain/breach';
import type { CohortInput } from '../domain/cascade';
import type { Hold } from '../domain/holds';
import { cohortOfWorkflowId } from '../domain/ids';
import type { BreachSummary } from '../domain/status';
import type { ObligationView } from '../domain/obligations';
import type { AuthorityNotice } from '../domain/authority-notice';
import { authorityReportAsSent, type AuthorityReportRequest, type AuthorityReportSent } from '../domain/authority-notice';
import { closeUpdate, placeHoldUpdate, recordPortalSubmissionUpdate, releaseHoldUpdate, reviewHoldUpdate } from '../workflows/messages/breach';
import { CohortHistory, type CohortFact, type CohortObserver } from './cohort-events';
import type { Finding } from './export-schema';
import { ActivityPairing, firstPayload, observeRuns, UpdatePairing, type HistoryEvent, type HistoryObserver, type RunHistory } from './history-events';
import { AUTHORITY_REPORT_ACTIVITY, PLAN_COHORTS_ACTIVITY } from './timeline';

/**
 * The completeness checks of an audit, for histories already in memory: the breach's runs, and
 * each cohort's runs by cohort number, so that every send can be checked against the holds.
 */
export function findings(runs: RunHistory[], cohortRuns: Map<number, RunHistory[]>, now: Date): Finding[] {
  const collector = new FindingsCollector(now);
  observeRuns(runs, collector);
  for (const cohort of [...cohortRuns.keys()].sort((a, b) => a - b)) {
    const record = collector.cohortRecord(cohort);
    observeRuns(cohortRuns.get(cohort)!, new CohortHistory([record]));
    collector.addCohort(record);
  }
  return collector.findings();
}

interface HoldInForce {
  hold: Hold;
  from: number;
  /** Unset while the hold is active. */
  to?: number;
}

function subjects(n: number): string {
  return n === 1 ? '1 subject' : `${n} subjects`;
}

/**
 * All the findings need of one cohort's history, kept while it streams past: whether it reached
 * its delivered run (everyone's final state) or ended without it, how many people it notifies,
 * and each send made while a hold was in force, checked as it streams past.
 */
export class CohortRecord implements CohortObserver {
  rows?: number;
  people?: number;
  delivered = false;
  /** People the delivered run records as unreachable. */
  unreachable = 0;
  endedAbnormally?: string;
  /** Why the cohort could not notify its people at all (its roster rows could not be read). */
  stopped?: string;
  readonly duringHold: Finding[] = [];

  constructor(
    readonly cohort: number,
    private readonly holdInForceAt: (at: number) => Hold | undefined,
  ) {}

  fact(fact: CohortFact): void {
    switch (fact.type) {
      case 'run-started':
        this.rows ??= fact.input.slice.rows;
        if (fact.input.delivered) {
          this.delivered = true;
          this.unreachable = fact.input.delivered.filter((o) => o.state === 'unreachable').length;
        }
        // A retry (breach subject retry) goes on where the ended run stopped.
        if (fact.input.resume) this.endedAbnormally = undefined;
        return;
      case 'roster-read':
        this.people = fact.subjectIds.length;
        return;
      case 'roster-failed':
        this.stopped = fact.reason;
        return;
      case 'sent': {
        const hold = this.holdInForceAt(Date.parse(fact.evidence.at));
        if (hold) this.duringHold.push({ code: 'contacted-during-hold', detail: `subject ${fact.subjectId} was contacted by ${fact.channel} at ${fact.evidence.at} while ${hold.holdId} was active` });
        return;
      }
      case 'ended-abnormally':
        // A cohort stopped after its delivered run has given everyone a final state.
        if (!this.delivered) this.endedAbnormally = fact.how;
        return;
      default:
        return;
    }
  }
}

/**
 * Collects what the findings need while the breach's history streams past (the report's facts,
 * the holds, which cohorts were started), then each cohort's record: nobody may be contacted
 * while a hold is active, and this check is the proof. The breach must be read before its
 * cohorts, because each send is checked against the holds as the cohort's history streams past.
 */
export class FindingsCollector implements HistoryObserver {
  private input?: BreachWorkflowInput;
  private readonly holds = new Map<string, HoldInForce>();
  /** The rows of each cohort the breach started, by cohort number. */
  private readonly startedCohorts = new Map<number, number>();
  private readonly cohorts = new Map<number, CohortRecord>();
  private breachClosed = false;
  /** How the breach's obligations stood when it closed (breaches with regimes). */
  private obligationsAtClose?: ObligationView[];
  /** The reason given when the breach was closed although notifying individuals had stopped. */
  private incompleteAccepted?: string;
  /** When each late authority notice without reasons went out. */
  private readonly lateWithoutReason: string[] = [];
  private runIndex = -1;
  private updates = new UpdatePairing();
  /** Authority reports being sent in this run. */
  private reportsInFlight = newReportPairing();
  /** The breach's planning of its cohorts in this run, and why it stopped notifying individuals, if it did. */
  private plans = newPlanPairing();
  private planStopped?: string;

  constructor(private readonly now: Date) {}

  observe(_runId: string, runIndex: number, event: HistoryEvent): void {
    if (runIndex !== this.runIndex) {
      this.runIndex = runIndex;
      this.updates = new UpdatePairing();
      this.reportsInFlight = newReportPairing();
      this.plans = newPlanPairing();
    }
    const started = event.workflowExecutionStartedEventAttributes;
    if (started && runIndex === 0) this.input = firstPayload<BreachWorkflowInput>(started.input);

    const child = event.startChildWorkflowExecutionInitiatedEventAttributes;
    const cohort = child?.workflowId ? cohortOfWorkflowId(child.workflowId) : undefined;
    if (cohort) this.startedCohorts.set(cohort.cohort, firstPayload<CohortInput>(child!.input)?.slice.rows ?? 0);

    const completed = event.workflowExecutionCompletedEventAttributes;
    if (completed) {
      const summary = firstPayload<BreachSummary>(completed.result);
      this.breachClosed = summary?.phase === 'closed';
      this.obligationsAtClose = summary?.obligations;
    }

    // A mailed report counts from when the relay accepted it, with the reason it carried.
    const plan = this.plans.observe(event);
    if (plan?.failure !== undefined) this.planStopped = plan.failure;

    const report = this.reportsInFlight.observe(event);
    if (report && report.failure === undefined && !report.canceled) {
      const sent = authorityReportAsSent(report.activity, report.result as AuthorityReportSent);
      if (sent.late && !sent.lateReason) this.lateWithoutReason.push(sent.acceptedAt);
    }

    const update = this.updates.observe(event);
    // A review moves the hold's review date; it is the hold as the review left it.
    if (update?.result && update.name === reviewHoldUpdate.name) {
      const known = this.holds.get((update.result as Hold).holdId);
      if (known) known.hold = update.result as Hold;
    }
    if (update?.result && (update.name === placeHoldUpdate.name || update.name === releaseHoldUpdate.name)) {
      this.observeHold(update.name === placeHoldUpdate.name, update.result as Hold, tsToDate(event.eventTime!).getTime());
    }
    if (update?.result && update.name === closeUpdate.name && typeof update.request.incompleteReason === 'string') this.incompleteAccepted = update.request.incompleteReason;
    if (update?.result && update.name === recordPortalSubmissionUpdate.name) {
      const notice = update.result as AuthorityNotice;
      if (!notice.onTime && !notice.lateReason) this.lateWithoutReason.push(notice.sentAt);
    }
  }

  /** A record for one cohort's history, checking its sends against the holds read so far. */
  cohortRecord(cohort: number): CohortRecord {
    return new CohortRecord(cohort, (at) => this.holdInForceAt(at));
  }

  /** A cohort's record, added in the order the findings should list them. */
  addCohort(record: CohortRecord): void {
    this.cohorts.set(record.cohort, record);
  }

  findings(): Finding[] {
    return [
      ...this.missingArt33Elements(),
      ...this.lateWithoutReason.map((at): Finding => ({ code: 'late-without-reason', detail: `late authority notice at ${at} without reasons for the delay` })),
      ...this.holdFindings(),
      ...this.subjectsWithoutFinalState(),
      ...this.stoppedNotifications(),
      ...this.unreachableWithoutSubstitute(),
      ...[...this.cohorts.values()].flatMap((record) => record.duringHold),
    ];
  }

  /**
   * People the notices could not reach must be told another way (a substitute or public
   * notice): a closed breach with unreachable people and no such notice recorded is a finding.
   */
  private unreachableWithoutSubstitute(): Finding[] {
    if (!this.breachClosed) return [];
    const unreachable = [...this.cohorts.values()].reduce((sum, record) => sum + record.unreachable, 0);
    if (unreachable === 0) return [];
    const substitute = this.obligationsAtClose?.filter((v) => v.means !== undefined) ?? [];
    if (substitute.some((v) => v.status === 'done')) return [];
    const why = substitute.length ? `; ${substitute.map((v) => `${v.id}: ${v.reason ?? v.status}`).join('; ')}` : '';
    return [{ code: 'unreachable-without-substitute-notice', detail: `${subjects(unreachable)} could not be reached and no substitute or public notice was recorded${why}` }];
  }

  /** Cohorts that could not notify anyone, with what the breach's closing said about it. */
  private stoppedNotifications(): Finding[] {
    const accepted = this.incompleteAccepted ? `; the breach was closed accepting it: ${this.incompleteAccepted}` : this.breachClosed ? '; the breach was closed anyway' : '';
    const planning: Finding[] = this.planStopped ? [{ code: 'notification-stopped', detail: `notifying individuals stopped: ${this.planStopped}${accepted}` }] : [];
    return [
      ...planning,
      ...[...this.cohorts.values()]
        .filter((record) => record.stopped !== undefined)
        .map((record): Finding => ({ code: 'notification-stopped', detail: `cohort ${record.cohort} (${subjects(record.rows ?? 0)}) was never notified: ${record.stopped}${accepted}` })),
    ];
  }

  private observeHold(placed: boolean, hold: Hold, at: number): void {
    if (placed) this.holds.set(hold.holdId, { hold, from: at });
    else {
      const known = this.holds.get(hold.holdId);
      if (known) this.holds.set(hold.holdId, { hold, from: known.from, to: at });
    }
  }

  /** The hold in force at a time, if any; an active hold is in force until now. */
  private holdInForceAt(at: number): Hold | undefined {
    for (const { hold, from, to } of this.holds.values()) if (at >= from && at < (to ?? this.now.getTime())) return hold;
    return undefined;
  }

  private missingArt33Elements(): Finding[] {
    if (!this.input) return [];
    const f = this.input.facts;
    const required: [string, boolean][] = [
      ['nature of the breach (description)', !f.description?.trim()],
      ['categories of personal data', !f.dataCategories?.length],
      ['approximate number of data subjects', !(f.approxSubjects >= 0)],
      ['approximate number of records', !(f.approxRecords >= 0)],
      ['contact point', !f.contactPoint?.trim()],
      ['likely consequences', !f.likelyConsequences?.trim()],
      ['measures taken or proposed', !f.measures?.trim()],
    ];
    return required.filter(([, missing]) => missing).map(([element]) => ({ code: 'missing-art33-element', detail: `the authority report lacks: ${element}` }));
  }

  private holdFindings(): Finding[] {
    const found: Finding[] = [];
    for (const { hold } of this.holds.values()) {
      if (!hold.caseRef?.trim()) found.push({ code: 'hold-without-case-reference', detail: `${hold.holdId} (${hold.agency}) has no case reference` });
      if (!hold.release && !hold.reviewAt) found.push({ code: 'hold-without-review-date', detail: `${hold.holdId} (${hold.agency}) is active with no review date: nobody is reminded to ask whether it is still needed` });
      if (!hold.release && hold.reviewAt && Date.parse(hold.reviewAt) < this.now.getTime()) {
        found.push({ code: 'hold-past-review', detail: `${hold.holdId} (${hold.agency}) is still active past its review date ${hold.reviewAt}` });
      }
    }
    return found;
  }

  /**
   * A cohort whose workflow ended before its delivered run gave no final state to its people, and
   * never will. Cohorts still notifying are only a finding once the breach is closed: before that
   * they are progress. A cohort the breach started whose history is gone counts as one without.
   */
  private subjectsWithoutFinalState(): Finding[] {
    const numbers = [...new Set([...this.startedCohorts.keys(), ...this.cohorts.keys()])].sort((a, b) => a - b);
    const found: Finding[] = [];
    for (const cohort of numbers) {
      const record = this.cohorts.get(cohort);
      const people = subjects(record?.people ?? record?.rows ?? this.startedCohorts.get(cohort) ?? 0);
      if (record?.endedAbnormally) {
        found.push({ code: 'subjects-without-final-state', detail: `cohort ${cohort} (${people}) has no final state: its notification workflow was ${record.endedAbnormally}` });
      } else if (this.breachClosed && !record?.delivered) {
        found.push({ code: 'subjects-without-final-state', detail: `cohort ${cohort} (${people}) has no final state, and the breach is closed` });
      }
    }
    return found;
  }
}

/** Pairs each authority report with the event that ends it, keeping its request. */
function newPlanPairing(): ActivityPairing<true> {
  return new ActivityPairing((type) => (type === PLAN_COHORTS_ACTIVITY ? true : undefined));
}

function newReportPairing(): ActivityPairing<AuthorityReportRequest> {
  return new ActivityPairing((type, scheduled) => (type === AUTHORITY_REPORT_ACTIVITY ? firstPayload<AuthorityReportRequest>(scheduled.input) : undefined));
}
