import type { z } from 'zod';
import { cohortHeldSchema, cohortReportSchema, holdNewsSchema, parseRequest } from '../domain/requests';
import { cohortHeldSignal, cohortReportSignal } from '../workflows/messages/breach';
import { breachClosedSignal, holdChangedSignal } from '../workflows/messages/cohort';
import { firstPayload, type HistoryEvent } from './history-events';

/** The signals each workflow takes, with the shape it checks them against (none for a signal without content). */
const BREACH_SIGNALS: Record<string, z.ZodType | undefined> = { [cohortReportSignal.name]: cohortReportSchema, [cohortHeldSignal.name]: cohortHeldSchema };
const COHORT_SIGNALS: Record<string, z.ZodType | undefined> = { [holdChangedSignal.name]: holdNewsSchema, [breachClosedSignal.name]: undefined };

/** A signal the workflow ignored: one no handler knows, or one of the wrong shape. */
export interface IgnoredSignal {
  kind: 'signal-unknown' | 'signal-refused';
  summary: string;
  identity?: string;
}

/**
 * A signal cannot be refused to its sender, so the workflows ignore those they cannot take, and
 * the audit shows each one with the same check the workflow made.
 */
export function ignoredSignal(event: HistoryEvent, workflow: 'breach' | 'cohort'): IgnoredSignal | undefined {
  const signaled = event.workflowExecutionSignaledEventAttributes;
  if (!signaled) return undefined;
  const name = signaled.signalName ?? '';
  const known = workflow === 'breach' ? BREACH_SIGNALS : COHORT_SIGNALS;
  const identity = signaled.identity || undefined;
  if (!(name in known)) return { kind: 'signal-unknown', identity, summary: `unknown signal ${JSON.stringify(name)} ignored` };
  const schema = known[name];
  if (!schema) return undefined;
  const parsed = parseRequest(schema, firstPayload(signaled.input));
  return 'problem' in parsed ? { kind: 'signal-refused', identity, summary: `signal ${name} ignored: ${parsed.problem}` } : undefined;
}
