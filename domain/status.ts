import type { Assessment, RiskLevel } from './breach';
import type { AuthorityNotice, Supplement } from './authority-notice';
import type { ReminderKind } from './deadline';
import type { Hold } from './holds';
import type { ChannelFailure } from './cascade';
import type { ObligationView } from './obligations';
import type { ProgressPoint } from './fan-out';

export const BREACH_PHASES = [
  'awaiting-assessment',
  'documented',
  'notifying-authority',
  'notice-held',
  'awaiting-late-reason',
  'awaiting-portal-submission',
  'authority-notified',
  'notifying-individuals',
  /** Notifying individuals stopped on an error (a changed roster): `close` needs the incompleteness accepted. */
  'notification-stopped',
  'individuals-notified',
  'closed',
] as const;
export type BreachPhase = (typeof BREACH_PHASES)[number];

export interface ReminderRecord {
  kind: ReminderKind | 'hold-review' | 'hold-lapse';
  at: string;
  hoursBeforeDeadline?: number;
  holdId?: string;
  /** The obligation a reminder is about (the authority clock's reminders have none). */
  obligationId?: string;
  /** The regime under which a hold is about to lapse. */
  regime?: string;
  /** The deadline or lapse the reminder is about, so that a later run does not send it again. */
  dueAt?: string;
  delivered: boolean;
  error?: string;
}

/** Filled in by the individual-notification cascade; zero until it runs. */
export interface IndividualCounts {
  /** Not contacted yet: in no cohort started so far. */
  pending: number;
  inProgress: number;
  /** Of those in progress: in cohorts still sending, and in cohorts that have sent everything and wait for delivery reports. */
  sending?: number;
  awaitingReports?: number;
  notifiedByEmail: number;
  notifiedByFax: number;
  notifiedByPostal: number;
  unreachable: number;
}

export interface BreachStatus {
  breachId: string;
  title: string;
  phase: BreachPhase;
  awareAt: string;
  deadline: string;
  /** The workflow time this status was computed at. */
  asOf: string;
  pastDeadline: boolean;
  risk?: RiskLevel;
  assessments: Assessment[];
  authorityNotice?: AuthorityNotice;
  authorityNoticeFailure?: string;
  /** The mailed report is failing on our side (the relay cannot be reached): since when, attempts so far, the last error. */
  authorityNoticeSending?: { failingSince: string; attempts: number; lastError: string };
  lateReason?: { reason: string; by: string; at: string };
  supplements: Supplement[];
  holds: { active: Hold[]; released: Hold[] };
  reminders: ReminderRecord[];
  individuals: IndividualCounts;
  /** Subjects that could not be reached, for substitute notice (listed up to a limit). */
  unreachableSubjects: { subjectId: string; reasons: string[] }[];
  fanOutError?: string;
  /** Channels our side cannot reach (relay or provider down): nobody is marked unreachable for it while it is retried. */
  channelFailures: (ChannelFailure & { cohorts: number })[];
  closed?: { by: string; at: string; incompleteReason?: string };
  /** When the first cohort started, for the rate the status's ETA is worked out from. */
  fanOutStartedAt?: string;
  /** How many people were final over time since the fan-out began (bounded; see `recordProgress`). */
  progress?: ProgressPoint[];
  /** Each regime's obligations ordered by deadline; absent for breaches started before regimes. */
  obligations?: ObligationView[];
}

export interface CloseRequest {
  by: string;
  /** Why the breach may close although notifying individuals stopped before everyone was reached. */
  incompleteReason?: string;
}

export interface BreachSummary {
  breachId: string;
  phase: 'closed';
  risk?: RiskLevel;
  closedAt: string;
  closedBy: string;
  authorityNotice?: AuthorityNotice;
  supplements: number;
  holdsPlaced: number;
  remindersSent: number;
  /** How each obligation ended; absent for breaches started before regimes. */
  obligations?: ObligationView[];
  /** Where the audit export was archived, or why it could not be. */
  archive?: ArchivedAudit | { error: string };
}

/** An audit export in the archive, with the integrity hash it carries. */
export interface ArchivedAudit {
  /** The file path, or `s3://bucket/key` for an object store. */
  location: string;
  /** The file path when the archive is a folder; summaries recorded before `location` existed have only this. */
  file?: string;
  sha256: string;
}
