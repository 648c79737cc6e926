/**
 * The authority clock of a breach: the Art. 33 notice (mailed, or recorded from the portal),
 * reminders before the deadline, the escalation at it and overdue reminders after it, hold-review
 * reminders, and supplements (Art. 33(4)). Each function takes the breach's record, the one owner
 * of its state.
 */
import { condition, proxyActivities, sleep } from '@temporalio/workflow';
import { parseISO } from 'date-fns/parseISO';
import type { MailActivities } from '../activities/mail-activities';
import type { Supplement, SupplementRequest } from '../domain/authority-notice';
import { millisecondsUntil, upcomingCheckpoints, type Checkpoint } from '../domain/deadline';
import { failureMessage, LATE_REASON_NEEDED, SMTP_REJECTED } from '../domain/failures';
import { isActive, type Hold } from '../domain/holds';
import type { BreachRecord } from './breach-record';
import { reminderMail, sendReminder } from './reminder-mail';

/** Attempts of the authority report in one round; the breach then records the failing send in its status and tries again. */
const REPORT_ATTEMPTS_PER_ROUND = 4;
/** The breach's wait between rounds doubles from this up to ten minutes: the notice must eventually go out. */
const FIRST_ROUND_PAUSE_MS = 5_000;
const LONGEST_ROUND_PAUSE_MS = 600_000;

const authorityMail = proxyActivities<MailActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: REPORT_ATTEMPTS_PER_ROUND, nonRetryableErrorTypes: [SMTP_REJECTED, LATE_REASON_NEEDED] },
});

function now(): Date {
  return new Date();
}

/** Sleeps until `at`, or less if `done` becomes true first; returns whether `done` did. */
export async function waitUntil(at: Date, done: () => boolean): Promise<boolean> {
  const ms = millisecondsUntil(at, now());
  if (ms === 0) return done();
  return condition(done, ms);
}

/**
 * Sends the Art. 33 notice as soon as the assessment calls for it. The loop re-examines the
 * situation after each wait because a reassessment, a hold or the deadline passing can change
 * what the next step is.
 */
export async function notifyAuthority(rec: BreachRecord): Promise<void> {
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

/**
 * Mails the report in rounds of a few attempts. Each attempt stamps the report with its own time
 * and carries the reason for the delay given so far, so a report sent after an outage says when
 * it was sent and why it is late; the notice is recorded as the relay accepted it. Between rounds
 * the status shows the failing send, and a reason given meanwhile goes with the next round.
 */
async function mailNotice(rec: BreachRecord): Promise<void> {
  rec.noticeInFlight = true;
  try {
    for (let round = 0; ; round++) {
      try {
        const sent = await authorityMail.sendAuthorityReport({
          facts: rec.input.facts,
          assessment: rec.assessment!,
          deadline: rec.deadline.toISOString(),
          lateReason: rec.lateReason?.reason,
          discoveredAt: rec.obligations?.anchors.discovery?.at,
          individuals: rec.individualsForAuthority(),
        });
        rec.recordMailedNotice(sent, now());
        return;
      } catch (err) {
        const type = failureType(err);
        // The deadline passed while the report waited: the loop above asks for the reason first.
        if (type === LATE_REASON_NEEDED) return;
        // A permanent refusal: responders are reminded until someone records that the authority was notified another way.
        if (type === SMTP_REJECTED) return rec.noticeRefused(failureMessage(err));
        rec.noticeSendFailing(REPORT_ATTEMPTS_PER_ROUND, failureMessage(err), now());
      }
      await sleep(Math.min(LONGEST_ROUND_PAUSE_MS, FIRST_ROUND_PAUSE_MS * 2 ** round));
    }
  } finally {
    rec.noticeInFlight = false;
  }
}

function failureType(err: unknown): string | undefined {
  return (err as { cause?: { type?: string } }).cause?.type;
}

export async function sendSupplement(rec: BreachRecord, request: SupplementRequest): Promise<Supplement> {
  const sequence = rec.supplements.length + rec.supplementsInFlight + 1;
  rec.supplementsInFlight++;
  try {
    const messageId = request.portalReference
      ? undefined
      : (
          await authorityMail.sendSupplementReport({
            facts: rec.input.facts,
            sequence,
            information: request.information,
            firstReportMessageId: rec.notice?.messageId,
            reportedAt: now().toISOString(),
          })
        ).messageId;
    const supplement: Supplement = { sequence, information: request.information, by: request.by, sentAt: now().toISOString(), messageId, portalReference: request.portalReference };
    rec.addSupplement(supplement);
    return supplement;
  } finally {
    rec.supplementsInFlight--;
  }
}

/**
 * Reminders at each checkpoint before the deadline and an escalation at it; after the deadline,
 * overdue reminders at a fixed interval until the notice is recorded.
 */
export async function remindResponders(rec: BreachRecord): Promise<void> {
  const { policy } = rec.input;
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
  await sendReminder(rec, { kind: checkpoint.kind, at: now().toISOString(), hoursBeforeDeadline: checkpoint.hoursBeforeDeadline }, () =>
    reminderMail.sendResponderReminder({
      facts: rec.input.facts,
      kind: checkpoint.kind,
      hoursBeforeDeadline: checkpoint.hoursBeforeDeadline,
      dueAt: checkpoint.at.toISOString(),
      deadline: rec.deadline.toISOString(),
      phase: rec.phase(now()),
    }),
  );
}

/** When a hold's review date passes while it is still active, legal is asked to confirm or release it. */
export async function remindAtHoldReview(rec: BreachRecord, hold: Hold): Promise<void> {
  // A review moves the date: the reminder for it is set anew, and this one stops.
  const reviewAt = hold.reviewAt!;
  if (await waitUntil(parseISO(reviewAt), () => !isActive(hold) || hold.reviewAt !== reviewAt)) return;
  await sendReminder(rec, { kind: 'hold-review', at: now().toISOString(), holdId: hold.holdId }, () => reminderMail.sendHoldReviewReminder({ facts: rec.input.facts, hold }));
}
