/**
 * The built-in rule packs, from the rule tables in `regimes.md` (research notes with citations,
 * not legal advice): counsel should confirm each pack, and `temporal.yaml` can override any field.
 * The EU list is the EEA, where the GDPR applies.
 */
import type { RulePackDefinition } from './rule-pack';

type RuleDefinition = RulePackDefinition['obligations'][number];

const EEA = ['AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE', 'IS', 'LI', 'NO'];

/** The kinds of data that make up "personal information" in the US state statutes, beside a name. */
const STATE_PERSONAL_INFORMATION = ['ssn', 'government-id', 'financial-account', 'payment-card', 'credentials', 'biometric', 'medical', 'phi'] as const;

const residents = (state: string, citation: string, days: number | undefined, extra: Partial<RuleDefinition> = {}): RuleDefinition => ({
  key: 'residents',
  recipient: `affected residents of ${state}`,
  citation,
  ...(days ? { deadline: { amount: days, unit: 'calendar-days' as const } } : {}),
  anchor: { event: 'discovery' },
  trigger: { dataTypes: [...STATE_PERSONAL_INFORMATION], unlessUnintelligible: true },
  completedBy: 'individual-notices',
  ...extra,
});

/** The states' substitute notice when there are too many people to reach one by one (cost above $250,000 is recorded by hand). */
const stateSubstitute = (citation: string, above: number): RuleDefinition => ({
  key: 'substitute-notice',
  recipient: 'the public (substitute notice)',
  citation,
  anchor: { event: 'discovery' },
  trigger: { residentsAtLeast: above + 1, dataTypes: [...STATE_PERSONAL_INFORMATION], unlessUnintelligible: true },
  completedBy: 'submission',
  means: 'e-mail to those with an address, a conspicuous posting on the website, and notice to major statewide media',
});

const STATE_NOTICE = { channels: ['email', 'postal'], emailNeedsConsent: false, requiredElements: [], forbiddenElements: [] } satisfies RulePackDefinition['notice'];

