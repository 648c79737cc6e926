/**
 * The breach's side of notifying individuals (Art. 34): the roster is planned into cohorts, a
 * bounded number of cohorts send at once, and each cohort reports its counts back. The breach
 * keeps a few numbers per cohort, never a record per person.
 */
import { ParentClosePolicy, condition, getExternalWorkflowHandle, patched, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import type { RosterActivities } from '../activities/roster-activities';
import { failureMessage, ROSTER_CHANGED } from '../domain/failures';
import { allStarted, fanOutDone, sendingCohorts, startCohort, type FanOutProgress } from '../domain/fan-out';
import { cohortWorkflowId } from '../domain/ids';
import type { BreachRecord } from './breach-record';
import { breachClosedSignal, holdChangedSignal } from './messages/cohort';
import type { NotifyCohort } from './notify-cohort';

/** Roster planning is read again after a transient failure; a changed roster stops the fan-out. */
const rosterReader = proxyActivities<RosterActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10, nonRetryableErrorTypes: [ROSTER_CHANGED] },
});

/**
 * The patch after which the breach looks at its history's length only when a cohort's report (an
 * event) has woken it. A condition that reads the length changes in a workflow task that carries
 * only a refused update, which leaves no event: continuing as new there could not be replayed.
 */
const HISTORY_READ_ON_REPORTS = 'history-read-on-reports';

/** Cohort boundaries planned per roster read: a few kilobytes of offsets. */
const COHORTS_PER_PLAN = 100;
/** Signals sent in one workflow task when every cohort must hear something. */
const SIGNALS_AT_ONCE = 200;

/**
 * Starts the cohorts, never while a hold is active and at most `sendingCohorts` sending at once,
 * and waits until every cohort is final. Returns true when the history has grown enough that this
 * run should continue-as-new (the progress is in the record and the next run resumes from it).
 */
export async function notifyIndividuals(rec: BreachRecord): Promise<boolean> {
  const { cascade, roster } = rec.input;
  if (!cascade || !roster) return false;
  await condition(() => rec.individualsDue() || rec.fanOut !== undefined);
  const fan: FanOutProgress = rec.beginFanOut(roster.ref, roster.total, new Date());
  const historyFull = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= cascade.continueAsNewAfterEvents;
  while (!allStarted(fan) && fan.error === undefined) {
    if (historyFull()) return true;
    await condition(() => !rec.holdActive() && sendingCohorts(fan) < cascade.sendingCohorts);
    if (fan.planned.length === 0) {
      // The first cohorts are planned alone, so that the first notices need not wait for a long roster read.
      await planCohorts(fan, cascade.cohortSize, fan.cohorts.length === 0 ? cascade.sendingCohorts : COHORTS_PER_PLAN);
      continue;
    }
    const slices = fan.planned.splice(0, cascade.sendingCohorts - sendingCohorts(fan));
    rec.cohortsStarting = slices.length;
    await Promise.all(
      slices.map((slice) => {
        const cohort = startCohort(fan, slice);
        return startChild<typeof NotifyCohort>('NotifyCohort', {
          workflowId: cohortWorkflowId(rec.input.facts.breachId, cohort),
          // Cohorts outlive the run that started them: the breach continues-as-new during the fan-out.
          parentClosePolicy: ParentClosePolicy.ABANDON,
          args: [{ breachId: rec.input.facts.breachId, cohort, roster: fan.roster, slice, policy: cascade, ...rec.holdsForCohort(), parentWorkflowId: workflowInfo().workflowId }],
        });
      }),
    ).finally(() => (rec.cohortsStarting = 0));
  }
  if (!patched(HISTORY_READ_ON_REPORTS)) {
    await condition(() => fanOutDone(fan) || historyFull());
    return !fanOutDone(fan);
  }
  for (let seen = rec.cohortReportsReceived; !fanOutDone(fan); seen = rec.cohortReportsReceived) {
    if (historyFull()) return true;
    await condition(() => fanOutDone(fan) || rec.cohortReportsReceived !== seen);
  }
  return false;
}

async function planCohorts(fan: FanOutProgress, cohortSize: number, count: number): Promise<void> {
  try {
    const { slices, next } = await rosterReader.planCohorts({ roster: fan.roster, cursor: fan.next!.cursor, line: fan.next!.line, cohortSize, count });
    fan.planned = slices;
    fan.next = next;
  } catch (err) {
    fan.error = failureMessage(err);
  }
}

/**
 * How long a hold request waits for the cohorts to confirm that they stopped. A cohort that does
 * not answer in time has no worker running its batch, so it is not sending either.
 */
const HOLD_CONFIRMATION_MS = 60_000;

/**
 * Running cohorts stop sending while any hold is active, and resume when none is. For a new hold
 * this returns once every running cohort has confirmed that its batch in flight has returned, so
 * that no message begins after the hold request completes.
 */
export async function tellCohortsAboutHolds(rec: BreachRecord): Promise<void> {
  // A cohort still being started took the hold state of before; it can be told once it exists.
  if (rec.cohortsStarting > 0) await condition(() => rec.cohortsStarting === 0);
  const news = { active: rec.holdActive(), round: ++rec.holdRound };
  const told = await signalCohorts(rec, (c) => c.stage !== 'final', (handle) => handle.signal(holdChangedSignal, news));
  if (!news.active || told.length === 0) return;
  await condition(() => told.every((cohort) => (rec.cohortsHeld.get(cohort) ?? -1) >= news.round), HOLD_CONFIRMATION_MS);
}

/** Delivered cohorts wait for returned letters until the breach closes. */
export async function tellCohortsBreachClosed(rec: BreachRecord): Promise<void> {
  await signalCohorts(rec, () => true, (handle) => handle.signal(breachClosedSignal));
}

/** Signals the cohorts that `which` picks, a batch per workflow task; returns the cohorts that took the signal. */
async function signalCohorts(
  rec: BreachRecord,
  which: (cohort: FanOutProgress['cohorts'][number]) => boolean,
  send: (handle: ReturnType<typeof getExternalWorkflowHandle>) => Promise<void>,
): Promise<number[]> {
  const cohorts = (rec.fanOut?.cohorts ?? []).flatMap((c, cohort) => (which(c) ? [cohort] : []));
  const told: number[] = [];
  for (let i = 0; i < cohorts.length; i += SIGNALS_AT_ONCE) {
    await Promise.all(
      cohorts.slice(i, i + SIGNALS_AT_ONCE).map((cohort) =>
        send(getExternalWorkflowHandle(cohortWorkflowId(rec.input.facts.breachId, cohort))).then(
          () => void told.push(cohort),
          // A cohort that has just finished needs no news.
          () => undefined,
        ),
      ),
    );
  }
  return told;
}
