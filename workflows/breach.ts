import { ApplicationFailure, allHandlersFinished, condition, continueAsNew, patched, proxyActivities, setCurrentDetails, setDefaultSignalHandler, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { z } from 'zod';
import type { ArchiveActivities } from '../activities/archive-activities';
import type { BreachWorkflowInput } from '../domain/breach';
import { breachNotice } from '../domain/notice';
import { failureMessage, REQUEST_REJECTED } from '../domain/failures';
import { recordCohortReport, recordProgress } from '../domain/fan-out';
import { AuthorityDeadlineKey, BreachIdKey, BreachPhaseKey, HoldActiveKey, NextDeadlineKey } from '../domain/search-attributes';
import { nextDeadline } from '../domain/obligations';
import type { Hold } from '../domain/holds';
import {
  assessRequestSchema,
  closeRequestSchema,
  cohortHeldSchema,
  holdStatementRequestSchema,
  recordAnchorRequestSchema,
  recordObligationRequestSchema,
  cohortReportSchema,
  lateReasonRequestSchema,
  parseRequest,
  placeHoldRequestSchema,
  portalSubmissionRequestSchema,
  releaseHoldRequestSchema,
  resolveSubjectRequestSchema,
  reviewHoldRequestSchema,
  retryCohortRequestSchema,
  supplementRequestSchema,
} from '../domain/requests';
import type { BreachSummary } from '../domain/status';
import { notifyAuthority, remindAtHoldReview, remindResponders, sendSupplement } from './authority-clock';
import { BreachRecord } from './breach-record';
import { cohortStopped, confirmedFinalReport } from './state-questions';
import { resolveSubject, retryCohort } from './cohort-recovery';
import { notifyIndividuals, tellCohortsAboutHolds, tellCohortsBreachClosed } from './individuals';
import { keepObligationClocks, watchHoldLapses } from './obligation-clocks';
import {
  assessUpdate,
  closeUpdate,
  cohortHeldSignal,
  cohortReportSignal,
  holdStateQuery,
  noticeQuery,
  placeHoldUpdate,
  provideLateReasonUpdate,
  recordAnchorUpdate,
  recordHoldStatementUpdate,
  recordObligationUpdate,
  recordPortalSubmissionUpdate,
  releaseHoldUpdate,
  resolveSubjectUpdate,
  reviewHoldUpdate,
  retryCohortUpdate,
  statusQuery,
  supplementAuthorityReportUpdate,
} from './messages/breach';

const archiver = proxyActivities<ArchiveActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});

/** The patch after which a cohort counts as final only when it says so itself, not when a signal claims it. */
const FINAL_REPORTS_CONFIRMED = 'final-reports-confirmed';

/** The patch after which a cohort's word that it stopped for a hold counts only once the cohort itself confirms it. */
const COHORT_HELD_CONFIRMED = 'cohort-held-confirmed';

/** The patch after which a notification stopped on an error has its own phase and blocks `close`. */
const NOTIFICATION_STOPPED_PHASE = 'notification-stopped-phase';

/** The patch after which a written statement that puts a lapsed hold back over the notices tells the cohorts. */
const STATEMENT_TELLS_COHORTS = 'statement-tells-cohorts';

/**
 * The patch after which the search attributes are compared at the time of the event that woke the
 * breach, and a timer wakes it when the deadline passes. Compared at the clock's time, they could
 * change in a workflow task that carries only a refused update, which leaves no event: the upsert
 * made there could not be replayed.
 */
const SEARCH_ATTRIBUTES_ON_EVENTS_ONLY = 'search-attributes-on-events-only';

const now = () => new Date();

/**
 * One breach from awareness to closure: the 72-hour authority clock with its reminders, the risk
 * assessment, the Art. 33 notice (late reasons, portal submissions, supplements),
 * law-enforcement holds, and the notice to individuals in cohorts. It completes when `close` is
 * accepted, or continues as new when its history has grown large.
 */
