import { tsToDate } from '@temporalio/common/lib/time';
import type { BreachWorkflowInput } from '../domain/breach';
import type { SubjectFinished } from '../domain/cascade';
import type { Hold } from '../domain/holds';
import type { BreachSummary } from '../domain/status';
import type { AuthorityNotice } from '../domain/authority-notice';
import type { AuthorityReportRequest } from '../activities/mail-activities';
import { reportIsLate } from '../domain/deadline';
import { firstPayload, observeRuns, UpdatePairing, type HistoryEvent, type HistoryObserver, type RunHistory } from './history-events';
import type { Finding } from './export-schema';

/** When the workflow decided to send to a person on one channel: all the findings need of a subject's history. */
export interface Send {
  channel: string;
  at: number;
}

const SEND_ACTIVITIES = new Set(['sendNoticeEmail', 'sendNoticeFax', 'sendNoticeLetter']);

/** The send an event of a NotifyIndividual history records, if it records one. */
function sendOf(event: HistoryEvent): Send | undefined {
  const type = event.activityTaskScheduledEventAttributes?.activityType?.name;
  if (!type || !SEND_ACTIVITIES.has(type)) return undefined;
  return { channel: type.replace('sendNotice', '').toLowerCase(), at: tsToDate(event.eventTime!).getTime() };
}

/** How a workflow run ended other than by completing; undefined for any other event. */
function abnormalEndOf(event: HistoryEvent): string | undefined {
  if (event.workflowExecutionTerminatedEventAttributes) return 'terminated';
  if (event.workflowExecutionFailedEventAttributes) return 'failed';
  if (event.workflowExecutionTimedOutEventAttributes) return 'timed out';
  if (event.workflowExecutionCanceledEventAttributes) return 'canceled';
  return undefined;
}

/**
 * All the findings need of one subject's NotifyIndividual history, kept while it streams past:
 * its sends, and whether it ended without completing (and so without a final state).
 */
export class SubjectRecord implements HistoryObserver {
  readonly sends: Send[] = [];
  endedAbnormally?: string;

  observe(_runId: string, _runIndex: number, event: HistoryEvent): void {
    const send = sendOf(event);
    if (send) this.sends.push(send);
    this.endedAbnormally = abnormalEndOf(event) ?? this.endedAbnormally;
  }
}

/**
 * The completeness checks of an audit, for histories already in memory. `subjectRuns` holds the
 * histories of the breach's NotifyIndividual workflows, so that every send can be checked against
 * the holds.
 */
export function findings(runs: RunHistory[], subjectRuns: Map<string, RunHistory[]>, now: Date): Finding[] {
  const collector = new FindingsCollector();
  observeRuns(runs, collector);
  for (const [subjectId, histories] of subjectRuns) {
    const subject = new SubjectRecord();
    observeRuns(histories, subject);
    collector.addSubject(subjectId, subject);
  }
  return collector.findings(now);
}

interface HoldInForce {
  hold: Hold;
  from: number;
  /** Unset while the hold is active. */
  to?: number;
}

/**
 * Collects what the findings need while the breach's history streams past (the report's facts,
 * the holds, which subjects were started and which finished), and each subject's sends: nobody may
 * be contacted while a hold is active, and this check is the proof.
 */
export class FindingsCollector implements HistoryObserver {
  private input?: BreachWorkflowInput;
  private readonly holds = new Map<string, HoldInForce>();
  private readonly startedChildren = new Set<string>();
  private readonly finishedSubjects = new Set<string>();
  private readonly subjects = new Map<string, SubjectRecord>();
  private breachClosed = false;
  /** When each late authority notice without reasons went out. */
  private readonly lateWithoutReason: string[] = [];
  private runIndex = -1;
  private updates = new UpdatePairing();
  /** Authority reports being sent in this run, by the id of the event that scheduled them. */
  private reportsInFlight = new Map<string, AuthorityReportRequest>();

  observe(_runId: string, runIndex: number, event: HistoryEvent): void {
    if (runIndex !== this.runIndex) {
      this.runIndex = runIndex;
      this.updates = new UpdatePairing();
      this.reportsInFlight = new Map();
    }
    const started = event.workflowExecutionStartedEventAttributes;
    if (started && runIndex === 0) this.input = firstPayload<BreachWorkflowInput>(started.input);

    const child = event.startChildWorkflowExecutionInitiatedEventAttributes;
    if (child?.workflowId) this.startedChildren.add(child.workflowId);

    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName === 'subjectFinished') this.finishedSubjects.add(firstPayload<SubjectFinished>(signal.input)?.subjectId ?? '');

