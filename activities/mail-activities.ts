import { ApplicationFailure } from '@temporalio/activity';
import { parseISO } from 'date-fns/parseISO';
import type { EngineConfig } from '../config/schema';
import { renderAuthorityReport, renderSupplementReport } from '../domain/authority-report';
import { authorityReportMessageId, supplementMessageId, type AuthorityReportRequest, type AuthorityReportSent } from '../domain/authority-notice';
import type { BreachFacts } from '../domain/breach';
import { isPastDeadline, type ReminderKind } from '../domain/deadline';
import { LATE_REASON_NEEDED } from '../domain/failures';
import type { Hold } from '../domain/holds';
import type { ObligationView } from '../domain/obligations';
import type { BreachPhase } from '../domain/status';
import { createHash } from 'node:crypto';
import { renderNoticePdf } from './channels/notice-pdf';
import { messageIdDomain, sendMail, type MailTransport } from './smtp';

export interface SupplementReportRequest {
  facts: BreachFacts;
  sequence: number;
  information: string;
  firstReportMessageId?: string;
  reportedAt: string;
}

export interface ResponderReminderRequest {
  facts: BreachFacts;
  kind: ReminderKind;
  hoursBeforeDeadline: number;
  /** When the checkpoint fell due; makes the Message-ID the same on a retry. */
  dueAt: string;
  deadline: string;
  phase: BreachPhase;
}

export interface HoldReviewReminderRequest {
  facts: BreachFacts;
  hold: Hold;
}

export interface ObligationReminderRequest {
  facts: BreachFacts;
  kind: ReminderKind;
  /** The obligation as it stood when the checkpoint fell due: recipient, citation and deadline, never personal data. */
  obligation: Pick<ObligationView, 'id' | 'recipient' | 'citation' | 'deadline' | 'status' | 'completedBy'>;
  dueAt: string;
}

export interface HoldLapseReminderRequest {
  facts: BreachFacts;
  hold: Hold;
  regime: string;
  lapsesAt: string;
}

/** What time it is where the deadline is judged: the system clock, or the test server's in time-skipping tests. */
export type Clock = () => Promise<Date>;
const systemClock: Clock = async () => new Date();

