import type { Assessment, BreachFacts } from './breach';

/** Who the company is, as the report names it (`controller` in temporal.yaml). */
export interface ReportController {
  name: string;
  address?: string;
  phone?: string;
  website?: string;
  dpo?: string;
}

export interface AuthorityReportInput {
  facts: BreachFacts;
  assessment: Assessment;
  authorityName: string;
  deadline: string;
  reportedAt: string;
  lateReason?: string;
  controller?: ReportController;
  discoveredAt?: string;
  individuals?: string;
}

/**
 * Renders the Art. 33(3) notification. Each heading names the paragraph it satisfies so that the
 * authority, and later an auditor, can check that nothing the law requires is missing.
 */
export function renderAuthorityReport(input: AuthorityReportInput): { subject: string; text: string } {
  const { facts, assessment } = input;
  const c = input.controller;
  const late = input.lateReason !== undefined;
  const sections = [
    `To: ${input.authorityName}`,
    `Notification of a personal data breach under Article 33 GDPR${late ? ' (LATE: the reasons for the delay are below)' : ''}`,
    `Breach reference: ${facts.breachId}`,
    `Title: ${facts.title}`,
    ...(facts.occurredFrom ? [`Breach occurred: from ${facts.occurredFrom}${facts.occurredUntil ? ` until ${facts.occurredUntil}` : ', end not yet known'}`] : ['Breach occurred: dates not yet known']),
    ...(input.discoveredAt && input.discoveredAt !== facts.awareAt ? [`Discovered at: ${input.discoveredAt}`] : []),
    `Became aware at: ${facts.awareAt}`,
    `Notification deadline: ${input.deadline}`,
    `Reported at: ${input.reportedAt}`,
    ...(c ? ['', 'Controller', c.name, ...[c.address, c.phone && `Telephone: ${c.phone}`, c.website && `Website: ${c.website}`].filter((line): line is string => Boolean(line))] : []),
    '',
    'Art. 33(3)(a) Nature of the breach',
    facts.description,
    `Categories of personal data concerned: ${facts.dataCategories.join(', ')}`,
    `Categories of data subjects concerned: ${facts.subjectCategories?.join(', ') ?? 'not stated'}`,
    `Approximate number of data subjects concerned: ${facts.approxSubjects}`,
    `Approximate number of personal data records concerned: ${facts.approxRecords}`,
    '',
    'Art. 33(3)(b) Contact point',
    ...(c?.dpo ? [`Data protection officer: ${c.dpo}`] : []),
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
    ...(input.individuals ? ['', 'Communication to the data subjects (Art. 34)', input.individuals] : []),
  ];
  if (input.lateReason !== undefined) {
    sections.push('', 'Art. 33(1) Reasons for the delay', input.lateReason);
  }
  return {
    subject: `${late ? 'LATE ' : ''}Personal data breach notification${c ? ` from ${c.name}` : ''}: ${facts.breachId}`,
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