    const completed = event.workflowExecutionCompletedEventAttributes;
    if (completed) this.breachClosed = firstPayload<BreachSummary>(completed.result)?.phase === 'closed';

    this.observeMailedReport(event);
    const update = this.updates.observe(event);
    if (update?.result && (update.name === 'placeHold' || update.name === 'releaseHold')) {
      this.observeHold(update.name, update.result as Hold, tsToDate(event.eventTime!).getTime());
    }
    if (update?.result && update.name === 'recordPortalSubmission') {
      const notice = update.result as AuthorityNotice;
      if (!notice.onTime && !notice.lateReason) this.lateWithoutReason.push(notice.sentAt);
    }
  }

  /** A mailed report counts once the mail server took it; the reasons it carried are in its request. */
  private observeMailedReport(event: HistoryEvent): void {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'sendAuthorityReport') {
      const request = firstPayload<AuthorityReportRequest>(scheduled.input);
      if (request) this.reportsInFlight.set(String(event.eventId), request);
      return;
    }
    const scheduledEventId = String((event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes)?.scheduledEventId ?? '');
    const request = this.reportsInFlight.get(scheduledEventId);
    if (!request) return;
    this.reportsInFlight.delete(scheduledEventId);
    if (event.activityTaskCompletedEventAttributes && reportIsLate(request) && !request.lateReason) this.lateWithoutReason.push(request.reportedAt);
  }

  /** A subject's record, added in the order the findings should list them. */
  addSubject(subjectId: string, subject: SubjectRecord): void {
    this.subjects.set(subjectId, subject);
  }

  findings(now: Date): Finding[] {
    return [
      ...this.missingArt33Elements(),
      ...this.lateWithoutReason.map((at): Finding => ({ code: 'late-without-reason', detail: `late authority notice at ${at} without reasons for the delay` })),
      ...this.holdFindings(now),
      ...this.subjectsWithoutFinalState(),
      ...this.contactedDuringHold(now),
    ];
  }

  private observeHold(name: 'placeHold' | 'releaseHold', hold: Hold, at: number): void {
    if (name === 'placeHold') this.holds.set(hold.holdId, { hold, from: at });
    else {
      const placed = this.holds.get(hold.holdId);
      if (placed) this.holds.set(hold.holdId, { hold, from: placed.from, to: at });
    }
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

  private holdFindings(now: Date): Finding[] {
    const found: Finding[] = [];
    for (const { hold } of this.holds.values()) {
      if (!hold.caseRef?.trim()) found.push({ code: 'hold-without-case-reference', detail: `${hold.holdId} (${hold.agency}) has no case reference` });
      if (!hold.release && hold.reviewAt && Date.parse(hold.reviewAt) < now.getTime()) {
        found.push({ code: 'hold-past-review', detail: `${hold.holdId} (${hold.agency}) is still active past its review date ${hold.reviewAt}` });
      }
    }
    return found;
  }

  /**
   * A subject whose workflow ended without completing has no final state and never will. Subjects
   * still being notified are only a finding once the breach is closed: before that they are progress.
   */
  private subjectsWithoutFinalState(): Finding[] {
    const found: Finding[] = [];
    for (const [subjectId, subject] of this.subjects) {
      if (subject.endedAbnormally && !this.finishedSubjects.has(subjectId)) {
        found.push({ code: 'subjects-without-final-state', detail: `subject ${subjectId} has no final state: its notification workflow was ${subject.endedAbnormally}` });
      }
    }
    const started = this.startedChildren.size;
    const open = started - this.finishedSubjects.size - found.length;
    if (this.breachClosed && open > 0) {
      found.push({ code: 'subjects-without-final-state', detail: `${open} of ${started} subjects have no final state, and the breach is closed` });
    }
    return found;
  }

  /** Every send of every subject checked against the time each hold was in force; an active hold is in force until now. */
  private contactedDuringHold(now: Date): Finding[] {
    const holds = [...this.holds.values()];
    const found: Finding[] = [];
    for (const [subjectId, { sends }] of this.subjects) {
      for (const sent of sends) {
        const during = holds.find((h) => sent.at >= h.from && sent.at < (h.to ?? now.getTime()));
        if (during) {
          found.push({ code: 'contacted-during-hold', detail: `subject ${subjectId} was contacted by ${sent.channel} at ${new Date(sent.at).toISOString()} while ${during.hold.holdId} was active` });
        }
      }
    }
    return found;
  }
}
