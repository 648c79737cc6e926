import { parseISO } from 'date-fns';
import type { AuthorityReportSent } from '../activities/mail-activities';
import { RISK_LEVELS, type AssessRequest, type Assessment, type BreachWorkflowInput } from '../domain/breach';
import { assessSeverity, describeSeverity, severityProblem, type SeverityInputs } from '../domain/severity';
import type {
  AuthorityNotice,
  LateReasonRequest,
  PortalSubmissionRequest,
  Supplement,
  SupplementRequest,
} from '../domain/authority-notice';
import { authorityDeadline, isPastDeadline } from '../domain/deadline';
import type { ResolveSubjectRequest, RetryCohortRequest } from '../domain/cohort-recovery';
import type { Hold, PlaceHoldRequest, ReleaseHoldRequest, ReviewHoldRequest } from '../domain/holds';
import { isActive, placeHoldProblem, releaseHoldProblem, reviewHoldProblem } from '../domain/holds';
import { missingFields } from '../domain/required-fields';
import type { BreachPhase, BreachStatus, BreachSummary, CloseRequest, ReminderRecord } from '../domain/status';
import { channelFailures, fanOutDone, individualCounts, type FanOutProgress } from '../domain/fan-out';
import type { BreachSnapshot } from '../domain/snapshot';

/**
 * Everything one breach workflow knows, with the rules that decide what a request may change.
 * Each `...Problem` method returns the reason a request is refused (undefined when it is allowed)
 * so that the update handlers can refuse it before anything changes.
 */
export class BreachRecord {
  readonly deadline: Date;
  readonly assessments: Assessment[] = [];
  readonly holds: Hold[] = [];
  readonly supplements: Supplement[] = [];
  readonly reminders: ReminderRecord[] = [];
  notice?: AuthorityNotice;
  noticeFailure?: string;
  noticeInFlight = false;
  /** The mailed report's failing rounds: since when, how many attempts, the last error (cleared once it is sent). */
  noticeSending?: { failingSince: string; attempts: number; lastError: string };
  supplementsInFlight = 0;
  lateReason?: { reason: string; by: string; at: string };
  closed?: { by: string; at: string; incompleteReason?: string };
  fanOut?: FanOutProgress;
  /** Numbers the hold changes told to the cohorts, and the latest change each cohort confirmed it stopped for. */
  holdRound = 0;
  /** Cohort workflows whose start is under way. */
  cohortsStarting = 0;
  readonly cohortsHeld = new Map<number, number>();
  /** Cohorts whose retry or resolution is under way. */
  readonly cohortsRecovering = new Set<number>();
  /** Whether a stopped notification shows as its own phase and blocks `close` (breaches older than that showed it as notified). */
  stoppedNotificationShown = false;
  /** How many runs came before this one (continue-as-new). */
  readonly runs: number;

  constructor(readonly input: BreachWorkflowInput) {
    this.deadline = authorityDeadline(parseISO(input.facts.awareAt), input.policy.deadlineHours);
    const carried = input.carried;
    this.runs = carried ? carried.runs + 1 : 0;
    if (carried) {
      this.assessments.push(...carried.assessments);
      this.holds.push(...carried.holds);
      this.supplements.push(...carried.supplements);
      this.reminders.push(...carried.reminders);
      this.notice = carried.notice;
      this.noticeFailure = carried.noticeFailure;
      this.lateReason = carried.lateReason;
      this.fanOut = carried.fanOut;
    }
  }

  snapshot(): BreachSnapshot {
    return {
      assessments: this.assessments,
      holds: this.holds,
      supplements: this.supplements,
      reminders: this.reminders,
      notice: this.notice,
      noticeFailure: this.noticeFailure,
      lateReason: this.lateReason,
      fanOut: this.fanOut,
      runs: this.runs,
    };
  }

  /** Individuals are notified when the risk is high and there is a roster to notify. */
  individualsDue(): boolean {
    return this.assessment?.risk === 'high' && this.input.roster !== undefined && this.input.cascade !== undefined;
  }

