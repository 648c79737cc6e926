import {
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  startChild,
  workflowInfo,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { parseISO } from 'date-fns';
import type { MailActivities } from '../activities/mail-activities';
import type { AssessRequest, Assessment, BreachWorkflowInput } from '../domain/breach';
import type { CascadePolicy } from '../domain/cascade';
import type { BreachNotice } from '../domain/notice';
import type {
  AuthorityNotice,
  LateReasonRequest,
  PortalSubmissionRequest,
  Supplement,
  SupplementRequest,
} from '../domain/authority-notice';
import { isPastDeadline, millisecondsUntil, upcomingCheckpoints, type Checkpoint } from '../domain/deadline';
import { failureMessage, REQUEST_REJECTED, ROSTER_CHANGED, SMTP_REJECTED } from '../domain/failures';
import { isActive, type Hold, type PlaceHoldRequest, type ReleaseHoldRequest } from '../domain/holds';
import { AuthorityDeadlineKey, BreachIdKey, BreachPhaseKey, HoldActiveKey } from '../domain/search-attributes';
import type { BreachStatus, BreachSummary, CloseRequest, ReminderRecord } from '../domain/status';
import { BreachRecord } from './breach-record';
import type { ArchiveActivities } from '../activities/archive-activities';
import type { RosterActivities } from '../activities/roster-activities';
import { subjectWorkflowId } from '../domain/cascade';
import { allStarted, newFanOut, recordFinished, recordReturnedMail, recordSkipped, returnedMailProblem, type FanOutProgress, type ReturnedMailReport } from '../domain/fan-out';
import { missingFields } from '../domain/required-fields';
import type { RosterEntry } from '../domain/individuals';
import { breachNotice } from '../domain/notice';
import { holdChangedSignal, subjectFinishedSignal, type NotifyIndividual } from './notify-individual';

export const assessUpdate = defineUpdate<Assessment, [AssessRequest]>('assess');
export const provideLateReasonUpdate = defineUpdate<void, [LateReasonRequest]>('provideLateReason');
export const recordPortalSubmissionUpdate = defineUpdate<AuthorityNotice, [PortalSubmissionRequest]>('recordPortalSubmission');
export const supplementAuthorityReportUpdate = defineUpdate<Supplement, [SupplementRequest]>('supplementAuthorityReport');
export const placeHoldUpdate = defineUpdate<Hold, [PlaceHoldRequest]>('placeHold');
export const releaseHoldUpdate = defineUpdate<Hold, [ReleaseHoldRequest]>('releaseHold');
export const closeUpdate = defineUpdate<BreachSummary, [CloseRequest]>('close');
export const reportReturnedMailUpdate = defineUpdate<void, [ReturnedMailReport]>('reportReturnedMail');
export const statusQuery = defineQuery<BreachStatus>('status');

type Activities = MailActivities;

/** The authority notice must eventually go out: transient SMTP trouble is retried without limit. */
const authorityMail = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', nonRetryableErrorTypes: [SMTP_REJECTED] },
});

/** A reminder that cannot be delivered is recorded and the next checkpoint tried; it never blocks the breach. */
const reminderMail = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5, nonRetryableErrorTypes: [SMTP_REJECTED] },
});

/** Roster pages are read again after a transient failure; a changed roster stops the fan-out. */
const rosterReader = proxyActivities<RosterActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10, nonRetryableErrorTypes: [ROSTER_CHANGED] },
});

const archiver = proxyActivities<ArchiveActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});

/**
 * Wraps an update handler so that a request breaking a rule is refused with a reason the person who
 * asked can read. The refusal happens in the handler, not in a validator, because a validator's
 * refusal leaves no trace in the history, and the breach's documentation (Art. 33(5)) must show
 * which requests were refused, who made them and why: a refused request is accepted and then
 * completes with a RequestRejected failure, both recorded in the history.
 */
function unlessRefused<Request, Result>(problem: (request: Request) => string | undefined, handle: (request: Request) => Result): (request: Request) => Result {
  return (request) => {
    const reason = problem(request);
    if (reason !== undefined) throw ApplicationFailure.nonRetryable(reason, REQUEST_REJECTED);
    return handle(request);
  };
}

function now(): Date {
  return new Date();
}

