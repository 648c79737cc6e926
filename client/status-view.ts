import { describeTimeLeft } from '../domain/deadline';
import type { Hold } from '../domain/holds';
import type { BreachStatus } from '../domain/status';
import { describeSeverity } from '../domain/severity';
import type { StuckCohort } from './stuck-cohorts';
import { OPEN_STATUSES, type ObligationView } from '../domain/obligations';
import { columns } from './table';

/** The status as a responder reads it; time left is computed on the reader's clock. */
export function formatStatus(status: BreachStatus, now: Date, stuck: StuckCohort[] = []): string {
  const deadline = new Date(status.deadline);
  const lines = [
    headline(status, now),
    ...holdBanner(status),
    `Next: ${nextStep(status, stuck)}`,
    `Breach ${status.breachId}: ${status.title}`,
    `  phase:      ${status.phase}`,
    `  aware at:   ${status.awareAt}`,
    `  deadline:   ${status.deadline} (${status.authorityNotice ? 'notice recorded' : describeTimeLeft(deadline, now)})`,
    `  risk:       ${status.risk ? describeAssessment(status) : 'not assessed yet'}`,
    `  authority:  ${describeNotice(status)}`,
  ];
  if (status.lateReason) lines.push(`  late reason: ${status.lateReason.reason} (${status.lateReason.by})`);
  if (status.obligations) lines.push(...obligationTable(status.obligations, now));
  for (const s of status.supplements) lines.push(`  supplement ${s.sequence}: sent ${s.sentAt} by ${s.by} (${s.messageId ?? s.portalReference})`);
  lines.push(`  holds:      ${status.holds.active.length} active, ${status.holds.released.length} released`);
  for (const hold of [...status.holds.active, ...status.holds.released]) lines.push(`    ${describeHold(hold, now)}`);
  const delivered = status.reminders.filter((r) => r.delivered).length;
  lines.push(`  reminders:  ${delivered} sent${status.reminders.length > delivered ? `, ${status.reminders.length - delivered} failed` : ''}`);
  lines.push(...describeIndividuals(status, now));
  for (const f of status.channelFailures) {
    lines.push(`  ${f.channel} channel failing since ${f.since} (${f.cohorts} cohort${f.cohorts === 1 ? '' : 's'}): ${f.reason}`);
  }
  if (status.fanOutError) lines.push(`  fan-out stopped: ${status.fanOutError}`);
  for (const s of stuck) {
    lines.push(`  cohort ${s.cohort} (${s.workflowId}) was ${s.ended} before its people had a final state; their notification will not finish`);
    lines.push(`    until it is started again (breach cohort retry ${status.breachId} ${s.cohort}) or its people are resolved by hand (breach subject resolve)`);
  }
  for (const u of status.unreachableSubjects) lines.push(`    unreachable ${u.subjectId}: ${u.reasons?.join('; ') ?? 'no reason recorded'}`);
  if (status.closed) lines.push(`  closed:     ${status.closed.at} by ${status.closed.by}`);
  return lines.join('\n');
}

/**
 * Where the people stand: not contacted yet, being sent, sent and waiting for delivery reports,
 * paused while a hold is in force, notified by channel, unreachable; with an estimate of when
 * everyone will have been contacted, from the rate so far.
 */
function describeIndividuals(status: BreachStatus, now: Date): string[] {
  const i = status.individuals;
  const final = i.notifiedByEmail + i.notifiedByFax + i.notifiedByPostal + i.unreachable;
  const notified = `notified ${i.notifiedByEmail} by email / ${i.notifiedByFax} by fax / ${i.notifiedByPostal} by post, ${i.unreachable} unreachable`;
  if (i.sending === undefined) return [`  individuals: ${i.pending} pending, ${i.inProgress} in progress, ${notified}`];
  const held = status.holds.active.length > 0 && i.pending + i.sending! > 0;
  const lines = [
    `  individuals: ${i.pending} not contacted yet, ${i.sending} being sent, ${i.awaitingReports} sent and waiting for delivery reports, ${notified}`,
  ];
  if (held) lines.push(`    PAUSED by the hold: ${i.pending + i.sending!} not yet sent wait for its release`);
  const eta = contactedBy(status, now, final);
  if (eta && !held) lines.push(`    ETA: everyone contacted by about ${eta}`);
  return lines;
}