  fanOutPending(): boolean {
    return this.fanOut !== undefined ? !fanOutDone(this.fanOut) : this.individualsDue();
  }

  get assessment(): Assessment | undefined {
    return this.assessments[this.assessments.length - 1];
  }

  /** The authority must be told: the risk is not unlikely and no notice has been recorded. */
  noticeOutstanding(): boolean {
    return this.notice === undefined && (this.assessment === undefined || this.assessment.risk !== 'unlikely');
  }

  noticeRequired(): boolean {
    return this.notice === undefined && this.assessment !== undefined && this.assessment.risk !== 'unlikely';
  }

  holdActive(): boolean {
    return this.holds.some(isActive);
  }

  noticeHeldBack(): boolean {
    return this.input.policy.holdsDelayNotice && this.holdActive();
  }

  needsLateReason(now: Date): boolean {
    return isPastDeadline(this.deadline, now) && this.lateReason === undefined;
  }

  /** Portal submissions are how notices go out under a portal policy, and the fallback when mail was refused. */
  acceptsPortalSubmission(): boolean {
    return this.input.policy.notifyBy === 'portal' || this.noticeFailure !== undefined;
  }

  phase(now: Date): BreachPhase {
    if (this.closed) return 'closed';
    if (!this.assessment) return 'awaiting-assessment';
    if (this.fanOut?.error !== undefined && this.stoppedNotificationShown) return 'notification-stopped';
    if (this.fanOut) return fanOutDone(this.fanOut) ? 'individuals-notified' : 'notifying-individuals';
    if (this.notice) return 'authority-notified';
    if (this.assessment.risk === 'unlikely') return 'documented';
    if (this.noticeHeldBack()) return 'notice-held';
    if (this.needsLateReason(now)) return 'awaiting-late-reason';
    if (this.acceptsPortalSubmission()) return 'awaiting-portal-submission';
    return 'notifying-authority';
  }

  assessProblem(request: AssessRequest): string | undefined {
    if (this.closed) return 'the breach is closed';
    const missing = missingFields(request, ['rationale', 'by']);
    if (missing) return missing;
    if (request.risk === 'unlikely' && (this.notice || this.noticeInFlight)) {
      return "the authority has already been notified, so the risk cannot be lowered below 'risk'";
    }
    if (request.risk !== 'high' && this.fanOut) return "individuals are already being notified, so the risk cannot be lowered below 'high'";
    return request.severity ? this.severityProblem(request, request.severity) : request.belowRecommendation ? 'a reason for deciding below the recommendation goes with a severity score' : undefined;
  }

  /** A decision below what the score recommends must say why. */
  private severityProblem(request: AssessRequest, severity: SeverityInputs): string | undefined {
    const problem = severityProblem(severity);
    if (problem) return problem;
    const scored = assessSeverity(severity, this.input.policy.recommend);
    if (RISK_LEVELS.indexOf(request.risk) >= RISK_LEVELS.indexOf(scored.recommended.risk) || request.belowRecommendation?.trim()) return undefined;
    return `${describeSeverity(scored)}; deciding '${request.risk}' below that needs the reason why (--below-recommendation)`;
  }

  assess(request: AssessRequest, now: Date): Assessment {
    const { severity, ...decision } = request;
    const assessment: Assessment = { ...decision, at: now.toISOString(), ...(severity ? { severity: assessSeverity(severity, this.input.policy.recommend) } : {}) };
    this.assessments.push(assessment);
    return assessment;
  }

  lateReasonProblem(request: LateReasonRequest): string | undefined {
    if (this.closed) return 'the breach is closed';
    if (this.notice) return 'the authority has already been notified';
    return missingFields(request, ['reason', 'by']);
  }

  giveLateReason(request: LateReasonRequest, now: Date): void {
    this.lateReason = { reason: request.reason, by: request.by, at: now.toISOString() };
  }

