/** How each required field is named in an error a person reads. */
export const FIELD_NAMES: Record<string, string> = {
  agency: 'agency',
  caseRef: 'case reference',
  reason: 'reason',
  by: 'actor (--by)',
  holdId: 'hold id',
  rationale: 'rationale',
  information: 'information',
  reference: 'portal reference',
  reviewAt: 'review date',
  subjectId: 'subject id',
};

/** Names the first required text field that is absent or blank. */
export function missingFields<T extends object>(request: T, fields: (keyof T & string)[]): string | undefined {
  for (const field of fields) {
    const value = request[field];
    if (typeof value !== 'string' || value.trim() === '') return `${FIELD_NAMES[field] ?? field} must not be empty`;
  }
  return undefined;
}