/** Sleeps until `at`, or less if `done` becomes true first; returns whether `done` did. */
async function waitUntil(at: Date, done: () => boolean): Promise<boolean> {
  const ms = millisecondsUntil(at, now());
  if (ms === 0) return done();
  return condition(done, ms);
}

/**
 * One breach from awareness to closure: the 72-hour authority clock with its reminders, the risk
 * assessment, the Art. 33 notice (late reasons, portal submissions, supplements) and
 * law-enforcement holds. It completes when `close` is accepted.
 */
export async function BreachWorkflow(input: BreachWorkflowInput): Promise<BreachSummary> {
  const record = new BreachRecord(input);
  const { facts, policy } = input;
  if (input.initialAssessment) record.assess(input.initialAssessment, now());

  setHandler(statusQuery, () => record.status(now()));

  setHandler(assessUpdate, unlessRefused((request) => record.assessProblem(request), (request) => record.assess(request, now())));

  setHandler(
    provideLateReasonUpdate,
    unlessRefused((request) => record.lateReasonProblem(request), (request) => record.giveLateReason(request, now())),
  );

  setHandler(
    recordPortalSubmissionUpdate,
    unlessRefused((request) => record.portalSubmissionProblem(request, now()), (request) => record.recordPortalSubmission(request, now())),
  );

  setHandler(
    supplementAuthorityReportUpdate,
    unlessRefused((request) => record.supplementProblem(request), (request) => sendSupplement(record, request)),
  );

  setHandler(
    placeHoldUpdate,
    unlessRefused(
      (request) => record.holdProblem(request, now()),
      (request) => {
        const hold = record.placeHold(request, now());
        if (hold.reviewAt) void remindAtHoldReview(record, hold);
        tellChildrenAboutHolds(record);
        return hold;
      },
    ),
  );

  setHandler(
    releaseHoldUpdate,
    unlessRefused(
      (request) => record.releaseProblem(request),
      (request) => {
        const hold = record.releaseHold(request, now());
        tellChildrenAboutHolds(record);
        return hold;
      },
    ),
  );

  setHandler(
    reportReturnedMailUpdate,
    unlessRefused(
      (report) =>
        missingFields(report, ['subjectId', 'reason']) ??
        (record.fanOut ? undefined : 'no individuals have been notified on this breach') ??
        // Breaches that took any report before this check existed must replay as they ran.
        (patched('returned-mail-check') ? returnedMailProblem(record.fanOut!, report) : undefined),
      (report) => recordReturnedMail(record.fanOut!, report),
    ),
  );

  setHandler(subjectFinishedSignal, (report) => {
    if (record.fanOut) recordFinished(record.fanOut, report);
  });

  let summary: BreachSummary | undefined;
  setHandler(
    closeUpdate,
    unlessRefused(
      (request) => record.closeProblem(request),
      (request) => (summary = record.close(request, now())),
    ),
  );

  void keepSearchAttributesCurrent(record);
  void remindResponders(record);
  void notifyAuthority(record);
  for (const hold of record.holds) if (hold.reviewAt && !hold.reviewReminderSentAt) void remindAtHoldReview(record, hold);
  let continueNow = false;
  void notifyIndividuals(record).then((historyFull) => (continueNow = historyFull));

  await condition(() => (summary !== undefined || continueNow) && allHandlersFinished() && !record.noticeInFlight);
  // Breaches closed before archiving existed completed without it; their histories must replay.
  if (summary) return patched('archive-audit-on-close') ? { ...summary, archive: await archiveAudit() } : summary;
  // The history has grown large: start a fresh run with everything this one knows.
  return continueAsNew<typeof BreachWorkflow>({ ...input, initialAssessment: undefined, carried: record.snapshot() });

  async function sendSupplement(rec: BreachRecord, request: SupplementRequest): Promise<Supplement> {
    const sequence = rec.supplements.length + rec.supplementsInFlight + 1;
    rec.supplementsInFlight++;
    try {
      const messageId = request.portalReference
        ? undefined
        : (
            await authorityMail.sendSupplementReport({
              facts,
              sequence,
              information: request.information,
              firstReportMessageId: rec.notice?.messageId,
              reportedAt: now().toISOString(),
            })
          ).messageId;
      const supplement: Supplement = {
        sequence,
        information: request.information,
        by: request.by,
        sentAt: now().toISOString(),
        messageId,
        portalReference: request.portalReference,
      };
      rec.supplements.push(supplement);
      return supplement;
    } finally {
      rec.supplementsInFlight--;
    }
  }

  /**
   * Sends the Art. 33 notice as soon as the assessment calls for it. The loop re-examines the
   * situation after each wait because a reassessment, a hold or the deadline passing can change
   * what the next step is.
   */
  async function notifyAuthority(rec: BreachRecord): Promise<void> {
    while (rec.notice === undefined) {
      await condition(() => rec.notice !== undefined || (rec.noticeRequired() && !rec.noticeHeldBack()));
      if (rec.notice) return;
      if (rec.acceptsPortalSubmission()) {
        await condition(() => rec.notice !== undefined || !rec.noticeRequired());
        continue;
      }
      if (rec.needsLateReason(now())) {
        await condition(() => rec.lateReason !== undefined || !rec.noticeRequired());
        continue;
      }
      await mailNotice(rec);
    }
  }

  async function mailNotice(rec: BreachRecord): Promise<void> {
    rec.noticeInFlight = true;
    try {
      const reportedAt = now();
      const { messageId } = await authorityMail.sendAuthorityReport({
        facts,
        assessment: rec.assessment!,
        deadline: rec.deadline.toISOString(),
        reportedAt: reportedAt.toISOString(),
        lateReason: isPastDeadline(rec.deadline, reportedAt) ? rec.lateReason?.reason : undefined,
      });
      rec.recordMailedNotice(messageId, reportedAt);
    } catch (err) {
      // Only a permanent refusal gets here (transient failures retry without limit). Responders
      // are reminded until someone records that the authority was notified another way.
      rec.noticeFailure = failureMessage(err);
    } finally {
      rec.noticeInFlight = false;
    }
  }

  /**
   * Reminders at each checkpoint before the deadline and an escalation at it; after the deadline,
   * overdue reminders at a fixed interval until the notice is recorded.
   */
  async function remindResponders(rec: BreachRecord): Promise<void> {
    for (const checkpoint of upcomingCheckpoints(rec.deadline, policy.reminderHoursBeforeDeadline, now())) {
      if (await waitUntil(checkpoint.at, () => rec.notice !== undefined || rec.closed !== undefined)) return;
      if (rec.noticeOutstanding()) await remind(rec, checkpoint);
    }
    const everyMs = policy.overdueReminderEveryHours * 3_600_000;
    for (;;) {
      const at = new Date(now().getTime() + everyMs);
      if (await waitUntil(at, () => rec.notice !== undefined || rec.closed !== undefined)) return;
      if (rec.noticeOutstanding()) await remind(rec, { kind: 'overdue', at, hoursBeforeDeadline: 0 });
    }
  }

  async function remind(rec: BreachRecord, checkpoint: Checkpoint): Promise<void> {
    const entry: ReminderRecord = {
      kind: checkpoint.kind,
      at: now().toISOString(),
      hoursBeforeDeadline: checkpoint.hoursBeforeDeadline,
      delivered: false,
    };
    rec.reminders.push(entry);
    try {
      await reminderMail.sendResponderReminder({
        facts,
        kind: checkpoint.kind,
        hoursBeforeDeadline: checkpoint.hoursBeforeDeadline,
        dueAt: checkpoint.at.toISOString(),
        deadline: rec.deadline.toISOString(),
        phase: rec.phase(now()),
      });
      entry.delivered = true;
    } catch (err) {
      entry.error = failureMessage(err);
    }
  }

  /** When a hold's review date passes while it is still active, legal is asked to confirm or release it. */
  async function remindAtHoldReview(rec: BreachRecord, hold: Hold): Promise<void> {
    if (await waitUntil(parseISO(hold.reviewAt!), () => !isActive(hold))) return;
    const entry: ReminderRecord = { kind: 'hold-review', at: now().toISOString(), holdId: hold.holdId, delivered: false };
    rec.reminders.push(entry);
    try {
      await reminderMail.sendHoldReviewReminder({ facts, hold });
      entry.delivered = true;
      hold.reviewReminderSentAt = entry.at;
    } catch (err) {
      entry.error = failureMessage(err);
    }
  }

  /** The breach's documentation must outlive Temporal's retention of its history. */
  async function archiveAudit(): Promise<NonNullable<BreachSummary['archive']>> {
    try {
      return await archiver.archiveAudit({ breachId: facts.breachId });
    } catch (err) {
      return { error: failureMessage(err) };
    }
  }

  /** The running children pause before their next send while any hold is active. */
  function tellChildrenAboutHolds(rec: BreachRecord): void {
    const active = rec.holdActive();
    for (const subjectId of rec.fanOut?.running ?? []) {
      getExternalWorkflowHandle(subjectWorkflowId(facts.breachId, subjectId))
        .signal(holdChangedSignal, active)
        .catch(() => undefined); // A child that just finished needs no news.
    }
  }

  /**
   * Starts one NotifyIndividual per roster row, at most `window` at a time, never while a hold is
   * active. Returns true when the history is large enough that this run should continue-as-new
   * (the progress is in the record and the next run resumes from it), false when all are done.
   */
  async function notifyIndividuals(rec: BreachRecord): Promise<boolean> {
    const cascade = input.cascade;
    const roster = input.roster;
    if (!cascade || !roster) return false;
    await condition(() => rec.individualsDue() || rec.fanOut !== undefined);
    const fan: FanOutProgress = (rec.fanOut ??= newFanOut(roster.ref, roster.total));
    const notice = breachNotice(facts);
    while (!allStarted(fan) && fan.error === undefined) {
      if (workflowInfo().historyLength >= cascade.continueAsNewAfterEvents) return true;
      await condition(() => !rec.holdActive() && fan.running.length < cascade.window);
      if (fan.buffer.length === 0) {
        await readNextPage(fan, cascade.pageSize, cascade.channels);
        continue;
      }
      // Every free slot is filled in one workflow task: starting children one task at a time
      // made the parent, not the channels, the limit on throughput.
      const batch = fan.buffer.splice(0, cascade.window - fan.running.length);
      await Promise.all(batch.map((entry) => (entry.problem ? recordSkipped(fan, entry) : startNotifyIndividual(rec, fan, entry, notice))));
    }
    await condition(() => fan.running.length === 0 || workflowInfo().historyLength >= cascade.continueAsNewAfterEvents);
    return fan.running.length > 0;
  }

  async function readNextPage(fan: FanOutProgress, pageSize: number, channels: CascadePolicy['channels']): Promise<void> {
    try {
      const page = await rosterReader.readRosterPage({ roster: fan.roster, cursor: fan.cursor!, pageSize, channels });
      fan.buffer = page.entries;
      fan.cursor = page.nextCursor;
    } catch (err) {
      fan.error = failureMessage(err);
    }
  }

  async function startNotifyIndividual(rec: BreachRecord, fan: FanOutProgress, entry: RosterEntry, notice: BreachNotice): Promise<void> {
    fan.running.push(entry.subjectId);
    fan.started++;
    try {
      await startChild<typeof NotifyIndividual>('NotifyIndividual', {
        workflowId: subjectWorkflowId(facts.breachId, entry.subjectId),
        // Children outlive the run that started them: the breach continues-as-new during fan-out.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        args: [
          {
            notice,
            subject: { subjectId: entry.subjectId, rowOffset: entry.rowOffset, roster: fan.roster },
            reachable: entry.channels,
            policy: input.cascade!,
            holdActive: rec.holdActive(),
            parentWorkflowId: workflowInfo().workflowId,
          },
        ],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // The same subject id twice in the roster (allowed with --skip-invalid): notified once.
      fan.running.splice(fan.running.indexOf(entry.subjectId), 1);
      fan.started--;
      fan.duplicates++;
    }
  }

  /** Upserts only when a value changed, so the history holds one event per real change. */
  async function keepSearchAttributesCurrent(rec: BreachRecord): Promise<void> {
    let published = '';
    for (;;) {
      const phase = rec.phase(now());
      const holdActive = rec.holdActive();
      const current = `${phase}|${holdActive}`;
      if (current !== published) {
        upsertSearchAttributes([
          { key: BreachIdKey, value: facts.breachId },
          { key: BreachPhaseKey, value: phase },
          { key: AuthorityDeadlineKey, value: rec.deadline },
          { key: HoldActiveKey, value: holdActive },
        ]);
        published = current;
      }
      if (phase === 'closed') return;
      await condition(() => `${rec.phase(now())}|${rec.holdActive()}` !== published);
    }
  }
}
