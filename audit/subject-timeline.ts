import type { Evidence } from '../domain/batch';
import type { PersonProgress } from '../domain/cascade';
import type { Channel } from '../domain/individuals';
import type { CohortFact, CohortObserver, Where } from './cohort-events';
import type { AuditEntry, EntryFields } from './export-schema';
import { reportText } from './timeline';

/** What makes a resent copy recognisable as the same notice, per channel. */
const SAME_NOTICE: Record<Channel, string> = { email: 'Message-ID', fax: 'client state', postal: 'idempotency key' };

/** What a provider accepted, in words: its id, its reply and the hash of what was sent. */
function acceptedSummary(channel: Channel, evidence: Evidence): string {
  const sent = `content SHA-256 ${evidence.contentSha256}; sent at ${evidence.at}`;
  const accepted =
    channel === 'email'
      ? `Message-ID ${evidence.providerId}; SMTP reply "${evidence.smtpReply}"; ${sent}`
      : channel === 'fax'
        ? `fax ${evidence.providerId}; ${sent}`
        : `letter ${evidence.providerId}; expected delivery ${evidence.expectedDeliveryDate ?? 'unknown'}; ${sent}`;
  // A retried batch skips what its earlier attempts reported, but an attempt that crashed may have sent before reporting.
  const resent = evidence.activityAttempt > 1 ? `; resent by attempt ${evidence.activityAttempt} of its batch; an earlier attempt may have sent a copy with the same ${SAME_NOTICE[channel]}` : '';
  return accepted + resent;
}

/**
 * Every attempt to reach one person, from the history of their cohort: what each provider
 * accepted (ids, SMTP reply, content hash), what was refused or failed and why, the fax statuses
 * and delivery reports that came back, and the final state. Only this person's entries are kept
 * while the cohort's history streams past.
 */
export class SubjectTimeline implements CohortObserver {
  readonly entries: AuditEntry[] = [];
  /** The fax sent to this person whose status has not been final yet. */
  private faxId?: string;

  constructor(private readonly subjectId: string) {}

  fact(fact: CohortFact, where: Where): void {
    const add = (kind: string, summary: string, extra: Pick<AuditEntry, 'actor' | 'identity'> & { fields?: EntryFields } = {}) =>
      void this.entries.push({ at: where.at, kind, summary, runId: where.runId, eventId: where.eventId, ...extra, fields: { subjectId: this.subjectId, ...extra.fields } });
    switch (fact.type) {
      case 'sent':
        if (fact.subjectId !== this.subjectId) return;
        if (fact.channel === 'fax') this.faxId = fact.evidence.providerId;
        return add(`${fact.channel}-accepted`, acceptedSummary(fact.channel, fact.evidence), {
          fields: { channel: fact.channel, providerId: fact.evidence.providerId, contentSha256: fact.evidence.contentSha256, attempt: fact.evidence.activityAttempt },
        });
      case 'refused':
        if (fact.subjectId === this.subjectId) add(`${fact.channel}-failed`, fact.reason, { fields: { channel: fact.channel } });
        return;
      case 'batch-failed':
        if (fact.subjectIds.includes(this.subjectId)) add(`${fact.channel}-failed`, `the batch with this notice failed: ${fact.reason}`, { fields: { channel: fact.channel } });
        return;
      case 'fax-statuses': {
        const status = fact.statuses.find((s) => s.faxId === this.faxId && s.status !== 'pending');
        if (!status) return;
        this.faxId = undefined;
        return add(`fax-${status.status}`, `status ${status.providerStatus}${status.failureReason ? `: ${status.failureReason}` : ''}`, { fields: { channel: 'fax', providerId: status.faxId } });
      }
      case 'report':
        if (fact.report.subjectId === this.subjectId) add(`${fact.report.channel}-report`, `delivery report: ${reportText(fact.report)}`, { actor: fact.actor, identity: fact.identity, fields: { channel: fact.report.channel } });
        return;
      case 'run-started': {
        const { delivered, resume } = fact.input;
        if (resume) return add('cascade-resumed', resumedSummary(resume.find((p) => p.subjectId === this.subjectId)));
        const outcome = delivered?.find((o) => o.subjectId === this.subjectId);
        if (outcome) add('final', `${outcome.state}${outcome.reasons?.length ? `: ${outcome.reasons.join('; ')}` : ''}`, { fields: { state: outcome.state, ...(outcome.reasons?.length ? { reasons: outcome.reasons } : {}) } });
        return;
      }
      default:
        return;
    }
  }
}

/** Where the person's cascade went on from when their cohort's workflow was started again after it ended. */
function resumedSummary(progress: PersonProgress | undefined): string {
  const started = "the cohort's workflow was started again after it ended";
  if (!progress) return `${started}; this subject's cascade started from the beginning`;
  if (progress.resolved) return `${started}; this subject was recorded by hand by ${progress.resolved.by} as ${progress.final}: ${progress.resolved.reason}`;
  if (progress.stage === 'final') return `${started}; this subject kept the final state ${progress.final}`;
  if (progress.stage === 'awaiting') return `${started}; this subject's notice ${progress.providerId} went on waiting for its delivery report`;
  return `${started}; this subject's cascade went on${progress.mayExist ? ', a notice that may have gone out looked up or resent with the same notice id' : ''}`;
}

/** Whether a cohort's roster read lists the subject; `done` once the read has ended either way. */
export class RosterLookup implements CohortObserver {
  done = false;
  found = false;

  constructor(private readonly subjectId: string) {}

  fact(fact: CohortFact): void {
    if (fact.type === 'roster-read') this.found = fact.subjectIds.includes(this.subjectId);
    this.done ||= fact.type === 'roster-read' || fact.type === 'roster-failed';
  }
}
