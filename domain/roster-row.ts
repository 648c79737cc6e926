import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Channel, PostalAddress, Subject } from './individuals';

/** A roster row as read from CSV columns or a JSONL object, before validation. */
export interface RawRow {
  subjectId?: string;
  fullName?: string;
  email?: string;
  fax?: string;
  addressLines?: string[];
  city?: string;
  region?: string;
  postalCode?: string;
  country?: string;
  language?: string;
}

/** A valid row's subject, or what is wrong with the row (and its subject id when that much is valid). */
export type RowResult = { subject: Subject } | { problem: string; subjectId?: string };

const SUBJECT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/**
 * Validates one row. Problems name the field and never echo its value: the value is personal
 * data and the message ends up on a terminal or in a log.
 */
export function validateRow(row: RawRow): RowResult {
  const subjectId = row.subjectId?.trim();
  if (!subjectId) return { problem: 'subject id is missing' };
  if (!SUBJECT_ID.test(subjectId)) return { problem: 'subject id must be 1-100 letters, digits, dots, dashes or underscores' };
  const problem = contactProblem(row);
  return typeof problem === 'string' ? { problem, subjectId } : { subject: { subjectId, ...problem } };
}

/** The row's contact data, or what is wrong with it. */
function contactProblem(row: RawRow): Omit<Subject, 'subjectId'> | string {
  const fullName = row.fullName?.trim();
  if (!fullName) return 'full name is missing';
  const email = row.email?.trim() || undefined;
  if (email && !EMAIL.test(email)) return 'email is not a valid address';
  const fax = faxNumber(row.fax);
  if (fax === null) return 'fax number is not a valid international number (e.g. +13125550123)';
  const postal = postalAddress(row);
  if (typeof postal === 'string') return postal;
  if (!email && !fax && !postal) return 'no usable contact: no email, fax number or postal address';
  // Without a language the renderer uses the configured default, individuals.defaultLanguage.
  return { fullName, email, fax, postal, language: row.language?.trim() || undefined };
}

/** A fax number in E.164; international formatting with spaces is accepted and normalised. */
function faxNumber(raw: string | undefined): string | undefined | null {
  const text = raw?.trim();
  if (!text) return undefined;
  const parsed = text.startsWith('+') ? parsePhoneNumberFromString(text) : undefined;
  return parsed?.isValid() ? parsed.number : null;
}

function postalAddress(row: RawRow): PostalAddress | string | undefined {
  const lines = (row.addressLines ?? []).map((l) => l.trim()).filter(Boolean);
  const city = row.city?.trim() ?? '';
  const region = row.region?.trim() ?? '';
  const postalCode = row.postalCode?.trim() ?? '';
  const country = row.country?.trim().toUpperCase() ?? '';
  if (!lines.length && !city && !region && !postalCode && !country) return undefined;
  const missing = [
    !lines.length && 'address line',
    !city && 'city',
    !postalCode && 'postal code',
    !country && 'country',
    country === 'US' && !region && 'state',
  ].filter(Boolean);
  if (missing.length) return `incomplete postal address: missing ${missing.join(', ')}`;
  if (!/^[A-Z]{2}$/.test(country)) return 'country must be a two-letter ISO code (e.g. US)';
  return { lines, city, region, postalCode, country };
}

/** The channels this subject can be reached on, in the configured order. */
export function reachableChannels(subject: Subject, order: readonly Channel[]): Channel[] {
  return order.filter((channel) => (channel === 'email' ? subject.email : channel === 'fax' ? subject.fax : subject.postal) !== undefined);
}