/** When, at the rate since notifying began, nobody will be left to contact; undefined when it cannot be said yet. */
function contactedBy(status: BreachStatus, now: Date, final: number): string | undefined {
  const i = status.individuals;
  const left = i.pending + (i.sending ?? 0);
  if (!status.fanOutStartedAt || left === 0) return undefined;
  const contacted = i.awaitingReports! + final;
  const elapsed = now.getTime() - Date.parse(status.fanOutStartedAt);
  if (contacted === 0 || elapsed <= 0) return undefined;
  const at = new Date(now.getTime() + (left * elapsed) / contacted);
  return `${at.toUTCString().slice(0, -7)} UTC (${Math.round((contacted / elapsed) * 60_000)} people a minute so far)`;
}

/** The first line: how long until the authority deadline, or how late, or what settled it. */
function headline(status: BreachStatus, now: Date): string {
  const deadline = new Date(status.deadline);
  // "Thu, 03 Dec 2026 08:00:00 GMT" without its seconds.
  const when = `${deadline.toUTCString().slice(0, -7)} UTC`;
  if (status.closed) return `CLOSED at ${status.closed.at} by ${status.closed.by}`;
  const notice = status.authorityNotice;
  if (notice) return `Authority notified at ${notice.sentAt}, ${notice.onTime ? 'on time' : 'LATE'} (deadline ${when})${nextObligation(status, now)}`;
  if (status.risk === 'unlikely') return `No authority notice due: the risk is assessed as unlikely (deadline would have been ${when})`;
  const left = describeTimeLeft(deadline, now);
  return left.startsWith('overdue') ? `LATE: the authority deadline passed ${left.replace('overdue by ', '')} ago (${when})` : `DEADLINE in ${left.replace(' left', '')}: ${when}`;
}

/** Once the authority is notified, the next deadline that matters is an obligation's. */
function nextObligation(status: BreachStatus, now: Date): string {
  const next = status.obligations?.find((v) => v.deadline && v.status !== 'held' && OPEN_STATUSES.includes(v.status));
  if (!next) return '';
  const left = describeTimeLeft(new Date(next.deadline!), now);
  return `; NEXT DEADLINE ${next.id} ${left.startsWith('overdue') ? `passed, ${left}` : `in ${left.replace(' left', '')}`} (${new Date(next.deadline!).toUTCString().slice(0, -7)} UTC)`;
}

function holdBanner(status: BreachStatus): string[] {
  const active = status.holds.active;
  if (active.length === 0) return [];
  return [`HOLD ACTIVE: no individual is contacted while ${active.map((h) => `${h.holdId} (${h.agency})`).join(', ')} ${active.length === 1 ? 'is' : 'are'} in force`];
}

/** What the responder does next, with the command to type. */
function nextStep(status: BreachStatus, stuck: StuckCohort[]): string {
  const id = status.breachId;
  const release = () => `breach hold release ${id} ${status.holds.active[0]!.holdId} --reason "…" --by "…" once the agency agrees`;
  const close = () => (status.holds.active.length ? `release the holds first: ${release()}` : `breach close ${id} --by "…"`);
  switch (status.phase) {
    case 'awaiting-assessment':
      return `breach assess ${id} --risk unlikely|risk|high --rationale "…" --by "…" (scoring flags: see breach assess --help)`;
    case 'notifying-authority':
      return status.authorityNoticeSending ? 'check the SMTP relay: the report to the authority is being retried (see authority below)' : 'nothing: the report to the authority is being sent';
    case 'notice-held':
      return `the authority notice waits for the hold: ${release()}`;
    case 'awaiting-late-reason':
      return `breach late-reason ${id} --reason "…" --by "…": the report goes out with it`;
    case 'awaiting-portal-submission':
      return `submit the report on the authority's portal, then breach portal ${id} --reference … --by "…"`;
    case 'notifying-individuals':
      if (stuck.length) return `breach cohort retry ${id} ${stuck[0]!.cohort} --reason "…" --by "…" (or resolve its people by hand)`;
      if (status.holds.active.length) return `individuals wait for the hold: ${release()}`;
      return `nothing: ${status.individuals.inProgress + status.individuals.pending} individual(s) still being notified`;
    case 'notification-stopped':
      return `fix the cause (${status.fanOutError}) or breach close ${id} --accept-incomplete --reason "…" --by "…"`;
    case 'closed':
      return 'nothing: the breach is closed';
    default: {
      // What a responder can act on comes first; a held obligation waits for its hold.
      const open = status.obligations?.find((v) => v.status === 'due' || v.status === 'late') ?? status.obligations?.find((v) => OPEN_STATUSES.includes(v.status));
      return open ? obligationStep(id, open) : close();
    }
  }
}

