import {
  ActivityCancellationType,
  type ActivityOptions,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { EmailActivities } from '../activities/channels/email';
import type { FaxActivities } from '../activities/channels/fax';
import type { PostalActivities } from '../activities/channels/postal';
import type { RosterActivities } from '../activities/roster-activities';
import { SEND_ACTIVITY, type BatchItem, type SendBatchRequest, type SendBatchResult } from '../domain/batch';
import type { CohortInput, CohortReport, DeliveryReport, HoldNews, Outcome, SubjectState } from '../domain/cascade';
import type { z } from 'zod';
import { CohortState, DeliveredCohort } from '../domain/cohort-state';
import { failureMessage, PERMANENT_CHANNEL_FAILURES, REQUEST_REJECTED, ROSTER_CHANGED } from '../domain/failures';
import type { Channel } from '../domain/individuals';
import { deliveryReportSchema, holdNewsSchema, parseRequest, subjectIdSchema, subjectStateSchema } from '../domain/requests';
import { missingFields } from '../domain/required-fields';
import { cohortHeldSignal, cohortReportSignal } from './messages/breach';
import { stateQuestions } from './state-questions';
import { breachClosedSignal, cohortProgressQuery, cohortStatusQuery, holdChangedSignal, reportDeliveryUpdate, subjectQuery, subjectsInStateQuery } from './messages/cohort';

const now = () => Date.now();

/** The patch after which a cohort applies the holds the breach answers, not those a signal claims. */
const HOLDS_READ_FROM_BREACH = 'holds-read-from-breach';

/**
 * The patch after which a cohort gives up its sending slot as soon as its last first notice has
 * begun, not once that batch (and every other tier's) has returned: a slow channel, such as a fax
 * queue behind other cohorts' fallbacks, no longer holds back the next cohort's emails.
 */
const SLOT_FREED_ONCE_ALL_BEGUN = 'slot-freed-once-all-begun';

/**
 * The patch after which a cohort wakes only for something its history records (a report, a
 * batch's result, a timer), never because the clock has passed a send's due time. A workflow task
 * that carries only a refused report leaves no event, so a send begun in it cannot be replayed:
 * the cohort's next workflow task fails as nondeterministic and the cohort stops.
 */
const WAKES_ON_EVENTS_ONLY = 'wakes-on-events-only';

/**
 * How often, at most, a cohort tells its breach that its counts moved between stages: often enough
 * that status shows people notified by fax or post long before a 48-hour bounce window ends, rarely
 * enough that the breach's history stays small.
 */
const REPORT_EVERY_MS = 10_000;

/**
 * Notifies one cohort (a slice of the roster): each channel tier as batches of activities, the
 * bounce windows and fax polls waited for together, delivery reports taken as they arrive. When
 * everyone is final the cohort continues as new with their outcomes and then only takes returned
 * letters, until the breach closes. While a hold is active nothing is sent; a hold placed
 * mid-batch cancels the batch, which stops before its next message. A cohort started again after
 * its workflow ended abnormally goes on from where each person's cascade stood (`input.resume`).
 */
export async function NotifyCohort(input: CohortInput): Promise<Outcome[]> {
  return input.delivered ? keepDelivered(input, input.delivered) : notify(input);
}

async function notify(input: CohortInput): Promise<Outcome[]> {
  const { policy } = input;
  const state = new CohortState(policy);
  let holdActive = input.holdActive;
  /** A hold has delayed this cohort's notices: those sent from then on say so. */
  let delayedByHold = input.delayedByHold === true || input.holdActive;
  /** The batches in flight, one per channel at most: a hold cancels them all. */
  const sending = new Set<CancellationScope>();
  let stage: CohortReport['stage'] = 'sending';
  const activities = channelActivities(input);

  let rosterError: string | undefined;
  /** The breach's latest hold change this cohort applied: answers can arrive out of order. */
  let appliedRound = -1;
  const stopSending = () => {
    holdActive = true;
    for (const scope of sending) scope.cancel();
  };
  const applyHold = (news: HoldNews) => {
    if (news.round < appliedRound) return;
    appliedRound = news.round;
    holdActive = news.active;
    if (!news.active) return;
    delayedByHold = true;
    stopSending();
    // The breach's hold request completes once every cohort has stopped: tell it when the batches in flight have returned.
    void condition(() => sending.size === 0).then(() => tellBreachHeld(input, news.round));
  };
  setHandler(holdChangedSignal, async (news: unknown) => {
    if (!isHoldNews(news)) return;
    // Cohorts started before holds were read from the breach took the signal's word; their histories must replay.
    if (!patched(HOLDS_READ_FROM_BREACH)) return applyHold(news);
    // News of a hold stops sending at once, whoever sent it; the breach's own answer then decides.
    if (news.active) stopSending();
    applyHold(await stateQuestions.readHoldState({ breachWorkflowId: input.parentWorkflowId }));
  });
  setHandler(subjectQuery, (subjectId) => state.view(querySubjectId(subjectId), input.cohort) ?? null);
  setHandler(cohortStatusQuery, () => ({
    cohort: input.cohort,
    counts: state.counts(),
    holdActive,
    sending: sending.size > 0,
    failing: state.currentFailure(),
    delivered: false,
    unreachable: state.allFinal() ? state.unreachable() : [],
    ...(rosterError ? { error: rosterError } : {}),
  }));
  setHandler(cohortProgressQuery, () => state.progress());
  setHandler(subjectsInStateQuery, (wanted) => state.subjectsIn(querySubjectState(wanted)));
  setHandler(reportDeliveryUpdate, (report) => state.report(report, now()), { validator: (report) => refuseUnless(deliveryReportProblem(report) ?? state.reportProblem(report)) });

  let reported = { counts: '', at: 0 };
  const tellBreach = (error?: string) => {
    const counts = state.counts();
    reported = { counts: JSON.stringify(counts), at: now() };
    const report = { cohort: input.cohort, stage, counts, unreachable: stage === 'final' ? state.unreachable() : [], failing: state.currentFailure(), ...(error ? { error } : {}) };
    return getExternalWorkflowHandle(input.parentWorkflowId).signal(cohortReportSignal, report);
  };
  /** Every first notice has begun: the cohort no longer needs its sending slot. */
  const allBegun = () => stage === 'sending' && state.allContacted() && !state.allFinal();
  /** The report that the cohort left the sending stage, sent while its last batches may still run. */
  let waitingReported: Promise<void> | undefined;
  const leaveSendingOnceAllBegun = () => {
    if (allBegun() && patched(SLOT_FREED_ONCE_ALL_BEGUN)) {
      stage = 'waiting';
      waitingReported = tellBreach();
    }
  };
  /** When the counts have moved since the last report, the time the next report is due. */
  const reportDueAt = () => (JSON.stringify(state.counts()) === reported.counts ? undefined : reported.at + REPORT_EVERY_MS);

  try {
    state.load(await activities.roster.readCohort({ roster: input.roster, slice: input.slice, channels: policy.channels }), now(), input.resume);
  } catch (err) {
    // The roster changed or cannot be read: nobody in this cohort can be notified from it, and the breach says why.
    stage = 'final';
    rosterError = failureMessage(err);
    await tellBreach(rosterError);
    return [];
  }

  /** Sends every due batch of one channel, batch after batch, unless a hold stops it. */
  const sendTier = async (channel: Channel): Promise<void> => {
    const size = policy.batchSizes[channel];
    for (let items = state.due(channel, now(), size); items.length > 0 && !holdActive; items = state.due(channel, now(), size)) {
      const failingBefore = state.currentFailure();
      await sendBatch(channel, items);
      // A channel that started failing, or works again, shows in the breach's status at once.
      if (state.currentFailure()?.since !== failingBefore?.since) await tellBreach();
      if (state.currentFailure()?.channel === channel) return;
    }
  };

  const sendBatch = async (channel: Channel, items: BatchItem[]): Promise<void> => {
    state.markSending(items);
    leaveSendingOnceAllBegun();
    // Cohorts started before the notice was read from the breach carry it in their input and pass it on.
    const request: SendBatchRequest = { ...(input.notice ? { notice: input.notice } : { breachId: input.breachId }), cohort: input.cohort, roster: input.roster, items, ...(delayedByHold ? { delayedByHold } : {}) };
    let scope: CancellationScope | undefined;
    try {
      const result: SendBatchResult = await CancellationScope.cancellable(async () => {
        scope = CancellationScope.current();
        sending.add(scope);
        return activities.send[channel](request);
      });
      state.recordBatch(channel, items, result.results, now());
      state.channelWorks(channel);
    } catch (err) {
      if (isCancellation(err)) state.requeueBatch(items, now(), true);
      else if (isPermanent(err)) state.failBatch(channel, items, failureMessage(err), now());
      else state.channelOutage(channel, items, failureMessage(err), now());
    } finally {
      if (scope) sending.delete(scope);
    }
  };

  const pollFaxes = async (): Promise<void> => {
    const faxes = state.faxesToPoll(now());
    if (faxes.length > 0) state.recordFaxStatuses(await activities.faxStatus.faxStatuses({ faxIds: faxes }), now());
  };

  const wakesOnEventsOnly = patched(WAKES_ON_EVENTS_ONLY);
  while (!state.allFinal()) {
    const wakeAt = earliest(state.nextWakeAt(!holdActive), reportDueAt());
    const version = state.version;
    const held = holdActive;
    // A send falls due by the timer below; cohorts started before the patch also woke when the clock alone had passed it.
    const woken = () => state.version !== version || held !== holdActive || (!wakesOnEventsOnly && !holdActive && state.hasDue(now()));
    if (wakeAt === undefined) await condition(woken);
    else await condition(woken, Math.max(1, wakeAt - now()));
    state.expireBounceWindows(now());
    // The tiers run side by side: a cohort's faxes and letters do not wait for its emails, nor its emails for a fax poll.
    await Promise.all([pollFaxes(), ...(holdActive ? [] : policy.channels.map(sendTier))]);
    await waitingReported;
    if (allBegun()) {
      stage = 'waiting';
      await tellBreach();
    } else if ((reportDueAt() ?? Infinity) <= now() && !state.allFinal()) {
      await tellBreach();
    }
  }
  stage = 'final';
  await tellBreach();
  // The delivered run needs the outcomes, not where a retry started from.
  const { resume: _resumedFrom, ...delivered } = input;
  return continueAsNew<typeof NotifyCohort>({ ...delivered, delivered: state.outcomes() });
}

/** After the cascade: a returned letter makes its person unreachable, until the breach closes. */
async function keepDelivered(input: CohortInput, outcomes: Outcome[]): Promise<Outcome[]> {
  const cohort = new DeliveredCohort(outcomes);
  let closed = false;
  let pending = 0;
  const counts = () => cohort.counts(input.slice.rows, input.slice.rows - outcomes.length);
  setHandler(breachClosedSignal, () => void (closed = true));
  // Nothing is sent any more: a hold is answered at once.
  setHandler(holdChangedSignal, (news) => {
    if (isHoldNews(news) && news.active) void tellBreachHeld(input, news.round);
  });
  setHandler(subjectQuery, (subjectId) => {
    const outcome = cohort.outcome(querySubjectId(subjectId));
    return outcome ? { subjectId, cohort: input.cohort, state: outcome.state, attempts: [] } : null;
  });
  setHandler(cohortStatusQuery, () => ({ cohort: input.cohort, counts: counts(), holdActive: false, sending: false, delivered: true, unreachable: cohort.unreachable() }));
  setHandler(subjectsInStateQuery, (wanted) => cohort.subjectsIn(querySubjectState(wanted)));
  setHandler(
    reportDeliveryUpdate,
    async (report: DeliveryReport) => {
      cohort.returned(report);
      pending++;
      try {
        await getExternalWorkflowHandle(input.parentWorkflowId).signal(cohortReportSignal, { cohort: input.cohort, stage: 'final', counts: counts(), unreachable: cohort.unreachable() });
      } finally {
        pending--;
      }
    },
    { validator: (report) => refuseUnless(deliveryReportProblem(report) ?? cohort.reportProblem(report)) },
  );
  await condition(() => closed && pending === 0);
  return cohort.outcomes();
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

function tellBreachHeld(input: CohortInput, round: number): Promise<void> {
  return getExternalWorkflowHandle(input.parentWorkflowId).signal(cohortHeldSignal, { cohort: input.cohort, round });
}

function isHoldNews(news: unknown): news is HoldNews {
  return 'value' in parseRequest(holdNewsSchema, news);
}

/** A query's failure is the caller's alone, so a malformed argument is answered with an error. */
function queryArgument<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = parseRequest(schema, value);
  if ('problem' in parsed) throw ApplicationFailure.nonRetryable(parsed.problem, REQUEST_REJECTED);
  return parsed.value;
}

function querySubjectId(subjectId: unknown): string {
  return queryArgument(subjectIdSchema, subjectId);
}

function querySubjectState(state: unknown): SubjectState {
  return queryArgument(subjectStateSchema, state);
}

function refuseUnless(problem: string | undefined): void {
  if (problem) throw ApplicationFailure.nonRetryable(problem, REQUEST_REJECTED);
}

/** A report's shape, checked before anything reads it: a malformed message must not fail a workflow task. */
function deliveryReportProblem(report: unknown): string | undefined {
  const parsed = parseRequest(deliveryReportSchema, report);
  return 'problem' in parsed ? parsed.problem : missingFields(parsed.value, ['subjectId', 'reason']);
}

function isPermanent(err: unknown): boolean {
  const type = (err as { cause?: { type?: string } }).cause?.type;
  return type !== undefined && PERMANENT_CHANNEL_FAILURES.includes(type);
}

function channelActivities(input: CohortInput) {
  const { policy } = input;
  /**
   * Our side's outages are retried here for about a minute, then by the cohort with its own backoff
   * (see channelOutage). A recipient's deferrals are counted in the batch's heartbeat, so an email
   * batch gets at least `emailMaxAttempts` attempts: the deferred person then fails alone.
   */
  const batchOptions = (channel: Channel): ActivityOptions => ({
    taskQueue: policy.taskQueues[channel],
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout: '10 seconds',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', maximumAttempts: channel === 'email' ? Math.max(5, policy.emailMaxAttempts) : 5, nonRetryableErrorTypes: PERMANENT_CHANNEL_FAILURES },
  });
  const email = proxyActivities<EmailActivities>(batchOptions('email'));
  const fax = proxyActivities<FaxActivities>(batchOptions('fax'));
  const postal = proxyActivities<PostalActivities>(batchOptions('postal'));
  return {
    send: {
      email: email[SEND_ACTIVITY.email],
      fax: fax[SEND_ACTIVITY.fax],
      postal: postal[SEND_ACTIVITY.postal],
    } satisfies Record<Channel, (request: SendBatchRequest) => Promise<SendBatchResult>>,
    faxStatus: proxyActivities<FaxActivities>({ taskQueue: policy.faxStatusTaskQueue, startToCloseTimeout: '5 minutes', heartbeatTimeout: '30 seconds', retry: { maximumInterval: '1 minute' } }),
    roster: proxyActivities<RosterActivities>({ startToCloseTimeout: '10 minutes', retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes', maximumAttempts: 10, nonRetryableErrorTypes: [ROSTER_CHANGED] } }),
  };
}