export async function BreachWorkflow(input: BreachWorkflowInput): Promise<BreachSummary> {
  const record = new BreachRecord(input);
  if (input.initialAssessment) record.assess(input.initialAssessment, now());
  let summary: BreachSummary | undefined;
  /** Each cohort's latest confirmation of a final report, while one runs. */
  const confirmations = new Map<number, Promise<void>>();

  setHandler(statusQuery, () => record.status(now()));
  setHandler(holdStateQuery, () => ({ active: record.holdActive(), round: record.holdRound }));
  setHandler(noticeQuery, () => ({ ...breachNotice(input.facts, input.regimes), ...(record.noticesDelayedByHold() ? { lawEnforcementDelay: true } : {}) }));
  setHandler(assessUpdate, unlessRefused(assessRequestSchema, (r) => record.assessProblem(r), (r) => record.assess(r, now())));
  setHandler(provideLateReasonUpdate, unlessRefused(lateReasonRequestSchema, (r) => record.lateReasonProblem(r), (r) => record.giveLateReason(r, now())));
  setHandler(recordPortalSubmissionUpdate, unlessRefused(portalSubmissionRequestSchema, (r) => record.portalSubmissionProblem(r, now()), (r) => record.recordPortalSubmission(r, now())));
  setHandler(supplementAuthorityReportUpdate, unlessRefused(supplementRequestSchema, (r) => record.supplementProblem(r), (r) => sendSupplement(record, r)));
  setHandler(placeHoldUpdate, unlessRefused(placeHoldRequestSchema, (r) => record.holdProblem(r, now()), (r) => placeHold(record, r)));
  setHandler(releaseHoldUpdate, unlessRefused(releaseHoldRequestSchema, (r) => record.releaseProblem(r), (r) => releaseHold(record, r)));
  setHandler(reviewHoldUpdate, unlessRefused(reviewHoldRequestSchema, (r) => record.reviewHoldProblem(r, now()), (r) => reviewHold(record, r)));
  setHandler(recordHoldStatementUpdate, unlessRefused(holdStatementRequestSchema, (r) => record.holdStatementProblem(r), (r) => recordHoldStatement(record, r)));
  setHandler(recordAnchorUpdate, unlessRefused(recordAnchorRequestSchema, (r) => record.anchorProblem(r, now()), (r) => record.recordAnchor(r, now())));
  setHandler(recordObligationUpdate, unlessRefused(recordObligationRequestSchema, (r) => record.obligationProblem(r, now()), (r) => record.recordObligation(r, now())));
  setHandler(retryCohortUpdate, unlessRefused(retryCohortRequestSchema, (r) => record.cohortRecoveryProblem(r), (r) => retryCohort(record, r)));
  setHandler(resolveSubjectUpdate, unlessRefused(resolveSubjectRequestSchema, (r) => record.cohortRecoveryProblem(r), (r) => resolveSubject(record, r)));
  setHandler(closeUpdate, unlessRefused(closeRequestSchema, (r) => record.closeProblem(r, now()), (r) => (summary = record.close(r, now()))));
  // A signal cannot be refused to its sender: one of the wrong shape is ignored, and the audit,
  // which checks every signal in the history against the same schemas, lists it as refused.
  setHandler(cohortReportSignal, async (report: unknown) => {
    record.cohortReportsReceived++;
    const parsed = parseRequest(cohortReportSchema, report);
    if (!record.fanOut || 'problem' in parsed) return;
    // Reports of progress only move the counts shown; the one that lets the breach close is checked with the cohort.
    if (parsed.value.stage !== 'final' || !patched(FINAL_REPORTS_CONFIRMED)) {
      recordCohortReport(record.fanOut, parsed.value);
      return recordProgress(record.fanOut, now());
    }
    // One cohort's confirmations run one after another, so that an earlier answer never overwrites a later one (a returned letter).
    const { cohort } = parsed.value;
    const fanOut = record.fanOut;
    const confirming = (confirmations.get(cohort) ?? Promise.resolve()).then(async () => {
      const confirmed = await confirmedFinalReport(input.facts.breachId, parsed.value);
      if (!confirmed) return;
      recordCohortReport(fanOut, confirmed);
      recordProgress(fanOut, now());
    });
    confirmations.set(cohort, confirming);
    await confirming;
    if (confirmations.get(cohort) === confirming) confirmations.delete(cohort);
  });
  setHandler(cohortHeldSignal, async (held: unknown) => {
    const parsed = parseRequest(cohortHeldSchema, held);
    if ('problem' in parsed) return;
    const { cohort, round } = parsed.value;
    // Breaches older than this check took the signal's word; their histories must replay.
    if (patched(COHORT_HELD_CONFIRMED) && !(await cohortStopped(input.facts.breachId, cohort))) return;
    record.cohortsHeld.set(cohort, round);
  });
  // Signals no handler knows would otherwise wait in the workflow for ever; the audit lists them.
  setDefaultSignalHandler(() => undefined);

  // Breaches older than the notification-stopped phase showed a stopped notification as notified; their histories must replay.
  void condition(() => record.fanOut?.error !== undefined).then(() => void (record.stoppedNotificationShown = patched(NOTIFICATION_STOPPED_PHASE)));
  void keepSearchAttributesCurrent(record);
  void remindResponders(record);
  void notifyAuthority(record);
  for (const hold of record.holds) if (hold.reviewAt && !hold.reviewReminderSentAt) void remindAtHoldReview(record, hold);
  void keepObligationClocks(record);
  for (const hold of record.holds) void watchHoldLapses(record, hold);
  let continueNow = false;
  void notifyIndividuals(record).then((historyFull) => (continueNow = historyFull));

  await condition(() => (summary !== undefined || continueNow) && allHandlersFinished() && !record.noticeInFlight);
  if (summary) {
    await tellCohortsBreachClosed(record);
    // Breaches closed before archiving existed completed without it; their histories must replay.
    return patched('archive-audit-on-close') ? { ...summary, archive: await archiveAudit(input.facts.breachId) } : summary;
  }
  // The history has grown large: start a fresh run with everything this one knows.
  return continueAsNew<typeof BreachWorkflow>({ ...input, initialAssessment: undefined, carried: record.snapshot() });
}

