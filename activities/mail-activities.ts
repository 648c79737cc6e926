import type { EngineConfig } from '../config/schema';
import { renderAuthorityReport, renderSupplementReport } from '../domain/authority-report';
import { authorityReportMessageId, supplementMessageId } from '../domain/authority-notice';
import type { Assessment, BreachFacts } from '../domain/breach';
import type { ReminderKind } from '../domain/deadline';
import type { Hold } from '../domain/holds';
import type { BreachPhase } from '../domain/status';
import { messageIdDomain, sendMail, type MailTransport } from './smtp';

export interface AuthorityReportRequest {
  facts: BreachFacts;
  assessment: Assessment;
  deadline: string;
  reportedAt: string;
  lateReason?: string;
}

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

/** Activities that speak to the authority, the responders and legal by mail. */
export function createMailActivities(config: EngineConfig, transport: MailTransport) {
  const from = config.notifications.from;
  const domain = messageIdDomain(from);
  const authorityAddress = (): string[] => (config.authority.email ? [config.authority.email] : []);

  return {
    async sendAuthorityReport(request: AuthorityReportRequest): Promise<{ messageId: string }> {
      const messageId = authorityReportMessageId(request.facts.breachId, domain);
      const report = renderAuthorityReport({ ...request, authorityName: config.authority.name });
      await sendMail(transport, { from, to: authorityAddress(), messageId, ...report });
      return { messageId };
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
