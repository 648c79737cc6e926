import { tsToDate } from '@temporalio/common/lib/time';
import type { NotifyIndividualResult } from '../domain/cascade';
import { firstPayload, UpdatePairing } from './history-events';
import type { AuditEntry } from './export-schema';
import type { RunHistory } from './history-events';

/**
 * Every attempt to reach one person, from the history of their NotifyIndividual workflow: what
 * each provider accepted (ids, SMTP reply, content hash), what failed and why, the delivery
 * reports that came back, and the final state.
 */
export function buildSubjectTimeline(runs: RunHistory[]): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (const run of runs) {
    const scheduled = new Map<string, string>();
    const updates = new UpdatePairing();
    for (const event of run.events) {
      const add = (kind: string, summary: string, extra: Partial<AuditEntry> = {}) =>
        entries.push({ at: tsToDate(event.eventTime!).toISOString(), kind, summary, runId: run.runId, eventId: String(event.eventId), ...extra });

      const activity = event.activityTaskScheduledEventAttributes;
      if (activity) scheduled.set(String(event.eventId), activity.activityType?.name ?? '');

      const done = event.activityTaskCompletedEventAttributes;
      if (done) {
        const type = scheduled.get(String(done.scheduledEventId));
        const result = firstPayload<Record<string, string>>(done.result) ?? {};
        if (type === 'sendNoticeEmail') add('email-accepted', `Message-ID ${result.messageId}; SMTP reply "${result.smtpReply}"; content SHA-256 ${result.contentSha256}`);
        if (type === 'sendNoticeFax') add('fax-accepted', `fax ${result.faxId}; content SHA-256 ${result.contentSha256}`);
        if (type === 'faxStatus' && result.status !== 'pending') add(`fax-${result.status}`, `status ${result.providerStatus}${result.failureReason ? `: ${result.failureReason}` : ''}`);
        if (type === 'sendNoticeLetter') add('postal-accepted', `letter ${result.letterId}; expected delivery ${result.expectedDeliveryDate ?? 'unknown'}; content SHA-256 ${result.contentSha256}`);
      }

      const failed = event.activityTaskFailedEventAttributes;
      if (failed) add(`${channelOf(scheduled.get(String(failed.scheduledEventId)))}-failed`, failed.failure?.message ?? 'failed');

      const update = updates.observe(event);
      if (update && !update.failure) {
        add(`${update.request.channel}-report`, `delivery report: ${update.request.reason}`, { actor: update.actor, identity: update.identity });
      }

      const closed = event.workflowExecutionCompletedEventAttributes;
      if (closed) {
        const result = firstPayload<NotifyIndividualResult>(closed.result);
        const skipped = result?.attempts.filter((a) => a.outcome === 'skipped').map((a) => a.channel) ?? [];
        add('final', `${result?.state}${skipped.length ? `; skipped for lack of contact data: ${skipped.join(', ')}` : ''}`);
      }
    }
  }
  return entries;
}

function channelOf(activityType: string | undefined): string {
  if (activityType === 'sendNoticeEmail') return 'email';
  if (activityType === 'sendNoticeFax' || activityType === 'faxStatus') return 'fax';
  if (activityType === 'sendNoticeLetter') return 'postal';
  return 'activity';
}