/**
 * The request completes once every running cohort has stopped sending: after it, no notice
 * begins. Without running cohorts it completes at once, in the same workflow task, as breaches
 * recorded before cohorts existed did.
 */
function placeHold(record: BreachRecord, request: Parameters<BreachRecord['placeHold']>[0]): Hold | Promise<Hold> {
  const hold = record.placeHold(request, now());
  if (hold.reviewAt) void remindAtHoldReview(record, hold);
  void watchHoldLapses(record, hold);
  if (!record.fanOut?.cohorts.some((c) => c.stage !== 'final')) return hold;
  return tellCohortsAboutHolds(record).then(() => hold);
}

function reviewHold(record: BreachRecord, request: Parameters<BreachRecord['reviewHold']>[0]): Hold {
  const hold = record.reviewHold(request, now());
  void remindAtHoldReview(record, hold);
  return hold;
}

function recordHoldStatement(record: BreachRecord, request: Parameters<BreachRecord['recordHoldStatement']>[0]): Hold {
  const held = record.holdActive();
  const hold = record.recordHoldStatement(request, now());
  void watchHoldLapses(record, hold);
  // A statement after a lapse puts the hold back over the notices it had stopped delaying.
  // Breaches that recorded such a statement before the cohorts were told must replay without the signals.
  if (!held && record.holdActive() && patched(STATEMENT_TELLS_COHORTS)) void tellCohortsAboutHolds(record);
  return hold;
}

function releaseHold(record: BreachRecord, request: Parameters<BreachRecord['releaseHold']>[0]) {
  const hold = record.releaseHold(request, now());
  void tellCohortsAboutHolds(record);
  return hold;
}

/**
 * Wraps an update handler so that a request breaking a rule is refused with a reason the person who
 * asked can read. The refusal happens in the handler, not in a validator, because a validator's
 * refusal leaves no trace in the history, and the breach's documentation (Art. 33(5)) must show
 * which requests were refused, who made them and why: a refused request is accepted and then
 * completes with a RequestRejected failure, both recorded in the history.
 */
function unlessRefused<Request, Result>(
  schema: z.ZodType<Request>,
  problem: (request: Request) => string | undefined,
  handle: (request: Request) => Result,
): (request: unknown) => Result {
  return (request) => {
    const parsed = parseRequest(schema, request);
    const reason = 'problem' in parsed ? parsed.problem : problem(parsed.value);
    if (reason !== undefined) throw ApplicationFailure.nonRetryable(reason, REQUEST_REJECTED);
    return handle((parsed as { value: Request }).value);
  };
}

/** The breach's documentation must outlive Temporal's retention of its history. */
async function archiveAudit(breachId: string): Promise<NonNullable<BreachSummary['archive']>> {
  try {
    return await archiver.archiveAudit({ breachId });
  } catch (err) {
    return { error: failureMessage(err) };
  }
}

/** Upserts only when a value changed, so the history holds one event per real change. */
async function keepSearchAttributesCurrent(rec: BreachRecord): Promise<void> {
  const { facts } = rec.input;
  let published = '';
  // Breaches started before regimes have no obligations: their upserts stay as they were recorded.
  const next = (at: Date) => {
    const views = rec.obligationViews(at);
    return views ? (nextDeadline(views) ?? null) : undefined;
  };
  const describe = (at: Date) => `${rec.phase(at)}|${rec.holdActive()}${rec.obligations ? `|${next(at)}` : ''}`;
  const onEventsOnly = patched(SEARCH_ATTRIBUTES_ON_EVENTS_ONLY);
  for (;;) {
    const at = now();
    const phase = rec.phase(at);
    const holdActive = rec.holdActive();
    const nextAt = next(at);
    const current = describe(at);
    if (current !== published) {
      // The Web UI's current details: no command, so breaches recorded before it replay unchanged.
      setCurrentDetails(`Phase ${phase}${holdActive ? ', held by a law-enforcement hold' : ''}; authority deadline ${rec.deadline.toISOString()}.`);
      upsertSearchAttributes([
        { key: BreachIdKey, value: facts.breachId },
        { key: BreachPhaseKey, value: phase },
        { key: AuthorityDeadlineKey, value: rec.deadline },
        { key: HoldActiveKey, value: holdActive },
        ...(nextAt === undefined ? [] : [{ key: NextDeadlineKey, value: nextAt === null ? null : new Date(nextAt) }]),
      ]);
      published = current;
    }
    if (phase === 'closed') return;
    if (!onEventsOnly) {
      await condition(() => describe(now()) !== published);
      continue;
    }
    // The deadline passing turns the phase, and no event records it: a timer wakes the loop then.
    const untilDeadline = rec.deadline.getTime() - at.getTime();
    if (untilDeadline > 0) await condition(() => describe(at) !== published, untilDeadline);
    else await condition(() => describe(at) !== published);
  }
}
