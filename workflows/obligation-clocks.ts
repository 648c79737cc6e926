/**
 * The clocks of a breach's obligations besides the authority notice: reminders before each
 * deadline, the escalation at it and overdue reminders after it, and the end of holds whose
 * period a regime limits. Each function takes the breach's record, the one owner of its state.
 */
import { condition } from '@temporalio/workflow';
import { isAfter } from 'date-fns/isAfter';
import { subDays } from 'date-fns/subDays';
import { upcomingCheckpoints, type Checkpoint } from '../domain/deadline';
import { fanOutDone } from '../domain/fan-out';
import { holdLapses } from '../domain/hold-regimes';
import { isActive, type Hold } from '../domain/holds';
import { OPEN_STATUSES, type ObligationView } from '../domain/obligations';
import { waitUntil } from './authority-clock';
import type { BreachRecord } from './breach-record';
import { reminderMail, sendReminder } from './reminder-mail';
import { tellCohortsAboutHolds } from './individuals';

const DEFAULT_REMINDER_DAYS = [7, 3, 1];
const DEFAULT_LAPSE_REMINDER_DAYS = 5;

const now = () => new Date();

/**
 * Watches the obligations as the breach's facts change (an anchor recorded, an assessment, a
 * hold, notices finishing) and keeps one reminder clock per open obligation and deadline.
 */
export async function keepObligationClocks(rec: BreachRecord): Promise<void> {
  if (!rec.obligations) return;
  void condition(() => rec.fanOut !== undefined && fanOutDone(rec.fanOut)).then(() => rec.noteIndividualsNotified(now()));
  const watched = new Set<string>();
  const shapeOf = (views: ObligationView[]) => views.map((v) => `${v.id}|${v.deadline}|${v.status === 'late' ? 'due' : v.status}`).join(',');
  for (;;) {
    const views = rec.obligationViews(now())!;
    for (const view of views) {
      const clock = `${view.id}@${view.deadline}`;
      if (!view.deadline || view.completedBy === 'authority-notice' || !OPEN_STATUSES.includes(view.status) || watched.has(clock)) continue;
      watched.add(clock);
      void remindOfObligation(rec, view.id, view.deadline);
    }
    if (rec.closed) return;
    const shape = shapeOf(views);
    await condition(() => rec.closed !== undefined || shapeOf(rec.obligationViews(now())!) !== shape);
  }
}

async function remindOfObligation(rec: BreachRecord, id: string, deadline: string): Promise<void> {
  const { policy } = rec.input;
  const current = () => rec.obligationViews(now())!.find((v) => v.id === id && v.deadline === deadline);
  const closed = () => rec.closed !== undefined || !OPEN_STATUSES.includes(current()?.status ?? 'done');
  const inDays = current()?.deadlineUnit !== 'hours';
  const hoursBefore = inDays ? (policy.obligationReminderDaysBefore ?? DEFAULT_REMINDER_DAYS).map((d) => d * 24) : policy.reminderHoursBeforeDeadline;
  for (const checkpoint of upcomingCheckpoints(new Date(deadline), hoursBefore, now())) {
    if (await waitUntil(checkpoint.at, closed)) return;
    await remindUnlessHeld(rec, current()!, checkpoint);
  }
  const everyMs = (inDays ? 24 : policy.overdueReminderEveryHours) * 3_600_000;
  for (;;) {
    const at = new Date(now().getTime() + everyMs);
    if (await waitUntil(at, closed)) return;
    await remindUnlessHeld(rec, current()!, { kind: 'overdue', at, hoursBeforeDeadline: 0 });
  }
}

/** A held obligation waits for its hold; reminding responders of it would ask them to break it. */
async function remindUnlessHeld(rec: BreachRecord, view: ObligationView, checkpoint: Checkpoint): Promise<void> {
  if (view.status === 'held') return;
  const dueAt = checkpoint.at.toISOString();
  // A later run starts the clocks again: the escalation it would repeat was already sent.
  if (rec.reminders.some((r) => r.obligationId === view.id && r.kind === checkpoint.kind && r.dueAt === dueAt)) return;
  await sendReminder(rec, { kind: checkpoint.kind, at: now().toISOString(), obligationId: view.id, dueAt }, () =>
    reminderMail.sendObligationReminder({ facts: rec.input.facts, kind: checkpoint.kind, obligation: view, dueAt }),
  );
}

/**
 * A hold whose form a regime limits (HIPAA: an oral request, 30 days) stops delaying that
 * regime's notices when its period ends, unless the agency's written statement is recorded first;
 * legal is reminded some days before. A statement starts the watch again from its date.
 */
export async function watchHoldLapses(rec: BreachRecord, hold: Hold): Promise<void> {
  const packs = rec.input.regimes?.packs;
  if (!packs || !isActive(hold)) return;
  const statement = hold.writtenStatement?.at;
  const changed = () => !isActive(hold) || hold.writtenStatement?.at !== statement;
  const daysBefore = rec.input.policy.holdLapseReminderDaysBefore ?? DEFAULT_LAPSE_REMINDER_DAYS;
  await Promise.all(
    holdLapses(hold, packs).map(async ({ regime, at }) => {
      if (hold.lapsed?.some((l) => l.regime === regime)) return;
      const remindAt = subDays(at, daysBefore);
      if (isAfter(remindAt, now())) {
        if (await waitUntil(remindAt, changed)) return;
        await remindOfLapse(rec, hold, regime, at);
      }
      if (await waitUntil(at, changed)) return;
      const wasHeld = rec.holdActive();
      rec.lapseHold(hold, regime, at);
      if (wasHeld && !rec.holdActive()) await tellCohortsAboutHolds(rec);
    }),
  );
}

async function remindOfLapse(rec: BreachRecord, hold: Hold, regime: string, at: Date): Promise<void> {
  const lapsesAt = at.toISOString();
  if (rec.reminders.some((r) => r.kind === 'hold-lapse' && r.holdId === hold.holdId && r.regime === regime && r.dueAt === lapsesAt)) return;
  await sendReminder(rec, { kind: 'hold-lapse', at: now().toISOString(), holdId: hold.holdId, regime, dueAt: lapsesAt }, () =>
    reminderMail.sendHoldLapseReminder({ facts: rec.input.facts, hold, regime, lapsesAt }),
  );
}