/** The obligations as a table ordered by deadline, with time left on the reader's clock. */
function obligationTable(views: ObligationView[], now: Date): string[] {
  const rows = views.map((v) => [
    v.id,
    v.deadline ?? 'no fixed date',
    v.deadline && OPEN_STATUSES.includes(v.status) ? describeTimeLeft(new Date(v.deadline), now) : '',
    v.status.toUpperCase(),
    obligationNote(v),
  ]);
  const table = columns([['OBLIGATION', 'DEADLINE', 'TIME', 'STATUS', 'NOTE'], ...rows]);
  return ['  obligations (by deadline):', ...table.split('\n').map((line) => `    ${line}`)];
}

function obligationNote(v: ObligationView): string {
  if (v.completion && v.status === 'done') return `${v.completion.reference} at ${v.completion.at}${v.completion.onTime ? '' : `, LATE${v.completion.lateReason ? `: ${v.completion.lateReason}` : ''}`}`;
  if (v.reason) return v.reason;
  return `to ${v.recipient} (${v.citation}), from ${v.counts}`;
}

function obligationStep(id: string, v: ObligationView): string {
  if (v.status === 'awaiting-anchor') return `${v.id} ${v.reason}`;
  if (v.status === 'held') return `${v.id} waits for the hold; release it once the agency agrees`;
  if (v.status === 'awaiting-assessment') return `assess the breach: ${v.id} depends on the risk`;
  return `notify ${v.recipient} (${v.citation}), then breach obligation record ${id} ${v.id} --reference … --by "…"`;
}

function describeAssessment(status: BreachStatus): string {
  const last = status.assessments[status.assessments.length - 1]!;
  const scored = last.severity ? `; ${describeSeverity(last.severity)}${last.belowRecommendation ? `; below it because: ${last.belowRecommendation}` : ''}` : '';
  return `${last.risk} (by ${last.by} at ${last.at}: ${last.rationale}${scored})`;
}

function describeNotice(status: BreachStatus): string {
  const notice = status.authorityNotice;
  if (!notice && status.authorityNoticeFailure) return `not notified; mail refused: ${status.authorityNoticeFailure}`;
  const sending = status.authorityNoticeSending;
  if (!notice && sending) return `not notified; sending the report has failed since ${sending.failingSince} (${sending.attempts} attempts, retrying): ${sending.lastError}`;
  if (!notice) return 'not notified yet';
  const how = notice.channel === 'email' ? `by email, Message-ID ${notice.messageId}` : `on the portal, reference ${notice.portalReference}`;
  return `notified ${notice.sentAt} ${how}, ${notice.onTime ? 'on time' : `LATE (reason: ${notice.lateReason ?? 'none given'})`}`;
}

function describeHold(hold: Hold, now: Date): string {
  const state = hold.release ? `released ${hold.release.at} by ${hold.release.by}: ${hold.release.reason}` : 'ACTIVE';
  const overdue = !hold.release && hold.reviewAt && Date.parse(hold.reviewAt) <= now.getTime() ? ' (OVERDUE: confirm or release)' : '';
  const review = hold.reviewAt ? `, review ${hold.reviewAt}${overdue}` : hold.release ? '' : ', no review date';
  const lastReview = hold.reviews?.at(-1);
  const reviewed = lastReview ? `; last reviewed ${lastReview.at} by ${lastReview.by} (${lastReview.kind})` : '';
  const form = hold.form ? `, ${hold.form}${hold.writtenStatement ? ` (statement ${hold.writtenStatement.at})` : ''}` : '';
  const regimes = hold.regimes ? `; delays ${hold.regimes.filter((r) => !hold.lapsed?.some((l) => l.regime === r)).join(', ') || 'nothing'}` : '';
  const lapsed = hold.lapsed?.length ? `; lapsed under ${hold.lapsed.map((l) => `${l.regime} at ${l.at}`).join(', ')}` : '';
  return `${hold.holdId} ${hold.agency} case ${hold.caseRef}${form}, placed ${hold.placedAt} by ${hold.by}${review}${reviewed}${regimes}${lapsed}: ${state}\n      reason: ${hold.reason}`;
}
