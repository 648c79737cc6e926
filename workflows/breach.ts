import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { parseISO } from 'date-fns';
import type { MailActivities } from '../activities/mail-activities';
import type { AssessRequest, Assessment, BreachWorkflowInput } from '../domain/breach';
import type {
  AuthorityNotice,
  LateReasonRequest,
  PortalSubmissionRequest,
  Supplement,
  SupplementRequest,
} from '../domain/authority-notice';
import { millisecondsUntil, upcomingCheckpoints, type Checkpoint } from '../domain/deadline';
import { SMTP_REJECTED } from '../domain/failures';
import { isActive, type Hold, type PlaceHoldRequest, type ReleaseHoldRequest } from '../domain/holds';
import { AuthorityDeadlineKey, BreachIdKey, BreachPhaseKey, HoldActiveKey } from '../domain/search-attributes';
import type { BreachStatus, BreachSummary, CloseRequest, ReminderRecord } from '../domain/status';
import { BreachRecord } from './breach-record';

export const assessUpdate = defineUpdate<Assessment, [AssessRequest]>('assess');
export const provideLateReasonUpdate = defineUpdate<void, [LateReasonRequest]>('provideLateReason');
export const recordPortalSubmissionUpdate = defineUpdate<AuthorityNotice, [PortalSubmissionRequest]>('recordPortalSubmission');
export const supplementAuthorityReportUpdate = defineUpdate<Supplement, [SupplementRequest]>('supplementAuthorityReport');
export const placeHoldUpdate = defineUpdate<Hold, [PlaceHoldRequest]>('placeHold');
export const releaseHoldUpdate = defineUpdate<Hold, [ReleaseHoldRequest]>('releaseHold');
export const closeUpdate = defineUpdate<BreachSummary, [CloseRequest]>('close');
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

/** A validator that refuses a request with a reason the person who asked can read. */
function refuseIf(problem: string | undefined): void {
  if (problem !== undefined) throw ApplicationFailure.nonRetryable(problem, 'RequestRejected');
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

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
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

  setHandler(assessUpdate, (request) => record.assess(request, now()), {
    validator: (request) => refuseIf(record.assessProblem(request)),
  });

  setHandler(provideLateReasonUpdate, (request) => record.giveLateReason(request, now()), {
    validator: (request) => refuseIf(record.lateReasonProblem(request)),
  });

  setHandler(recordPortalSubmissionUpdate, (request) => record.recordPortalSubmission(request, now()), {
    validator: (request) => refuseIf(record.portalSubmissionProblem(request, now())),
  });

  setHandler(supplementAuthorityReportUpdate, (request) => sendSupplement(record, request), {
    validator: (request) => refuseIf(record.supplementProblem(request)),
  });

  setHandler(
    placeHoldUpdate,
    (request) => {
      const hold = record.placeHold(request, now());
      if (hold.reviewAt) void remindAtHoldReview(record, hold);
      return hold;
    },
    { validator: (request) => refuseIf(record.holdProblem(request, now())) },
  );

  setHandler(releaseHoldUpdate, (request) => record.releaseHold(request, now()), {
    validator: (request) => refuseIf(record.releaseProblem(request)),
  });

  let summary: BreachSummary | undefined;
  setHandler(
    closeUpdate,
    (request) => {
      summary = record.close(request, now());
      return summary;
    },
    { validator: (request) => refuseIf(record.closeProblem(request)) },
  );

  void keepSearchAttributesCurrent(record);
  void remindResponders(record);
  void notifyAuthority(record);

  await condition(() => summary !== undefined && allHandlersFinished());
  return summary!;

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
        lateReason: reportedAt > rec.deadline ? rec.lateReason?.reason : undefined,
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
