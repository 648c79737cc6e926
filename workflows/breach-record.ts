import { isAfter } from 'date-fns/isAfter';
import { parseISO } from 'date-fns/parseISO';
import type { AuthorityReportSent } from '../domain/authority-notice';
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
import { channelFailures, fanOutDone, individualCounts, newFanOut, type FanOutProgress } from '../domain/fan-out';
import type { RosterRef } from '../domain/individuals';
import type { CohortInput } from '../domain/cascade';
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
  /**
   * Everything the breach has recorded, carried whole into the next run (continue-as-new). Only
   * this class writes it; the workflow's modules read it through the getters below and change it
   * through the methods.
   */
  private readonly state: BreachSnapshot;
  noticeInFlight = false;
  /** The mailed report's failing rounds: since when, how many attempts, the last error (cleared once it is sent). */
  noticeSending?: { failingSince: string; attempts: number; lastError: string };
  supplementsInFlight = 0;
  closed?: { by: string; at: string; incompleteReason?: string };
  /** Numbers the hold changes told to the cohorts, and the latest change each cohort confirmed it stopped for. */
  holdRound = 0;
  /** Cohort workflows whose start is under way. */
  cohortsStarting = 0;
  /** Cohort reports received by this run: each is an event of its history, so the fan-out may look at the history's length then. */
  cohortReportsReceived = 0;
  readonly cohortsHeld = new Map<number, number>();
  /** Cohorts whose retry or resolution is under way. */
  readonly cohortsRecovering = new Set<number>();
  /** Whether a stopped notification shows as its own phase and blocks `close` (breaches older than that showed it as notified). */
  stoppedNotificationShown = false;
  constructor(readonly input: BreachWorkflowInput) {
    this.deadline = authorityDeadline(parseISO(input.facts.awareAt), input.policy.deadlineHours);
    const carried = input.carried;
    this.state = carried ? { ...carried, runs: carried.runs + 1 } : { assessments: [], holds: [], supplements: [], reminders: [], runs: 0 };
    // Breaches that continued as new before regimes existed carry no obligations; those started under regimes always do.
    if (input.regimes && !this.state.obligations) this.state.obligations = initialObligationState(input.regimes.anchors, input.facts);
  }

  /** The state to carry into the next run. */
  snapshot(): BreachSnapshot {
    return this.state;
  }

  get assessments(): readonly Assessment[] {
    return this.state.assessments;
  }
  get holds(): readonly Hold[] {
    return this.state.holds;
  }
  get supplements(): readonly Supplement[] {
    return this.state.supplements;
  }
  get reminders(): readonly ReminderRecord[] {
    return this.state.reminders;
  }
  get notice(): AuthorityNotice | undefined {
    return this.state.notice;
  }
  get noticeFailure(): string | undefined {
    return this.state.noticeFailure;
  }
  get lateReason(): BreachSnapshot['lateReason'] {
    return this.state.lateReason;
  }
  get fanOut(): FanOutProgress | undefined {
    return this.state.fanOut;
  }
  /** The anchors and completions of the breach's obligations; absent for breaches started before regimes. */
  get obligations(): ObligationState | undefined {
    return this.state.obligations;
  }
  /** How many runs came before this one (continue-as-new). */
  get runs(): number {
    return this.state.runs;
  }

  /** The fan-out's progress, begun the first time individuals are notified. */
  beginFanOut(roster: RosterRef, total: number, now: Date): FanOutProgress {
    return (this.state.fanOut ??= newFanOut(roster, total, now));
  }

  /** The authority's mail server refused the report for good: responders record the notice another way. */
  noticeRefused(reason: string): void {
    this.state.noticeFailure = reason;
  }

  addSupplement(supplement: Supplement): void {
    this.state.supplements.push(supplement);
  }

  /** A reminder being sent; `reminderSettled` records whether it went out. */
  addReminder(entry: Omit<ReminderRecord, 'delivered'>): ReminderRecord {
    const reminder = { ...entry, delivered: false };
    this.state.reminders.push(reminder);
    return reminder;
  }

  reminderSettled(reminder: ReminderRecord, error?: string): void {
    if (error === undefined) reminder.delivered = true;
    else reminder.error = error;
    if (error === undefined && reminder.kind === 'hold-review') {
      const hold = this.state.holds.find((h) => h.holdId === reminder.holdId);
      if (hold) hold.reviewReminderSentAt = reminder.at;
    }
  }

  /** Individuals are notified when the risk is high and there is a roster to notify. */
  individualsDue(): boolean {
    return this.assessment?.risk === 'high' && this.input.roster !== undefined && this.input.cascade !== undefined;
  }

  fanOutPending(): boolean {
    return this.state.fanOut !== undefined ? !fanOutDone(this.state.fanOut) : this.individualsDue();
  }

  get assessment(): Assessment | undefined {
    return this.state.assessments[this.state.assessments.length - 1];
  }

  /** The authority must be told: the risk is not unlikely and no notice has been recorded. */
  noticeOutstanding(): boolean {
    return this.state.notice === undefined && (this.assessment === undefined || this.assessment.risk !== 'unlikely');
  }

  noticeRequired(): boolean {
    return this.state.notice === undefined && this.assessment !== undefined && this.assessment.risk !== 'unlikely';
  }

  /** Whether a hold stops the notices to individuals: under a regime that lets it delay them and has not lapsed there. */
  holdActive(): boolean {
    return this.state.holds.some((h) => isActive(h) && this.holdDelaysIndividuals(h));
  }

  /** Whether the hold delays the notices to individuals under one of its regimes where `covers` it (by default: where it has not lapsed). */
  private holdDelaysIndividuals(hold: Hold, covers: (hold: Hold, regime: string) => boolean = holdCovers): boolean {
    const packs = this.input.regimes?.packs;
    if (!packs || !hold.regimes) return true;
    return packs.some((p) => covers(hold, p.id) && p.obligations.some((r) => r.completedBy === 'individual-notices' && p.lawEnforcement?.delays.includes(r.key)));
  }

  /** Whether a hold has delayed the notices to individuals: still in force, released, or lapsed since. */
  noticesDelayedByHold(): boolean {
    return this.state.holds.some((h) => this.holdDelaysIndividuals(h, (hold, regime) => hold.regimes!.includes(regime)));
  }

  /** What a cohort starting now is told of the holds. */
  holdsForCohort(): Pick<CohortInput, 'holdActive'> & Partial<Pick<CohortInput, 'delayedByHold'>> {
    return { holdActive: this.holdActive(), ...(this.noticesDelayedByHold() ? { delayedByHold: true } : {}) };
  }

  noticeHeldBack(): boolean {
    return this.input.policy.holdsDelayNotice && this.holdActive();
  }

  needsLateReason(now: Date): boolean {
    return isPastDeadline(this.deadline, now) && this.state.lateReason === undefined;
  }

  /** Portal submissions are how notices go out under a portal policy, and the fallback when mail was refused. */
  acceptsPortalSubmission(): boolean {
    return this.input.policy.notifyBy === 'portal' || this.state.noticeFailure !== undefined;
  }

  phase(now: Date): BreachPhase {
    if (this.closed) return 'closed';
    if (!this.assessment) return 'awaiting-assessment';
    if (this.state.fanOut?.error !== undefined && this.stoppedNotificationShown) return 'notification-stopped';
    if (this.state.fanOut) return fanOutDone(this.state.fanOut) ? 'individuals-notified' : 'notifying-individuals';
    if (this.state.notice) return 'authority-notified';
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
    if (request.risk === 'unlikely' && (this.state.notice || this.noticeInFlight)) {
      return "the authority has already been notified, so the risk cannot be lowered below 'risk'";
    }
    if (request.risk !== 'high' && this.state.fanOut) return "individuals are already being notified, so the risk cannot be lowered below 'high'";
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
    this.state.assessments.push(assessment);
    return assessment;
  }

  lateReasonProblem(request: LateReasonRequest): string | undefined {
    if (this.closed) return 'the breach is closed';
    if (this.state.notice) return 'the authority has already been notified';
    return missingFields(request, ['reason', 'by']);
  }

  giveLateReason(request: LateReasonRequest, now: Date): void {
    this.state.lateReason = { reason: request.reason, by: request.by, at: now.toISOString() };
  }

  portalSubmissionProblem(request: PortalSubmissionRequest, now: Date): string | undefined {
    if (this.closed) return 'the breach is closed';
    if (this.state.notice) return `the authority was already notified at ${this.state.notice.sentAt}`;
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
    if (request.lateReason?.trim() && !this.state.lateReason) this.giveLateReason({ reason: request.lateReason, by: request.by }, now);
    this.state.notice = this.noticeAt(now, { channel: 'portal', portalReference: request.reference, recordedBy: request.by }, this.state.lateReason?.reason);
    return this.state.notice;
  }

  /**
   * The notice counts from when the relay accepted the report, late or on time by that, with the
   * reason the report itself carried. Reports sent before the acceptance was recorded count from
   * when their sending was recorded.
   */
  recordMailedNotice(sent: AuthorityReportSent, now: Date): AuthorityNotice {
    const how = { channel: 'email' as const, messageId: sent.messageId };
    this.state.notice = sent.acceptedAt ? this.noticeAt(parseISO(sent.acceptedAt), how, sent.lateReason) : this.noticeAt(now, how, this.state.lateReason?.reason);
    this.noticeSending = undefined;
    return this.state.notice;
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
    if (!this.state.notice) return 'the authority has not been notified yet; supplementary information follows the first notice';
    const missing = missingFields(request, ['information', 'by']);
    if (missing) return missing;
    if (this.state.notice.channel === 'portal' && !request.portalReference?.trim()) {
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
    const hold: Hold = { ...request, ...regimes, holdId: `hold-${this.state.holds.length + 1}`, placedAt: now.toISOString() };
    this.state.holds.push(hold);
    return hold;
  }

  releaseProblem(request: ReleaseHoldRequest): string | undefined {
    if (this.closed) return 'the breach is closed';
    return releaseHoldProblem(this.state.holds, request);
  }

  releaseHold(request: ReleaseHoldRequest, now: Date): Hold {
    const hold = this.state.holds.find((h) => h.holdId === request.holdId)!;
    hold.release = { at: now.toISOString(), by: request.by, reason: request.reason };
    return hold;
  }

  reviewHoldProblem(request: ReviewHoldRequest, now: Date): string | undefined {
    if (this.closed) return 'the breach is closed';
    return reviewHoldProblem(this.state.holds, request, now);
  }

  /** The review is recorded and the hold's next review is the new date, with its reminder not yet sent. */
  reviewHold(request: ReviewHoldRequest, now: Date): Hold {
    const hold = this.state.holds.find((h) => h.holdId === request.holdId)!;
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
    const hold = this.state.holds.find((h) => h.holdId === request.holdId);
    if (!hold) return `no hold '${request.holdId}' on this breach`;
    if (!isActive(hold)) return `hold '${request.holdId}' was already released at ${hold.release?.at}`;
    return undefined;
  }

  /** The hold is now on the agency's written word, and any period its regimes allow starts again. */
  recordHoldStatement(request: HoldStatementRequest, now: Date): Hold {
    const hold = this.state.holds.find((h) => h.holdId === request.holdId)!;
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
    const state = this.state.obligations;
    if (!regimes || !state) return undefined;
    const severity = this.assessment?.severity?.inputs;
    const counts = this.state.fanOut && individualCounts(this.state.fanOut);
    const notice = this.state.notice && { at: this.state.notice.sentAt, reference: this.state.notice.messageId ?? this.state.notice.portalReference ?? this.state.notice.channel, onTime: this.state.notice.onTime, lateReason: this.state.notice.lateReason, by: this.state.notice.recordedBy ?? 'the engine' };
    return evaluateObligations(
      { packs: regimes.packs, residents: regimes.residents, affected: this.input.roster?.total ?? this.input.facts.approxSubjects, dataTypes: regimes.dataTypes },
      {
        risk: this.assessment?.risk,
        unintelligible: severity?.unintelligible ?? false,
        disproportionateEffort: Boolean(severity?.disproportionateEffort),
        anchors: state.anchors,
        completions: state.completions,
        holds: this.state.holds,
        unreachable: counts?.unreachable ?? 0,
        authorityNotice: notice,
        individualsNotifiedAt: state.individualsNotifiedAt,
        reachedOnlyByFax: counts?.notifiedByFax ?? 0,
      },
      now,
    );
  }

  anchorProblem(request: RecordAnchorRequest, now: Date): string | undefined {
    if (this.closed) return 'the breach is closed';
    if (!this.state.obligations) return 'this breach was started before regimes; its only deadline counts from awareness';
    const missing = missingFields(request, ['by']);
    if (missing) return missing;
    if (request.event === 'awareness') return 'awareness is the breach\'s aware-at and cannot be changed';
    if (isAfter(parseISO(request.at), now)) return `${request.at} is in the future; record the event once it has happened`;
    const used = this.input.regimes!.packs.some((p) => p.obligations.some((r) => 'event' in r.anchor && r.anchor.event === request.event));
    if (!used) return `no obligation of this breach counts from ${request.event}`;
    return undefined;
  }

  recordAnchor(request: RecordAnchorRequest, now: Date): ObligationView[] {
    this.state.obligations!.anchors[request.event] = { at: parseISO(request.at).toISOString(), by: request.by, recordedAt: now.toISOString(), ...(request.reason?.trim() ? { reason: request.reason } : {}) };
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
    // Once the notices have all gone out, what they did not satisfy (people reached by fax alone) is recorded by hand.
    if (view.completedBy === 'individual-notices' && this.input.roster && !this.state.obligations?.individualsNotifiedAt) return `${view.id} is met by the engine's notices to the roster's people`;
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
    const viewOf = () => this.obligationViews(now)!.find((v) => v.id === request.obligationId)!;
    const { deadline } = viewOf();
    const at = request.notRequiredReason === undefined && request.at ? parseISO(request.at) : now;
    const onTime = request.notRequiredReason !== undefined || !deadline || !isAfter(at, parseISO(deadline));
    const why = request.notRequiredReason !== undefined ? { notRequiredReason: request.notRequiredReason } : onTime ? {} : { lateReason: request.lateReason };
    this.state.obligations!.completions[request.obligationId] = { at: at.toISOString(), by: request.by, reference: request.reference, onTime, ...why };
    return viewOf();
  }

  /** Whether individuals are being told, for the authority (Art. 33(3) asks what the controller does about the consequences). */
  individualsForAuthority(): string {
    if (this.assessment?.risk !== 'high') return 'not required: the risk to individuals is not assessed as high';
    const holds = this.state.holds.filter((h) => isActive(h) && this.holdDelaysIndividuals(h));
    if (holds.length) {
      const named = holds.filter((h) => !h.confidential).map((h) => `${h.agency}, case ${h.caseRef}`);
      return `delayed: a law-enforcement authority has asked that individuals not be told yet${named.length ? ` (${named.join('; ')})` : ''}`;
    }
    const fan = this.state.fanOut;
    if (!fan) return this.input.roster ? 'about to be notified by the engine' : 'to be communicated by the controller';
    const c = individualCounts(fan, this.input.roster?.total);
    return `being notified: ${c.notifiedByEmail + c.notifiedByFax + c.notifiedByPostal} notified and ${c.unreachable} unreachable so far, of ${fan.total}`;
  }

  /** Called when every cohort is final: the notices to individuals complete the obligations they satisfy. */
  noteIndividualsNotified(now: Date): void {
    if (this.state.obligations && !this.state.obligations.individualsNotifiedAt) this.state.obligations.individualsNotifiedAt = now.toISOString();
  }

  /** Why a cohort cannot be retried or one of its people resolved now; the cohort's workflow itself decides the rest. */
  cohortRecoveryProblem(request: RetryCohortRequest | ResolveSubjectRequest): string | undefined {
    if (this.closed) return 'the breach is closed';
    const missing = missingFields(request, ['reason', 'by']);
    if (missing) return missing;
    if (!this.state.fanOut) return 'no individuals are being notified in this breach';
    const summary = this.state.fanOut.cohorts[request.cohort];
    if (!summary) return `the breach has no cohort ${request.cohort} (it has started ${this.state.fanOut.cohorts.length})`;
    if (summary.stage === 'final') return `cohort ${request.cohort} is final: everyone in it has a final state`;
    if (this.cohortsRecovering.has(request.cohort)) return `a retry or resolution of cohort ${request.cohort} is under way`;
    if ('state' in request && summary.resolved?.some((r) => r.subjectId === request.subjectId)) return `subject '${request.subjectId}' has already been resolved`;
    return undefined;
  }

  closeProblem(request: CloseRequest, now: Date): string | undefined {
    if (this.closed) return 'the breach is already closed';
    const missing = missingFields(request, ['by']);
    if (missing) return missing;
    const active = this.state.holds.filter(isActive).map((h) => h.holdId);
    if (active.length > 0) return `holds are still active (${active.join(', ')}); release them first`;
    if (!this.assessment) return 'the breach has not been assessed yet';
    if (this.noticeOutstanding()) return 'the authority has not been notified yet';
    if (this.supplementsInFlight > 0) return 'a supplementary report is still being sent';
    if (this.fanOutPending()) return 'individuals are still being notified';
    const open = this.obligationViews(now)?.filter((v) => OPEN_STATUSES.includes(v.status));
    if (open?.length) return `obligations are still open: ${open.map((v) => `${v.id} (${v.status})`).join(', ')}; record each (breach obligation record), or record why it is not required`;
    if (this.state.fanOut?.error !== undefined && this.stoppedNotificationShown && !request.incompleteReason?.trim()) {
      return `notifying individuals stopped (${this.state.fanOut.error}); fix the cause, or close with --accept-incomplete and a --reason`;
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
      authorityNotice: this.state.notice,
      supplements: this.state.supplements.length,
      holdsPlaced: this.state.holds.length,
      remindersSent: this.state.reminders.filter((r) => r.delivered).length,
      ...(this.state.obligations ? { obligations: this.obligationViews(now) } : {}),
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
      assessments: this.state.assessments,
      authorityNotice: this.state.notice,
      authorityNoticeFailure: this.state.noticeFailure,
      authorityNoticeSending: this.state.notice ? undefined : this.noticeSending,
      lateReason: this.state.lateReason,
      supplements: this.state.supplements,
      holds: { active: this.state.holds.filter(isActive), released: this.state.holds.filter((h) => !isActive(h)) },
      reminders: this.state.reminders,
      individuals: individualCounts(this.state.fanOut, this.input.roster?.total),
      unreachableSubjects: this.state.fanOut?.unreachable ?? [],
      fanOutError: this.state.fanOut?.error,
      channelFailures: channelFailures(this.state.fanOut),
      closed: this.closed,
      obligations: this.obligationViews(now),
      fanOutStartedAt: this.state.fanOut?.startedAt,
      progress: this.state.fanOut?.progress,
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
