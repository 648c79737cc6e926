import type { Assessment } from './breach';
import type { AuthorityNotice, Supplement } from './authority-notice';
import type { Hold } from './holds';
import type { ReminderRecord } from './status';
import type { FanOutProgress } from './fan-out';
import type { ObligationState } from './obligations';

/** Everything a breach workflow knows, carried into the next run by continue-as-new. */
export interface BreachSnapshot {
  assessments: Assessment[];
  holds: Hold[];
  supplements: Supplement[];
  reminders: ReminderRecord[];
  notice?: AuthorityNotice;
  noticeFailure?: string;
  lateReason?: { reason: string; by: string; at: string };
  fanOut?: FanOutProgress;
  obligations?: ObligationState;
  runs: number;
}