export const BUILT_IN_PACKS: RulePackDefinition[] = [
  {
    id: 'gdpr',
    name: 'GDPR (Regulation (EU) 2016/679)',
    timeZone: 'Europe/Brussels',
    jurisdiction: EEA,
    obligations: [
      { key: 'authority', recipient: 'the competent supervisory authority', citation: 'GDPR Art. 33(1)', deadline: { amount: 72, unit: 'hours' }, anchor: { event: 'awareness' }, trigger: { minRisk: 'risk' }, completedBy: 'authority-notice' },
      { key: 'data-subjects', recipient: 'the data subjects', citation: 'GDPR Art. 34(1)', anchor: { event: 'awareness' }, trigger: { minRisk: 'high', unlessUnintelligible: true }, completedBy: 'individual-notices' },
      {
        key: 'public-communication',
        recipient: 'the public (instead of individual communication)',
        citation: 'GDPR Art. 34(3)(c)',
        anchor: { event: 'awareness' },
        trigger: { minRisk: 'high', disproportionateEffort: true },
        completedBy: 'submission',
        means: 'a public communication or similar measure that informs the data subjects in an equally effective manner',
      },
    ],
    // Recitals 86 and 88: the communication to data subjects may wait for law enforcement; the authority clock never does.
    lawEnforcement: { delays: ['data-subjects'], forms: ['written', 'oral'] },
    notice: { channels: ['email', 'fax', 'postal'], emailNeedsConsent: false, requiredElements: ['nature', 'contact-point', 'likely-consequences', 'measures'], forbiddenElements: [] },
  },
  {
    id: 'uk-gdpr',
    name: 'UK GDPR and Data Protection Act 2018',
    timeZone: 'Europe/London',
    jurisdiction: ['GB'],
    obligations: [
      { key: 'ico', recipient: "the Information Commissioner's Office", citation: 'UK GDPR Art. 33(1)', deadline: { amount: 72, unit: 'hours' }, anchor: { event: 'awareness' }, trigger: { minRisk: 'risk' }, completedBy: 'submission' },
      { key: 'data-subjects', recipient: 'the data subjects', citation: 'UK GDPR Art. 34(1)', anchor: { event: 'awareness' }, trigger: { minRisk: 'high', unlessUnintelligible: true }, completedBy: 'individual-notices' },
    ],
    lawEnforcement: { delays: ['data-subjects'], forms: ['written', 'oral'] },
    notice: { channels: ['email', 'fax', 'postal'], emailNeedsConsent: false, requiredElements: ['nature', 'contact-point', 'likely-consequences', 'measures'], forbiddenElements: [] },
  },
  {
    id: 'hipaa',
    name: 'HIPAA Breach Notification Rule (45 CFR 164.400-414)',
    timeZone: 'America/New_York',
    jurisdiction: [],
    obligations: [
      // A breach of unsecured PHI is presumed; the risk assessment of 164.402 can show a low probability of compromise ('unlikely').
      { key: 'individuals', recipient: 'affected individuals', citation: '45 CFR 164.404', deadline: { amount: 60, unit: 'calendar-days' }, anchor: { event: 'discovery' }, trigger: { minRisk: 'risk', dataTypes: ['phi'], unlessUnintelligible: true }, completedBy: 'individual-notices' },
      { key: 'media', recipient: 'prominent media outlets serving the State', citation: '45 CFR 164.406', deadline: { amount: 60, unit: 'calendar-days' }, anchor: { event: 'discovery' }, trigger: { minRisk: 'risk', dataTypes: ['phi'], unlessUnintelligible: true, inOneStateAtLeast: 501 } },
      { key: 'hhs', recipient: 'the Secretary of HHS', citation: '45 CFR 164.408(b)', deadline: { amount: 60, unit: 'calendar-days' }, anchor: { event: 'discovery' }, trigger: { minRisk: 'risk', dataTypes: ['phi'], unlessUnintelligible: true, residentsAtLeast: 500 } },
      { key: 'hhs-annual-log', recipient: 'the Secretary of HHS (annual log of breaches under 500)', citation: '45 CFR 164.408(c)', deadline: { amount: 60, unit: 'calendar-days' }, anchor: { event: 'discovery', fromYearEnd: true }, trigger: { minRisk: 'risk', dataTypes: ['phi'], unlessUnintelligible: true, residentsBelow: 500 } },
      {
        key: 'substitute-notice',
        recipient: 'the public (substitute notice)',
        citation: '45 CFR 164.404(d)(2)(ii)',
        anchor: { event: 'discovery' },
        trigger: { minRisk: 'risk', dataTypes: ['phi'], unreachableAtLeast: 10 },
        means: 'a conspicuous posting on the home page for 90 days or major print or broadcast media where they live, and a toll-free number active for at least 90 days',
      },
    ],
    lawEnforcement: { delays: ['individuals', 'media', 'hhs', 'hhs-annual-log', 'substitute-notice'], forms: ['written', 'oral'], maxDays: { oral: 30 } },
    notice: { channels: ['postal', 'email'], emailNeedsConsent: true, requiredElements: ['what-happened', 'phi-types', 'steps-to-take', 'what-we-are-doing', 'contact-procedures'], forbiddenElements: [] },
  },
  {
    id: 'nydfs',
    name: 'NYDFS Cybersecurity Regulation (23 NYCRR 500)',
    timeZone: 'America/New_York',
    jurisdiction: [],
    obligations: [
      { key: 'superintendent', recipient: 'the Superintendent (DFS portal)', citation: '23 NYCRR 500.17(a)', deadline: { amount: 72, unit: 'hours' }, anchor: { event: 'determination' } },
      { key: 'extortion-payment', recipient: 'the Superintendent (extortion payment)', citation: '23 NYCRR 500.17(c)', deadline: { amount: 24, unit: 'hours' }, anchor: { event: 'extortion-payment' } },
    ],
  },
  {
    id: 'sec',
    name: 'SEC Form 8-K Item 1.05',
    timeZone: 'America/New_York',
    jurisdiction: [],
    holidays: 'us-federal',
    obligations: [{ key: '8-k', recipient: 'the public (Form 8-K on EDGAR)', citation: 'Form 8-K Item 1.05(a)', deadline: { amount: 4, unit: 'business-days' }, anchor: { event: 'materiality-determination' } }],
    // Item 1.05(c): only the U.S. Attorney General, in writing, for up to 30 days at a time.
    lawEnforcement: { delays: ['8-k'], forms: ['written'], maxDays: { written: 30 } },
  },
  {
    id: 'california',
    name: 'California Civil Code 1798.82',
    timeZone: 'America/Los_Angeles',
    jurisdiction: ['US-CA'],
    obligations: [
      residents('California', 'Cal. Civ. Code 1798.82(a)', 30),
      { key: 'attorney-general', recipient: 'the California Attorney General (sample notice)', citation: 'Cal. Civ. Code 1798.82(f)', deadline: { amount: 15, unit: 'calendar-days' }, anchor: { after: 'residents' }, trigger: { residentsAtLeast: 501, dataTypes: [...STATE_PERSONAL_INFORMATION], unlessUnintelligible: true } },
      stateSubstitute('Cal. Civ. Code 1798.82(j)(3)', 500_000),
    ],
    lawEnforcement: { delays: ['residents'], forms: ['written', 'oral'] },
    notice: { ...STATE_NOTICE, requiredElements: ['title-notice-of-data-breach', 'what-happened', 'what-information-was-involved', 'what-we-are-doing', 'what-you-can-do', 'for-more-information'] },
  },
  {
    id: 'new-york',
    name: 'New York General Business Law 899-aa',
    timeZone: 'America/New_York',
    jurisdiction: ['US-NY'],
    obligations: [
      residents('New York', 'N.Y. Gen. Bus. Law 899-aa(2)', 30),
      { key: 'state-agencies', recipient: 'the Attorney General, the Department of State and the State Police', citation: 'N.Y. Gen. Bus. Law 899-aa(8)(a)', anchor: { event: 'discovery' }, trigger: { dataTypes: [...STATE_PERSONAL_INFORMATION], unlessUnintelligible: true } },
      stateSubstitute('N.Y. Gen. Bus. Law 899-aa(5)(d)', 500_000),
    ],
    lawEnforcement: { delays: ['residents'], forms: ['written', 'oral'] },
    notice: STATE_NOTICE,
  },
  {
    id: 'texas',
    name: 'Texas Business and Commerce Code 521.053',
    timeZone: 'America/Chicago',
    jurisdiction: ['US-TX'],
    obligations: [
      residents('Texas', 'Tex. Bus. & Com. Code 521.053(b)', 60, { anchor: { event: 'determination' } }),
      { key: 'attorney-general', recipient: 'the Texas Attorney General (electronic form)', citation: 'Tex. Bus. & Com. Code 521.053(i)', deadline: { amount: 30, unit: 'calendar-days' }, anchor: { event: 'determination' }, trigger: { residentsAtLeast: 250, dataTypes: [...STATE_PERSONAL_INFORMATION], unlessUnintelligible: true } },
      stateSubstitute('Tex. Bus. & Com. Code 521.053(f)', 500_000),
    ],
    lawEnforcement: { delays: ['residents'], forms: ['written', 'oral'] },
    notice: STATE_NOTICE,
  },
  {
    id: 'florida',
    name: 'Florida Statutes 501.171',
    timeZone: 'America/New_York',
    jurisdiction: ['US-FL'],
    obligations: [
      residents('Florida', 'Fla. Stat. 501.171(4)(a)', 30, { anchor: { event: 'determination' }, trigger: { minRisk: 'risk', dataTypes: [...STATE_PERSONAL_INFORMATION], unlessUnintelligible: true } }),
      { key: 'department', recipient: 'the Department of Legal Affairs', citation: 'Fla. Stat. 501.171(3)(a)', deadline: { amount: 30, unit: 'calendar-days' }, anchor: { event: 'determination' }, trigger: { residentsAtLeast: 500, dataTypes: [...STATE_PERSONAL_INFORMATION], unlessUnintelligible: true } },
      stateSubstitute('Fla. Stat. 501.171(4)(f)', 500_000),
    ],
    // 501.171(4)(b): a written request for a specified period.
    lawEnforcement: { delays: ['residents'], forms: ['written'] },
    notice: STATE_NOTICE,
  },
  {
    id: 'colorado',
    name: 'Colorado Revised Statutes 6-1-716',
    timeZone: 'America/Denver',
    jurisdiction: ['US-CO'],
    obligations: [
      residents('Colorado', 'Colo. Rev. Stat. 6-1-716(2)', 30, { anchor: { event: 'determination' }, trigger: { minRisk: 'risk', dataTypes: [...STATE_PERSONAL_INFORMATION], unlessUnintelligible: true } }),
      { key: 'attorney-general', recipient: 'the Colorado Attorney General', citation: 'Colo. Rev. Stat. 6-1-716(2)(f)', deadline: { amount: 30, unit: 'calendar-days' }, anchor: { event: 'determination' }, trigger: { minRisk: 'risk', residentsAtLeast: 500, dataTypes: [...STATE_PERSONAL_INFORMATION], unlessUnintelligible: true } },
      stateSubstitute('Colo. Rev. Stat. 6-1-716(1)(f)', 250_000),
    ],
    lawEnforcement: { delays: ['residents'], forms: ['written', 'oral'] },
    notice: STATE_NOTICE,
  },
  {
    id: 'washington',
    name: 'Revised Code of Washington 19.255.010',
    timeZone: 'America/Los_Angeles',
    jurisdiction: ['US-WA'],
    obligations: [
      residents('Washington', 'RCW 19.255.010(8)', 30, { trigger: { minRisk: 'risk', dataTypes: [...STATE_PERSONAL_INFORMATION], unlessUnintelligible: true } }),
      { key: 'attorney-general', recipient: 'the Washington Attorney General', citation: 'RCW 19.255.010(7)', deadline: { amount: 30, unit: 'calendar-days' }, anchor: { event: 'discovery' }, trigger: { minRisk: 'risk', residentsAtLeast: 501, dataTypes: [...STATE_PERSONAL_INFORMATION], unlessUnintelligible: true } },
      stateSubstitute('RCW 19.255.010(6)(c)', 500_000),
    ],
    lawEnforcement: { delays: ['residents'], forms: ['written', 'oral'] },
    notice: STATE_NOTICE,
  },
  {
    id: 'massachusetts',
    name: 'Massachusetts General Laws ch. 93H',
    timeZone: 'America/New_York',
    jurisdiction: ['US-MA'],
    obligations: [
      residents('Massachusetts', 'M.G.L. c. 93H §3(b)', undefined, { anchor: { event: 'awareness' }, trigger: { minRisk: 'risk', dataTypes: [...STATE_PERSONAL_INFORMATION], unlessUnintelligible: true } }),
      { key: 'attorney-general-and-ocabr', recipient: 'the Attorney General and the Director of OCABR', citation: 'M.G.L. c. 93H §3(b)', anchor: { event: 'awareness' }, trigger: { minRisk: 'risk', dataTypes: [...STATE_PERSONAL_INFORMATION], unlessUnintelligible: true } },
      stateSubstitute('M.G.L. c. 93H §1 (substitute notice)', 500_000),
    ],
    // 93H §4: the agency must have told the Attorney General in writing.
    lawEnforcement: { delays: ['residents', 'attorney-general-and-ocabr'], forms: ['written'] },
    notice: { ...STATE_NOTICE, forbiddenElements: ['nature', 'number-affected'], requiredElements: ['police-report-right', 'security-freeze'] },
  },
];
