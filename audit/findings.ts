import { tsToDate } from '@temporalio/common/lib/time';
import type { BreachWorkflowInput } from '../domain/breach';
import type { SubjectFinished } from '../domain/cascade';
import type { Hold } from '../domain/holds';
import { firstPayload, UpdatePairing } from './history-events';
import type { AuditEntry, RunHistory } from './timeline';

/** Something an auditor would raise about a breach's record. */
export interface Finding {
  code: 'missing-art33-element' | 'late-without-reason' | 'hold-without-case-reference' | 'hold-past-review' | 'subjects-without-final-state' | 'contacted-during-hold';
  detail: string;
}

const SEND_ACTIVITIES = new Set(['sendNoticeEmail', 'sendNoticeFax', 'sendNoticeLetter']);

interface HoldInterval {
  holdId: string;
  from: number;
  to: number;
}

/**
 * The completeness checks of an audit. `subjectRuns` holds the histories of the breach's
 * NotifyIndividual workflows, so that every send can be checked against the holds: nobody may be
 * contacted while a hold is active, and this check is the proof.
 */
export function findings(runs: RunHistory[], entries: AuditEntry[], subjectRuns: Map<string, RunHistory[]>, now: Date): Finding[] {
  const found: Finding[] = [];
  const input = startInput(runs);
  if (input) {
    const f = input.facts;
    const required: [string, boolean][] = [
      ['nature of the breach (description)', !f.description?.trim()],
      ['categories of personal data', !f.dataCategories?.length],
      ['approximate number of data subjects', !(f.approxSubjects >= 0)],
      ['approximate number of records', !(f.approxRecords >= 0)],
      ['contact point', !f.contactPoint?.trim()],
      ['likely consequences', !f.likelyConsequences?.trim()],
      ['measures taken or proposed', !f.measures?.trim()],
    ];
    for (const [element, missing] of required) if (missing) found.push({ code: 'missing-art33-element', detail: `the authority report lacks: ${element}` });
  }

  for (const notice of entries.filter((e) => e.kind === 'authority-notified')) {
    if (/LATE; reason: none given/.test(notice.summary)) found.push({ code: 'late-without-reason', detail: `late authority notice at ${notice.at} without reasons for the delay` });
  }

  const holds = holdIntervals(runs, now);
  for (const { hold } of holds) {
    if (!hold.caseRef?.trim()) found.push({ code: 'hold-without-case-reference', detail: `${hold.holdId} (${hold.agency}) has no case reference` });
    if (!hold.release && hold.reviewAt && Date.parse(hold.reviewAt) < now.getTime()) {
      found.push({ code: 'hold-past-review', detail: `${hold.holdId} (${hold.agency}) is still active past its review date ${hold.reviewAt}` });
    }
  }

  const { started, finished } = fanOutCounts(runs);
  if (started > finished) found.push({ code: 'subjects-without-final-state', detail: `${started - finished} of ${started} subjects have no final state` });

  for (const [subjectId, histories] of subjectRuns) {
    for (const sent of sendTimes(histories)) {
      const during = holds.find((h) => sent.at >= h.interval.from && sent.at < h.interval.to);
      if (during) {
        found.push({ code: 'contacted-during-hold', detail: `subject ${subjectId} was contacted by ${sent.channel} at ${new Date(sent.at).toISOString()} while ${during.interval.holdId} was active` });
      }
    }
  }
  return found;
}

function startInput(runs: RunHistory[]): BreachWorkflowInput | undefined {
  const started = runs[0]?.events.find((e) => e.workflowExecutionStartedEventAttributes)?.workflowExecutionStartedEventAttributes;
  return started ? firstPayload<BreachWorkflowInput>(started.input) : undefined;
}

/** Each hold with the time it was in force; an unreleased hold is in force until now. */
function holdIntervals(runs: RunHistory[], now: Date): { hold: Hold; interval: HoldInterval }[] {
  const byId = new Map<string, { hold: Hold; interval: HoldInterval }>();
  for (const run of runs) {
    const updates = new UpdatePairing();
    for (const event of run.events) {
      const update = updates.observe(event);
      if (!update?.result || (update.name !== 'placeHold' && update.name !== 'releaseHold')) continue;
      const hold = update.result as Hold;
      const at = tsToDate(event.eventTime!).getTime();
      if (update.name === 'placeHold') byId.set(hold.holdId, { hold, interval: { holdId: hold.holdId, from: at, to: now.getTime() } });
      else {
        const known = byId.get(hold.holdId);
        if (known) byId.set(hold.holdId, { hold, interval: { ...known.interval, to: at } });
      }
    }
  }
  return [...byId.values()];
}

function fanOutCounts(runs: RunHistory[]): { started: number; finished: number } {
  const started = new Set(subjectWorkflowIds(runs));
  const finished = new Set<string>();
  for (const run of runs) {
    for (const event of run.events) {
      const signal = event.workflowExecutionSignaledEventAttributes;
      if (signal?.signalName === 'subjectFinished') finished.add(firstPayload<SubjectFinished>(signal.input)?.subjectId ?? '');
    }
  }
  return { started: started.size, finished: finished.size };
}

/** When the workflow decided to send to this person on each channel. */
function sendTimes(runs: RunHistory[]): { channel: string; at: number }[] {
  const sends: { channel: string; at: number }[] = [];
  for (const run of runs) {
    for (const event of run.events) {
      const type = event.activityTaskScheduledEventAttributes?.activityType?.name;
      if (type && SEND_ACTIVITIES.has(type)) sends.push({ channel: type.replace('sendNotice', '').toLowerCase(), at: tsToDate(event.eventTime!).getTime() });
    }
  }
  return sends;
}

/** The subjects' workflow IDs, from the breach's own record of the children it started. */
function subjectWorkflowIds(runs: RunHistory[]): string[] {
  const ids = new Set<string>();
  for (const run of runs) for (const event of run.events) {
    const child = event.startChildWorkflowExecutionInitiatedEventAttributes;
    if (child?.workflowId) ids.add(child.workflowId);
  }
  return [...ids];
}