  portalSubmissionProblem(request: PortalSubmissionRequest, now: Date): string | undefined {
    if (this.closed) return 'the breach is closed';
    if (this.notice) return `the authority was already notified at ${this.notice.sentAt}`;
    if (!this.acceptsPortalSubmission()) return 'this breach notifies the authority by email; a portal submission is not expected';
    if (!this.noticeRequired()) return "the breach must be assessed as 'risk' or 'high' before the authority is notified";
    const missing = missingFields(request, ['reference', 'by']);
    if (missing) return missing;
    if (this.needsLateReason(now) && !request.lateReason?.trim()) {
      return `the submission is after the deadline (${this.deadline.toISOString()}); give the reason for the delay`;
    }
    return undefined;
  }

  recordPortalSubmission(request: PortalSubmissionRequest, now: Date): AuthorityNotice {
    if (request.lateReason?.trim() && !this.lateReason) this.giveLateReason({ reason: request.lateReason, by: request.by }, now);
    this.notice = this.noticeAt(now, { channel: 'portal', portalReference: request.reference, recordedBy: request.by }, this.lateReason?.reason);
    return this.notice;
  }

  /**
   * The notice counts from when the relay accepted the report, late or on time by that, with the
   * reason the report itself carried. Reports sent before the acceptance was recorded count from
   * when their sending was recorded.
   */
  recordMailedNotice(sent: AuthorityReportSent, now: Date): AuthorityNotice {
    const how = { channel: 'email' as const, messageId: sent.messageId };
    this.notice = sent.acceptedAt ? this.noticeAt(parseISO(sent.acceptedAt), how, sent.lateReason) : this.noticeAt(now, how, this.lateReason?.reason);
    this.noticeSending = undefined;
    return this.notice;
  }

  noticeSendFailing(attempts: number, lastError: string, now: Date): void {
    this.noticeSending = { failingSince: this.noticeSending?.failingSince ?? now.toISOString(), attempts: (this.noticeSending?.attempts ?? 0) + attempts, lastError };
  }

  private noticeAt(at: Date, how: Pick<AuthorityNotice, 'channel' | 'messageId' | 'portalReference' | 'recordedBy'>, lateReason: string | undefined): AuthorityNotice {
    const onTime = !isPastDeadline(this.deadline, at);
    return {
      ...how,
      sentAt: at.toISOString(),
      deadline: this.deadline.toISOString(),
      onTime,
      ...(onTime ? {} : { lateReason }),
    };
  }

  supplementProblem(request: SupplementRequest): string | undefined {
    if (this.closed) return 'the breach is closed';
    if (!this.notice) return 'the authority has not been notified yet; supplementary information follows the first notice';
    const missing = missingFields(request, ['information', 'by']);
    if (missing) return missing;
    if (this.notice.channel === 'portal' && !request.portalReference?.trim()) {
      return 'the authority was notified through its portal; give the portal reference of the supplement';
    }
    return undefined;
  }

  holdProblem(request: PlaceHoldRequest, now: Date): string | undefined {
    if (this.closed) return 'the breach is closed';
    return placeHoldProblem(request, now);
  }

  placeHold(request: PlaceHoldRequest, now: Date): Hold {
    const hold: Hold = { ...request, holdId: `hold-${this.holds.length + 1}`, placedAt: now.toISOString() };
    this.holds.push(hold);
    return hold;
  }

  releaseProblem(request: ReleaseHoldRequest): string | undefined {
    if (this.closed) return 'the breach is closed';
    return releaseHoldProblem(this.holds, request);
  }

  releaseHold(request: ReleaseHoldRequest, now: Date): Hold {
    const hold = this.holds.find((h) => h.holdId === request.holdId)!;
    hold.release = { at: now.toISOString(), by: request.by, reason: request.reason };
    return hold;
  }

  reviewHoldProblem(request: ReviewHoldRequest, now: Date): string | undefined {
    if (this.closed) return 'the breach is closed';
    return reviewHoldProblem(this.holds, request, now);
  }

