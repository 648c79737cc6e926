/**
 * The ENISA 2013 severity score, from the methodology's annexes (../shared/regimes.md §2): the
 * per-criterion values the annexes publish, the end-to-end vectors derived from them (our
 * arithmetic from published components, not ENISA's results), the band edges, the range and the
 * recommendation with the GDPR Art. 34(3) exceptions.
 */
import { describe, expect, it } from 'vitest';
import { assessSeverity, DATA_CATEGORY_BASE, recommend, scoreSeverity, severityProblem, type SeverityInputs } from '../domain/severity';

const none = { confidentiality: 'none', integrity: 'none', availability: 'none', malicious: false, moreThan100People: false, unintelligible: false } as const;
const inputs = (overrides: Partial<SeverityInputs>): SeverityInputs => ({ categories: [{ category: 'simple', adjustment: 0 }], ease: 'maximum', ...none, ...overrides });

describe('ENISA severity', () => {
  it('scores each data category from its base, adjusted for context within 1 to 4 (Annex 1, Table 1)', () => {
    expect(DATA_CATEGORY_BASE).toEqual({ simple: 1, behavioural: 2, financial: 3, sensitive: 4 });
    // Annex 1 A3: names and postal addresses of persons accused of child abuse, simple data raised by 3 to 4.
    expect(scoreSeverity(inputs({ categories: [{ category: 'simple', adjustment: 3, reason: 'persons accused of child abuse' }] })).dpc).toBe(4);
    // A bare account number: financial data lowered by 1 to 2. The highest of several categories counts.
    expect(scoreSeverity(inputs({ categories: [{ category: 'financial', adjustment: -1, reason: 'a bare account number' }, { category: 'behavioural', adjustment: 0 }] })).dpc).toBe(2);
    expect(scoreSeverity(inputs({ categories: [{ category: 'sensitive', adjustment: -3, reason: 'publicly known members' }] })).dpc).toBe(1);
    expect(severityProblem(inputs({ categories: [{ category: 'financial', adjustment: 2, reason: 'x' }] }))).toBe('severity: financial data adjusted by +2 would score 5; a data category scores 1 to 4');
    expect(severityProblem(inputs({ categories: [{ category: 'behavioural', adjustment: 1 }] }))).toBe(
      'severity: the adjustment of behavioural data by +1 needs its reason (ENISA: any change from the base score has to be explained)',
    );
    expect(severityProblem(inputs({ categories: [] }))).toBe('severity: at least one data category is needed');
  });

  it('takes ease of identification in quarters and adds the circumstances (Annexes 2 and 3)', () => {
    expect(['negligible', 'limited', 'significant', 'maximum'].map((ease) => scoreSeverity(inputs({ ease: ease as SeverityInputs['ease'] })).ei)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(scoreSeverity(inputs({ confidentiality: 'known-recipients' })).cb).toBe(0.25);
    expect(scoreSeverity(inputs({ confidentiality: 'unknown-recipients', integrity: 'not-recoverable', availability: 'temporary', malicious: true })).cb).toBe(1.75);
  });

  it.each([
    ['V1: names + DOB + e-mail, known recipients', inputs({ confidentiality: 'known-recipients' }), 1.25, 'low'],
    ['V2: full card data, message board, malicious', inputs({ categories: [{ category: 'financial', adjustment: 1, reason: 'full details usable for transactions' }], confidentiality: 'unknown-recipients', malicious: true }), 5, 'very-high'],
    ['V3: a year of call history, primary e-mail, laptop lost', inputs({ categories: [{ category: 'behavioural', adjustment: 1, reason: 'a year of calls' }], ease: 'significant' }), 2.25, 'medium'],
    ['V4: blood test results by code, CD sold by an employee', inputs({ categories: [{ category: 'sensitive', adjustment: 0 }], ease: 'negligible', confidentiality: 'unknown-recipients', malicious: true }), 2, 'medium'],
    ['V5: the maximum', inputs({ categories: [{ category: 'sensitive', adjustment: 0 }], confidentiality: 'unknown-recipients', integrity: 'not-recoverable', availability: 'full', malicious: true }), 6, 'very-high'],
    ['the minimum', inputs({ ease: 'negligible' }), 0.25, 'low'],
  ])('%s: SE %s', (_name, given, se, band) => {
    expect(scoreSeverity(given)).toMatchObject({ se, band });
  });

  it('puts the band edges 2, 3 and 4 exactly in the higher band, just below in the lower', () => {
    const se = (dpc: 1 | 2 | 3 | 4, ease: SeverityInputs['ease'], extra: Partial<SeverityInputs> = {}) =>
      scoreSeverity(inputs({ categories: [{ category: (['simple', 'behavioural', 'financial', 'sensitive'] as const)[dpc - 1]!, adjustment: 0 }], ease, ...extra }));
    expect(se(2, 'maximum')).toMatchObject({ se: 2, band: 'medium' });
    expect(se(1, 'maximum', { confidentiality: 'unknown-recipients', availability: 'temporary' })).toMatchObject({ se: 1.75, band: 'low' });
    expect(se(3, 'maximum')).toMatchObject({ se: 3, band: 'high' });
    expect(se(2, 'maximum', { confidentiality: 'unknown-recipients', availability: 'temporary' })).toMatchObject({ se: 2.75, band: 'medium' });
    expect(se(4, 'maximum')).toMatchObject({ se: 4, band: 'very-high' });
    expect(se(4, 'significant', { availability: 'temporary' })).toMatchObject({ se: 3.25, band: 'high' });
    expect(se(3, 'significant', { confidentiality: 'unknown-recipients', integrity: 'recoverable', availability: 'temporary' })).toMatchObject({ se: 3.25, band: 'high' });
  });

  it('recommends a decision by band, and the Art. 34(3) exceptions change the one to tell individuals', () => {
    const high = scoreSeverity(inputs({ categories: [{ category: 'sensitive', adjustment: 0 }] }));
    expect(recommend(scoreSeverity(inputs({ ease: 'negligible' })), inputs({}))).toEqual({ risk: 'unlikely', exceptions: [], publicCommunication: false });
    expect(recommend(scoreSeverity(inputs({ categories: [{ category: 'behavioural', adjustment: 0 }] })), inputs({}))).toMatchObject({ risk: 'risk' });
    expect(recommend(high, inputs({}))).toEqual({ risk: 'high', exceptions: [], publicCommunication: false });
    expect(recommend(high, inputs({ unintelligible: true }))).toEqual({ risk: 'risk', exceptions: ['a'], publicCommunication: false });
    expect(recommend(high, inputs({ subsequentMeasures: 'all passwords reset before use' }))).toEqual({ risk: 'risk', exceptions: ['b'], publicCommunication: false });
    expect(recommend(high, inputs({ disproportionateEffort: 'contact details were lost' }))).toEqual({ risk: 'high', exceptions: ['c'], publicCommunication: true });
    // The map is the company's policy (ENISA sets no thresholds): here medium already tells individuals.
    expect(recommend(scoreSeverity(inputs({ categories: [{ category: 'behavioural', adjustment: 0 }] })), inputs({}), { low: 'risk', medium: 'high', high: 'high', 'very-high': 'high' })).toMatchObject({ risk: 'high' });
    expect(assessSeverity(inputs({})).recommended.risk).toBe('unlikely');
  });
});