/** Activities that speak to the authority, the responders and legal by mail. */
export function createMailActivities(config: EngineConfig, transport: MailTransport, clock: Clock = systemClock) {
  const from = config.notifications.from;
  const domain = messageIdDomain(from);
  const authorityAddress = (): string[] => (config.authority.email ? [config.authority.email] : []);

  return {
    /**
     * Stamps the report with the time of this attempt, so that a report sent after an outage says
     * when it was really sent; a report that would be late carries the reason for the delay, and
     * without one it is not sent at all (the breach asks for the reason and sends it again).
     */
    async sendAuthorityReport(request: AuthorityReportRequest): Promise<AuthorityReportSent> {
      const messageId = authorityReportMessageId(request.facts.breachId, domain);
      const reportedAt = await clock();
      const late = isPastDeadline(parseISO(request.deadline), reportedAt);
      if (late && !request.lateReason) {
        throw ApplicationFailure.nonRetryable(`the report would reach the authority after the deadline (${request.deadline}) without the reason for the delay`, LATE_REASON_NEEDED);
      }
      const lateReason = late ? request.lateReason : undefined;
      const report = renderAuthorityReport({ ...request, reportedAt: reportedAt.toISOString(), lateReason, authorityName: config.authority.name, controller: config.controller });
      const pdf = await renderNoticePdf({ ...report, html: '', contentSha256: createHash('sha256').update(report.text).digest('hex') });
      await sendMail(transport, { from, to: authorityAddress(), messageId, ...report, attachments: [{ filename: `breach-notification-${request.facts.breachId}.pdf`, content: pdf, contentType: 'application/pdf' }] });
      return { messageId, reportedAt: reportedAt.toISOString(), acceptedAt: (await clock()).toISOString(), ...(lateReason ? { lateReason } : {}) };
    },

    async sendSupplementReport(request: SupplementReportRequest): Promise<{ messageId: string }> {
      const messageId = supplementMessageId(request.facts.breachId, request.sequence, domain);
      const report = renderSupplementReport({ ...request, authorityName: config.authority.name });
      await sendMail(transport, { from, to: authorityAddress(), messageId, inReplyTo: request.firstReportMessageId, ...report });
      return { messageId };
    },

    async sendResponderReminder(request: ResponderReminderRequest): Promise<void> {
      const { facts } = request;
      const headline =
        request.kind === 'reminder'
          ? `${request.hoursBeforeDeadline} hours left to notify the authority`
          : request.kind === 'escalation'
            ? 'ESCALATION: the authority deadline has been reached'
            : 'OVERDUE: the authority has still not been notified';
      await sendMail(transport, {
        from,
        to: config.notifications.responders,
        messageId: `<${request.kind}.${Date.parse(request.dueAt)}.${encodeURIComponent(facts.breachId)}@${domain}>`,
        subject: `[${facts.breachId}] ${headline}`,
        text: [
          headline,
          `Breach: ${facts.breachId} (${facts.title})`,
          `Deadline: ${request.deadline}`,
          `Current phase: ${request.phase}`,
          `Next step: ${nextStep(request.phase)}`,
        ].join('\n'),
      });
    },

    async sendHoldReviewReminder({ facts, hold }: HoldReviewReminderRequest): Promise<void> {
      await sendMail(transport, {
        from,
        to: config.notifications.legal ?? config.notifications.responders,
        messageId: `<hold-review.${hold.holdId}.${encodeURIComponent(facts.breachId)}@${domain}>`,
        subject: `[${facts.breachId}] Review of law-enforcement hold ${hold.holdId} is due`,
        text: [
          `The review date of hold ${hold.holdId} on breach ${facts.breachId} has passed.`,
          `Agency: ${hold.agency}; case reference: ${hold.caseRef}; review date: ${hold.reviewAt}`,
          'Confirm with the agency that the hold is still needed, or release it:',
          `  breach hold release ${facts.breachId} ${hold.holdId} --reason TEXT --by NAME`,
        ].join('\n'),
      });
    },

    async sendObligationReminder({ facts, kind, obligation, dueAt }: ObligationReminderRequest): Promise<void> {
      const what = `${obligation.id} (notice to ${obligation.recipient}, ${obligation.citation})`;
      const headline = kind === 'reminder' ? `${what} is due at ${obligation.deadline}` : kind === 'escalation' ? `ESCALATION: the deadline of ${what} has been reached` : `OVERDUE: ${what} is still open`;
      await sendMail(transport, {
        from,
        to: config.notifications.responders,
        messageId: `<${kind}.${obligation.id.replace(':', '.')}.${Date.parse(dueAt)}.${encodeURIComponent(facts.breachId)}@${domain}>`,
        subject: `[${facts.breachId}] ${headline}`,
        text: [
          headline,
          `Breach: ${facts.breachId} (${facts.title})`,
          `Deadline: ${obligation.deadline}`,
          obligation.completedBy === 'submission'
            ? `Once it is submitted: breach obligation record ${facts.breachId} ${obligation.id} --reference REF --by NAME`
            : 'The engine completes it with its own notices; breach status shows what they wait for.',
        ].join('\n'),
      });
    },

    async sendHoldLapseReminder({ facts, hold, regime, lapsesAt }: HoldLapseReminderRequest): Promise<void> {
      await sendMail(transport, {
        from,
        to: config.notifications.legal ?? config.notifications.responders,
        messageId: `<hold-lapse.${hold.holdId}.${regime}.${Date.parse(lapsesAt)}.${encodeURIComponent(facts.breachId)}@${domain}>`,
        subject: `[${facts.breachId}] Hold ${hold.holdId} stops delaying ${regime} notices at ${lapsesAt}`,
        text: [
          `Hold ${hold.holdId} on breach ${facts.breachId} was requested ${hold.form === 'oral' ? 'orally' : 'in writing'} by ${hold.agency} (case ${hold.caseRef}).`,
          `Under ${regime} it stops delaying notices at ${lapsesAt}, and the notices it delays go out then.`,
          'If the agency confirms the request in writing, record its statement before then:',
          `  breach hold statement ${facts.breachId} ${hold.holdId} --reason TEXT --by NAME`,
        ].join('\n'),
      });
    },
  };
}

export type MailActivities = ReturnType<typeof createMailActivities>;

function nextStep(phase: BreachPhase): string {
  switch (phase) {
    case 'awaiting-assessment':
      return 'assess the risk (breach assess <id> --risk unlikely|risk|high --rationale TEXT --by NAME)';
    case 'awaiting-late-reason':
      return 'give the reason for the delay (breach late-reason <id> --reason TEXT --by NAME)';
    case 'awaiting-portal-submission':
      return "submit the notice on the authority's portal and record it (breach portal <id> --reference REF --by NAME)";
    case 'notice-held':
      return 'a hold delays the notice under the configured policy; release it when allowed';
    default:
      return 'the engine is sending the notice';
  }
}