  /** The review is recorded and the hold's next review is the new date, with its reminder not yet sent. */
  reviewHold(request: ReviewHoldRequest, now: Date): Hold {
    const hold = this.holds.find((h) => h.holdId === request.holdId)!;
    const { holdId: _, ...review } = request;
    hold.reviews = [...(hold.reviews ?? []), { ...review, at: now.toISOString() }];
    hold.reviewAt = request.reviewAt;
    hold.reviewReminderSentAt = undefined;
    return hold;
  }

  /** Why a cohort cannot be retried or one of its people resolved now; the cohort's workflow itself decides the rest. */
  cohortRecoveryProblem(request: RetryCohortRequest | ResolveSubjectRequest): string | undefined {
    if (this.closed) return 'the breach is closed';
    const missing = missingFields(request, ['reason', 'by']);
    if (missing) return missing;
    if (!this.fanOut) return 'no individuals are being notified in this breach';
    const summary = this.fanOut.cohorts[request.cohort];
    if (!summary) return `the breach has no cohort ${request.cohort} (it has started ${this.fanOut.cohorts.length})`;
    if (summary.stage === 'final') return `cohort ${request.cohort} is final: everyone in it has a final state`;
    if (this.cohortsRecovering.has(request.cohort)) return `a retry or resolution of cohort ${request.cohort} is under way`;
    if ('state' in request && summary.resolved?.some((r) => r.subjectId === request.subjectId)) return `subject '${request.subjectId}' has already been resolved`;
    return undefined;
  }

  closeProblem(request: CloseRequest): string | undefined {
    if (this.closed) return 'the breach is already closed';
    const missing = missingFields(request, ['by']);
    if (missing) return missing;
    const active = this.holds.filter(isActive).map((h) => h.holdId);
    if (active.length > 0) return `holds are still active (${active.join(', ')}); release them first`;
    if (!this.assessment) return 'the breach has not been assessed yet';
    if (this.noticeOutstanding()) return 'the authority has not been notified yet';
    if (this.supplementsInFlight > 0) return 'a supplementary report is still being sent';
    if (this.fanOutPending()) return 'individuals are still being notified';
    if (this.fanOut?.error !== undefined && this.stoppedNotificationShown && !request.incompleteReason?.trim()) {
      return `notifying individuals stopped (${this.fanOut.error}); fix the cause, or close with --accept-incomplete and a --reason`;
    }
    return undefined;
  }

  close(request: CloseRequest, now: Date): BreachSummary {
    this.closed = { by: request.by, at: now.toISOString(), ...(request.incompleteReason?.trim() ? { incompleteReason: request.incompleteReason } : {}) };
    return {
      breachId: this.input.facts.breachId,
      phase: 'closed',
      risk: this.assessment?.risk,
      closedAt: this.closed.at,
      closedBy: this.closed.by,
      authorityNotice: this.notice,
      supplements: this.supplements.length,
      holdsPlaced: this.holds.length,
      remindersSent: this.reminders.filter((r) => r.delivered).length,
    };
  }

  status(now: Date): BreachStatus {
    return {
      breachId: this.input.facts.breachId,
      title: this.input.facts.title,
      phase: this.phase(now),
      awareAt: this.input.facts.awareAt,
      deadline: this.deadline.toISOString(),
      asOf: now.toISOString(),
      pastDeadline: isPastDeadline(this.deadline, now),
      risk: this.assessment?.risk,
      assessments: this.assessments,
      authorityNotice: this.notice,
      authorityNoticeFailure: this.noticeFailure,
      authorityNoticeSending: this.notice ? undefined : this.noticeSending,
      lateReason: this.lateReason,
      supplements: this.supplements,
      holds: { active: this.holds.filter(isActive), released: this.holds.filter((h) => !isActive(h)) },
      reminders: this.reminders,
      individuals: individualCounts(this.fanOut, this.input.roster?.total),
      unreachableSubjects: this.fanOut?.unreachable ?? [],
      fanOutError: this.fanOut?.error,
      channelFailures: channelFailures(this.fanOut),
      closed: this.closed,
    };
  }
}
