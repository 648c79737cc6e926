import { isAfter, parseISO } from 'date-fns';
import type { AuthorityReportSent } from '../activities/mail-activities';
import { RISK_LEVELS, type AssessRequest, type Assessment, type BreachRegimes, type BreachWorkflowInput } from '../domain/breach';
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
import type { Hold, HoldStatementRequest, PlaceHoldRequest, ReleaseHoldRequest, ReviewHoldRequest } from '../domain/holds';
import { isActive, placeHoldProblem, releaseHoldProblem, reviewHoldProblem } from '../domain/holds';
import { missingFields } from '../domain/required-fields';
import type { BreachPhase, BreachStatus, BreachSummary, CloseRequest, ReminderRecord } from '../domain/status';
import { channelFailures, fanOutDone, individualCounts, type FanOutProgress } from '../domain/fan-out';
import type { BreachSnapshot } from '../domain/snapshot';
import { evaluateObligations, holdCovers, OPEN_STATUSES, type ObligationState, type ObligationView, type RecordAnchorRequest, type RecordObligationRequest } from '../domain/obligations';
import { holdRegimes, holdRegimesProblem } from '../domain/hold-regimes';

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
  /** The anchors and completions of the breach's obligations; absent for breaches started before regimes. */
  readonly obligations?: ObligationState;

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
    const regimes = input.regimes;
    if (regimes) this.obligations = carried?.obligations ?? initialObligationState(regimes.anchors, input.facts);
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
      obligations: this.obligations,
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

  /** Whether a hold stops the notices to individuals: under a regime that lets it delay them and has not lapsed there. */
  holdActive(): boolean {
    return this.holds.some((h) => isActive(h) && this.holdDelaysIndividuals(h));
  }

  private holdDelaysIndividuals(hold: Hold): boolean {
    const packs = this.input.regimes?.packs;
    if (!packs || !hold.regimes) return true;
    return packs.some(
      (p) => holdCovers(hold, p.id) && hold.regimes!.includes(p.id) && p.obligations.some((r) => r.completedBy === 'individual-notices' && p.lawEnforcement?.delays.includes(r.key)),
    );
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
    const packs = this.input.regimes?.packs;
    if (!packs && (request.form || request.regimes)) return 'this breach was started before regimes; a hold on it delays every notice to individuals and has no form or regimes';
    return placeHoldProblem(request, now) ?? (packs && holdRegimesProblem(request, packs));
  }

  placeHold(request: PlaceHoldRequest, now: Date): Hold {
    const packs = this.input.regimes?.packs;
    const regimes = packs ? { regimes: holdRegimes(request, packs) } : {};
    const hold: Hold = { ...request, ...regimes, holdId: `hold-${this.holds.length + 1}`, placedAt: now.toISOString() };
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

  holdStatementProblem(request: HoldStatementRequest): string | undefined {
    if (this.closed) return 'the breach is closed';
    const missing = missingFields(request, ['holdId', 'reason', 'by']);
    if (missing) return missing;
    const hold = this.holds.find((h) => h.holdId === request.holdId);
    if (!hold) return `no hold '${request.holdId}' on this breach`;
    if (!isActive(hold)) return `hold '${request.holdId}' was already released at ${hold.release?.at}`;
    return undefined;
  }

  /** The hold is now on the agency's written word, and any period its regimes allow starts again. */
  recordHoldStatement(request: HoldStatementRequest, now: Date): Hold {
    const hold = this.holds.find((h) => h.holdId === request.holdId)!;
    hold.form = 'written';
    hold.writtenStatement = { at: now.toISOString(), by: request.by, reason: request.reason };
    hold.lapsed = undefined;
    return hold;
  }

  /** The hold's period under `regime` ran out at `at`; once it delays nothing any more it ends by itself. */
  lapseHold(hold: Hold, regime: string, at: Date): void {
    hold.lapsed = [...(hold.lapsed ?? []), { regime, at: at.toISOString() }];
    if (hold.regimes?.every((r) => !holdCovers(hold, r))) {
      hold.release = { at: at.toISOString(), by: 'the engine', reason: `its period ran out under ${hold.lapsed.map((l) => l.regime).join(', ')} without a written statement extending it` };
    }
  }

  /** The obligations of every regime of the breach, ordered by deadline; undefined for breaches started before regimes. */
  obligationViews(now: Date): ObligationView[] | undefined {
    const regimes = this.input.regimes;
    const state = this.obligations;
    if (!regimes || !state) return undefined;
    const severity = this.assessment?.severity?.inputs;
    const notice = this.notice && { at: this.notice.sentAt, reference: this.notice.messageId ?? this.notice.portalReference ?? this.notice.channel, onTime: this.notice.onTime, lateReason: this.notice.lateReason, by: this.notice.recordedBy ?? 'the engine' };
    return evaluateObligations(
      { packs: regimes.packs, residents: regimes.residents, affected: this.input.roster?.total ?? this.input.facts.approxSubjects, dataTypes: regimes.dataTypes },
      {
        risk: this.assessment?.risk,
        unintelligible: severity?.unintelligible ?? false,
        disproportionateEffort: Boolean(severity?.disproportionateEffort),
        anchors: state.anchors,
        completions: state.completions,
        holds: this.holds,
        unreachable: this.fanOut ? individualCounts(this.fanOut).unreachable : 0,
        authorityNotice: notice,
        individualsNotifiedAt: state.individualsNotifiedAt,
      },
      now,
    );
  }

  anchorProblem(request: RecordAnchorRequest, now: Date): string | undefined {
    if (this.closed) return 'the breach is closed';
    if (!this.obligations) return 'this breach was started before regimes; its only deadline counts from awareness';
    const missing = missingFields(request, ['by']);
    if (missing) return missing;
    if (request.event === 'awareness') return 'awareness is the breach\'s aware-at and cannot be changed';
    if (isAfter(parseISO(request.at), now)) return `${request.at} is in the future; record the event once it has happened`;
    const used = this.input.regimes!.packs.some((p) => p.obligations.some((r) => 'event' in r.anchor && r.anchor.event === request.event));
    if (!used) return `no obligation of this breach counts from ${request.event}`;
    return undefined;
  }

  recordAnchor(request: RecordAnchorRequest, now: Date): ObligationView[] {
    this.obligations!.anchors[request.event] = { at: parseISO(request.at).toISOString(), by: request.by, recordedAt: now.toISOString(), ...(request.reason?.trim() ? { reason: request.reason } : {}) };
    return this.obligationViews(now)!;
  }

  obligationProblem(request: RecordObligationRequest, now: Date): string | undefined {
    if (this.closed) return 'the breach is closed';
    const views = this.obligationViews(now);
    if (!views) return 'this breach was started before regimes; it has no obligations to record';
    const missing = missingFields(request, ['reference', 'by']);
    if (missing) return missing;
    const view = views.find((v) => v.id === request.obligationId);
    if (!view) return `no obligation '${request.obligationId}' on this breach (it has ${views.map((v) => v.id).join(', ')})`;
    if (view.completedBy === 'authority-notice') return `${view.id} is met by the authority notice; record a portal submission with breach portal`;
    if (view.completedBy === 'individual-notices' && this.input.roster) return `${view.id} is met by the engine's notices to the roster's people`;
    if (view.status === 'done') return `${view.id} was already recorded at ${view.completion!.at}`;
    if (view.status === 'not-required') return `${view.id} is not required: ${view.reason}`;
    if (view.status === 'awaiting-anchor') return `${view.id} ${view.reason}`;
    if (view.status === 'awaiting-assessment') return `${view.id} is owed only if the assessed risk calls for it; assess the breach first`;
    if (request.notRequiredReason !== undefined) return request.notRequiredReason.trim() ? undefined : 'the reason it is not required must not be empty';
    const at = request.at ? parseISO(request.at) : now;
    if (isAfter(at, now)) return `${request.at} is in the future`;
    if (view.deadline && isAfter(at, parseISO(view.deadline)) && !request.lateReason?.trim()) {
      return `${view.id} was due at ${view.deadline}; give the reason for the delay (--late-reason)`;
    }
    return undefined;
  }

  recordObligation(request: RecordObligationRequest, now: Date): ObligationView {
    const view = this.obligationViews(now)!.find((v) => v.id === request.obligationId)!;
    if (request.notRequiredReason !== undefined) {
      this.obligations!.completions[view.id] = { at: now.toISOString(), by: request.by, reference: request.reference, onTime: true, notRequiredReason: request.notRequiredReason };
      return this.obligationViews(now)!.find((v) => v.id === request.obligationId)!;
    }
    const at = request.at ? parseISO(request.at) : now;
    const onTime = !view.deadline || !isAfter(at, parseISO(view.deadline));
    this.obligations!.completions[view.id] = { at: at.toISOString(), by: request.by, reference: request.reference, onTime, ...(onTime ? {} : { lateReason: request.lateReason }) };
    return this.obligationViews(now)!.find((v) => v.id === request.obligationId)!;
  }

  /** Called when every cohort is final: the notices to individuals complete the obligations they satisfy. */
  noteIndividualsNotified(now: Date): void {
    if (this.obligations && !this.obligations.individualsNotifiedAt) this.obligations.individualsNotifiedAt = now.toISOString();
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

  closeProblem(request: CloseRequest, now: Date): string | undefined {
    if (this.closed) return 'the breach is already closed';
    const missing = missingFields(request, ['by']);
    if (missing) return missing;
    const active = this.holds.filter(isActive).map((h) => h.holdId);
    if (active.length > 0) return `holds are still active (${active.join(', ')}); release them first`;
    if (!this.assessment) return 'the breach has not been assessed yet';
    if (this.noticeOutstanding()) return 'the authority has not been notified yet';
    if (this.supplementsInFlight > 0) return 'a supplementary report is still being sent';
    if (this.fanOutPending()) return 'individuals are still being notified';
    const open = this.obligationViews(now)?.filter((v) => OPEN_STATUSES.includes(v.status));
    if (open?.length) return `obligations are still open: ${open.map((v) => `${v.id} (${v.status})`).join(', ')}; record each (breach obligation record), or record why it is not required`;
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
      ...(this.obligations ? { obligations: this.obligationViews(now) } : {}),
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
      obligations: this.obligationViews(now),
    };
  }
}

/** Awareness is the breach's own; discovery, unless recorded apart, is taken to be no later than awareness. */
function initialObligationState(anchors: BreachRegimes['anchors'], facts: BreachWorkflowInput['facts']): ObligationState {
  const recorded = (at: string) => ({ at, by: facts.reporter, recordedAt: facts.awareAt });
  const state: ObligationState = { anchors: { awareness: recorded(facts.awareAt), discovery: recorded(anchors.discovery ?? facts.awareAt) }, completions: {} };
  for (const [event, at] of Object.entries(anchors)) if (at) state.anchors[event as keyof typeof anchors] = recorded(at);
  return state;
}
