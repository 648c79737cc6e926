import type { BreachNotice } from './notice';

/**
 * Affected individuals and the evidence of notifying them. Contact data (names, addresses,
 * numbers) is personal data: it never enters workflow inputs, histories or logs. Workflows carry
 * only subject ids and where to read a subject's row; activities read the row when they send.
 */

export const CHANNELS = ['email', 'fax', 'postal'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface PostalAddress {
  lines: string[];
  city: string;
  region: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2, e.g. US. */
  country: string;
}

/** One row of the roster, as validated. */
export interface Subject {
  subjectId: string;
  fullName: string;
  email?: string;
  /** E.164, e.g. +13125550123. */
  fax?: string;
  postal?: PostalAddress;
  /** Unset: the notice is in `individuals.defaultLanguage`. */
  language?: string;
}

/** The rendered Art. 34(2) notice for one person and one channel. */
export interface NoticeContent {
  subject: string;
  text: string;
  html: string;
  /** SHA-256 (hex) of exactly what was sent, recorded with the attempt as evidence. */
  contentSha256: string;
}

export type AttemptOutcome = 'accepted' | 'delivered' | 'bounced' | 'failed' | 'skipped' | 'returned' | 'delayed' | 'complained';

/** One try on one channel; what an auditor needs to prove the notice went out (or why not). */
export interface Attempt {
  channel: Channel;
  at: string;
  outcome: AttemptOutcome;
  providerId?: string;
  smtpReply?: string;
  reason?: string;
  contentSha256?: string;
  /** Set when a retried batch sent it: an earlier attempt may have sent a copy with the same id. */
  activityAttempt?: number;
}

/** Where the roster lives and what it must hash to; the workflow carries this, never the roster. */
export interface RosterRef {
  path: string;
  sha256: string;
  format: 'csv' | 'jsonl';
  /** How the file's bytes are read as text; UTF-8 when absent. */
  encoding?: RosterEncoding;
}

/**
 * The encodings a roster may be in: UTF-8, and the single-byte encodings that spreadsheets save
 * CSV in. Each keeps a newline one byte, which the roster's reading by byte offset relies on.
 * (`windows-1252` also reads ISO-8859-1, as web browsers do.)
 */
export const ROSTER_ENCODINGS = ['utf-8', 'windows-1252', 'iso-8859-15'] as const;
export type RosterEncoding = (typeof ROSTER_ENCODINGS)[number];

/** Reads the contact data of the rows at these byte offsets at send time, checked against their subject ids (the worker provides it). */
export type LoadSubjects = (roster: RosterRef, rows: { subjectId: string; rowOffset: number }[]) => Promise<Map<string, Subject>>;

/** Renders the notice for one person and one channel (the worker provides it). */
export type RenderNotice = (notice: BreachNotice, subject: Subject, channel: Channel) => Promise<NoticeContent>;

/** A roster row as the roster activity hands it to the fan-out: where it is, never what it says. */
export interface RosterEntry {
  subjectId: string;
  rowOffset: number;
  /** 1-based line number in the roster file. */
  line: number;
  /** Channels with contact data, in the configured order. */
  channels: Channel[];
  /** Why the row is unusable (a breach started with --skip-invalid). */
  problem?: string;
  /** A later row with a subject id that an earlier row already has. */
  duplicate?: boolean;
}
