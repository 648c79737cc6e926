import type { Assessment, BreachFacts } from './breach';

export interface AuthorityReportInput {
  facts: BreachFacts;
  assessment: Assessment;
  authorityName: string;
  deadline: string;
  reportedAt: string;
  lateReason?: string;
}

/**
 * Renders the Art. 33(3) notification. Each heading names the paragraph it satisfies so that the
 * authority, and later an auditor, can check that nothing the law requires is missing.
 */
export function renderAuthorityReport(input: AuthorityReportInput): { subject: string; text: string } {
  const { facts, assessment } = input;
  const sections = [
    `To: ${input.authorityName}`,
    `Notification of a personal data breach under Article 33 GDPR`,
    `Breach reference: ${facts.breachId}`,
    `Title: ${facts.title}`,
    `Became aware at: ${facts.awareAt}`,
    `Notification deadline: ${input.deadline}`,
    `Reported at: ${input.reportedAt}`,
    '',
    'Art. 33(3)(a) Nature of the breach',
    facts.description,
    `Categories of personal data concerned: ${facts.dataCategories.join(', ')}`,
    `Approximate number of data subjects concerned: ${facts.approxSubjects}`,
    `Approximate number of personal data records concerned: ${facts.approxRecords}`,
    '',
    'Art. 33(3)(b) Contact point',
    facts.contactPoint,
    '',
    'Art. 33(3)(c) Likely consequences',
    facts.likelyConsequences,
    '',
    'Art. 33(3)(d) Measures taken or proposed',
    facts.measures,
    '',
    'Risk assessment',
    `${assessment.risk} (assessed by ${assessment.by} at ${assessment.at}): ${assessment.rationale}`,
  ];
  if (input.lateReason !== undefined) {
    sections.push('', 'Art. 33(1) Reasons for the delay', input.lateReason);
  }
  return {
    subject: `Personal data breach notification: ${facts.breachId}`,
    text: sections.join('\n') + '\n',
  };
}

export interface SupplementReportInput {
  facts: BreachFacts;
  authorityName: string;
  sequence: number;
  information: string;
  firstReportMessageId?: string;
  reportedAt: string;
}

/** Art. 33(4): information provided in phases, each phase referring to the first notification. */
export function renderSupplementReport(input: SupplementReportInput): { subject: string; text: string } {
  const reference = input.firstReportMessageId ?? 'not recorded';
  return {
    subject: `Supplementary information ${input.sequence} on breach ${input.facts.breachId}`,
    text:
      [
        `To: ${input.authorityName}`,
        `Supplementary information under Article 33(4) GDPR, part ${input.sequence}`,
        `Breach reference: ${input.facts.breachId}`,
        `First notification: ${reference}`,
        `Reported at: ${input.reportedAt}`,
        '',
        input.information,
      ].join('\n') + '\n',
  };
}
