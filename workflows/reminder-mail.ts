/**
 * Reminders to responders and legal: recorded in the breach before they are sent, with whether
 * they went out. A reminder that cannot be delivered is recorded and never blocks the breach.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { MailActivities } from '../activities/mail-activities';
import { failureMessage, SMTP_REJECTED } from '../domain/failures';
import type { ReminderRecord } from '../domain/status';
import type { BreachRecord } from './breach-record';

export const reminderMail = proxyActivities<MailActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5, nonRetryableErrorTypes: [SMTP_REJECTED] },
});

export async function sendReminder(rec: BreachRecord, entry: Omit<ReminderRecord, 'delivered'>, send: () => Promise<void>): Promise<void> {
  const reminder = rec.addReminder(entry);
  try {
    await send();
    rec.reminderSettled(reminder);
  } catch (err) {
    rec.reminderSettled(reminder, failureMessage(err));
  }
}
