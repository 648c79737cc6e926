/**
 * The regimes' obligations as pure rules, without a server: deadlines from their anchors (hours,
 * calendar days and business days across summer time, weekends and US federal holidays), the
 * thresholds that make an obligation appear (249 vs 250 Texans, 500 vs 501 Californians), the
 * substitute notice at its threshold, holds per regime and form, and the breach record's rules
 * for recording anchors, submissions and closing.
 */
import { describe, expect, it } from 'vitest';
import { regimesSchema } from '../config/regimes';
import { breachRegimes, parseResidents } from '../client/breach-regimes';
import { packsInForce } from '../config/load';
import type { BreachWorkflowInput } from '../domain/breach';
import { holdLapses, holdRegimes, holdRegimesProblem } from '../domain/hold-regimes';
import type { Hold } from '../domain/holds';
import { evaluateObligations, obligationFactsProblems, type ObligationFacts, type ObligationSituation } from '../domain/obligations';
import { obligationDeadline, usFederalHolidays } from '../domain/regimes/obligation-deadline';
import type { RulePack } from '../domain/regimes/rule-pack';
import { residenceCode } from '../domain/residence';
import { BreachRecord } from '../workflows/breach-record';
import { breachFacts, testConfig } from './support/engine';

const config = testConfig({ address: 'unused', smtpPort: 25, taskQueue: 'unused' });
const packs = (...ids: string[]): RulePack[] => packsInForce(config, ids.map((id) => config.regimes.packs.find((p) => p.id === id)!));
const pack = (id: string) => packs(id)[0]!;

const AWARE = '2026-11-02T15:00:00.000Z';
const situation = (overrides: Partial<ObligationSituation> = {}): ObligationSituation => ({
  risk: 'high',
  unintelligible: false,
  disproportionateEffort: false,
  anchors: { awareness: { at: AWARE, by: 'x', recordedAt: AWARE }, discovery: { at: AWARE, by: 'x', recordedAt: AWARE } },
  completions: {},
  holds: [],
  unreachable: 0,
  ...overrides,
});
const evaluate = (facts: Partial<ObligationFacts> & Pick<ObligationFacts, 'packs'>, s: Partial<ObligationSituation> = {}, now = new Date(AWARE)) =>
  Object.fromEntries(evaluateObligations({ affected: 1000, ...facts }, situation(s), now).map((v) => [v.id, v]));

describe('deadlines from their anchors', () => {
  it('counts hours as elapsed time across a change to summer time', () => {
    // Brussels moves its clocks forward on 29 March 2026: 72 hours from 10:00 on the 28th end at 11:00 local time on the 31st.
    const deadline = obligationDeadline(new Date('2026-03-28T10:00:00+01:00'), { amount: 72, unit: 'hours' }, pack('gdpr'));
    expect(deadline.toISOString()).toBe('2026-03-31T09:00:00.000Z');
  });

  it("counts calendar days on the regime's own calendar, keeping the time of day across summer time", () => {
    // Los Angeles moves to PDT on 8 March 2026: 30 days from 10:00 PST end at 10:00 PDT, 23 hours of UTC earlier than 30 × 24 h.
    const deadline = obligationDeadline(new Date('2026-03-01T10:00:00-08:00'), { amount: 30, unit: 'calendar-days' }, pack('california'));
    expect(deadline.toISOString()).toBe('2026-03-31T17:00:00.000Z');
  });

  it('counts business days past weekends and US federal holidays (SEC Item 1.05: four business days)', () => {
    // Determined on the Wednesday before Thanksgiving 2026: Thursday is a holiday, then Fri, Mon, Tue, Wed.
    const deadline = obligationDeadline(new Date('2026-11-25T16:00:00-05:00'), { amount: 4, unit: 'business-days' }, pack('sec'));
    expect(deadline.toISOString()).toBe('2026-12-02T21:00:00.000Z');
    // Without the holiday calendar the same four days end on Tuesday.
    expect(obligationDeadline(new Date('2026-11-25T16:00:00-05:00'), { amount: 4, unit: 'business-days' }, { ...pack('sec'), holidays: 'none' }).toISOString()).toBe('2026-12-01T21:00:00.000Z');
  });

  it('knows the federal holidays, with those on a weekend kept on the Friday before or the Monday after (5 U.S.C. 6103)', () => {
    expect([...usFederalHolidays(2026)].sort()).toEqual([
      '2026-01-01', '2026-01-19', '2026-02-16', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07', '2026-10-12', '2026-11-11', '2026-11-26', '2026-12-25',
    ]);
    const y2027 = usFederalHolidays(2027);
    expect(['2027-06-18', '2027-07-05', '2027-12-24', '2027-12-31'].every((d) => y2027.has(d))).toBe(true);
    // 1 January 2028 is a Saturday: it is kept on Friday 31 December 2027, and 2028 has no New Year holiday of its own.
    expect([...usFederalHolidays(2028)].some((d) => d.endsWith('-01-01'))).toBe(false);
    expect(usFederalHolidays(2020).has('2020-06-19')).toBe(false);
  });

  it("counts HIPAA's annual log of small breaches from the end of the calendar year of discovery", () => {
    const views = evaluate({ packs: packs('hipaa'), affected: 120, residents: { 'US-NY': 120 }, dataTypes: ['phi'] });
    expect(views['hipaa:hhs-annual-log']!).toMatchObject({ status: 'due', deadline: '2027-03-02T04:59:59.999Z' });
    expect(views['hipaa:hhs']!).toMatchObject({ status: 'not-required', reason: '120 people affected; owed from 500' });
  });
});

describe('which obligations a breach has', () => {
  it('owes the Texas attorney general a notice from 250 Texans, not at 249', () => {
    expect(evaluate({ packs: packs('texas'), residents: { 'US-TX': 249 } }, { anchors: { ...situation().anchors, determination: { at: AWARE, by: 'x', recordedAt: AWARE } } })['texas:attorney-general']!).toMatchObject({
      status: 'not-required',
      reason: '249 resident(s) of US-TX affected; owed from 250',
    });
    const at250 = evaluate({ packs: packs('texas'), residents: { 'US-TX': 250 } }, { anchors: { ...situation().anchors, determination: { at: AWARE, by: 'x', recordedAt: AWARE } } });
    expect(at250['texas:attorney-general']!).toMatchObject({ status: 'due', deadline: '2026-12-02T15:00:00.000Z' });
    expect(at250['texas:residents']!).toMatchObject({ status: 'due', deadline: '2027-01-01T15:00:00.000Z' });
  });

  it('owes the California attorney general a notice above 500 Californians, 15 days after the residents were told', () => {
    expect(evaluate({ packs: packs('california'), residents: { 'US-CA': 500 } })['california:attorney-general']!.status).toBe('not-required');
    const before = evaluate({ packs: packs('california'), residents: { 'US-CA': 501 } });
    expect(before['california:attorney-general']!).toMatchObject({ status: 'awaiting-anchor', reason: 'counts from the completion of california:residents, which is not done yet' });
    const after = evaluate({ packs: packs('california'), residents: { 'US-CA': 501 } }, { individualsNotifiedAt: '2026-11-20T18:00:00.000Z' });
    expect(after['california:residents']!).toMatchObject({ status: 'done', completion: { onTime: true } });
    expect(after['california:attorney-general']!).toMatchObject({ status: 'due', deadline: '2026-12-05T18:00:00.000Z' });
  });

  it('does not count a fax as notice under the US statutes: people reached by fax alone keep the residents\' notice open', () => {
    const facts = { packs: packs('gdpr', 'california'), residents: { 'US-CA': 20, DE: 5 } };
    const notified = { individualsNotifiedAt: '2026-11-20T18:00:00.000Z' };
    expect(evaluate(facts, { ...notified, reachedOnlyByFax: 0 })['california:residents']!.status).toBe('done');
    const byFax = evaluate(facts, { ...notified, reachedOnlyByFax: 3 });
    expect(byFax['california:residents']).toMatchObject({ status: 'due', reason: expect.stringContaining('3 people were reached only by fax, which California Civil Code 1798.82 does not accept as notice') });
    // The GDPR lets any channel reach the data subjects.
    expect(byFax['gdpr:data-subjects']!.status).toBe('done');
  });

  it('owes nothing where the data was encrypted with an uncompromised key, or the risk is below the trigger', () => {
    const encrypted = evaluate({ packs: packs('gdpr', 'california'), residents: { 'US-CA': 900 } }, { unintelligible: true });
    expect(encrypted['california:residents']!.status).toBe('not-required');
    expect(encrypted['gdpr:data-subjects']!.status).toBe('not-required');
    // The GDPR authority notice is owed whatever the encryption, unless the risk is unlikely.
    expect(encrypted['gdpr:authority']!.status).toBe('due');
    expect(evaluate({ packs: packs('gdpr') }, { risk: 'unlikely' })['gdpr:authority']!.status).toBe('not-required');
    expect(evaluate({ packs: packs('gdpr') }, { risk: undefined })['gdpr:authority']!.status).toBe('awaiting-assessment');
  });

  it("waits for an anchor that is not recorded: the SEC's materiality determination", () => {
    const views = evaluate({ packs: packs('sec') });
    expect(views['sec:8-k']!).toMatchObject({ status: 'awaiting-anchor', reason: expect.stringContaining('the materiality determination, which is not recorded yet') });
  });

  it('asks for a substitute notice exactly at its threshold: HIPAA from 10 people who cannot be reached', () => {
    const facts = { packs: packs('hipaa'), residents: { 'US-NY': 40 }, affected: 40, dataTypes: ['phi' as const] };
    expect(evaluate(facts, { unreachable: 9 })['hipaa:substitute-notice']!).toMatchObject({ status: 'not-required', reason: '9 people could not be reached so far; owed from 10' });
    expect(evaluate(facts, { unreachable: 10 })['hipaa:substitute-notice']!).toMatchObject({ status: 'due', means: expect.stringContaining('toll-free number') });
    // The states' substitute notice is for more than 500,000 residents (Colorado: 250,000).
    expect(evaluate({ packs: packs('colorado'), residents: { 'US-CO': 250_000 } })['colorado:substitute-notice']!.status).toBe('not-required');
    expect(evaluate({ packs: packs('colorado'), residents: { 'US-CO': 250_001 } })['colorado:substitute-notice']!.status).toBe('due');
    expect(evaluate({ packs: packs('gdpr') }, { disproportionateEffort: true })['gdpr:public-communication']!.status).toBe('due');
  });

  it('skips HIPAA where no protected health information is involved', () => {
    expect(evaluate({ packs: packs('hipaa'), residents: {}, dataTypes: ['ssn'] })['hipaa:individuals']!).toMatchObject({ status: 'not-required', reason: 'none of the data types it covers (phi) is involved' });
  });

  it('refuses at start what it cannot evaluate: an unknown regime, or a threshold on residents nobody counted', () => {
    const regimeFacts = { anchors: {} };
    expect(() => breachRegimes(config, { ...regimeFacts, regimes: ['gdpr', 'calfornia'] }, 10)).toThrow("--regimes: unknown regime 'calfornia'; known: gdpr, uk-gdpr, hipaa");
    expect(() => breachRegimes(config, { ...regimeFacts, regimes: ['california'] }, 10)).toThrow('california:attorney-general depends on how many people of US-CA are affected; give a --roster with country and region, or --residents US-CA=N');
    expect(obligationFactsProblems({ packs: packs('hipaa'), affected: 10 })).toEqual([expect.stringContaining('hipaa:media depends on how many people of each US state')]);
    expect(breachRegimes(config, { ...regimeFacts, regimes: ['california'], residents: parseResidents('US-CA=600') }, 10).packs.map((p) => p.id)).toEqual(['california']);
    expect(() => parseResidents('california=3')).toThrow("--residents: 'california=3' must be CODE=COUNT, e.g. US-CA=600");
  });

  it("derives the regimes from where the roster's people live, beside the configured ones", () => {
    const regimes = breachRegimes(config, { anchors: {} }, 10, { total: 12, residents: { 'US-CA': 3, 'US-TX': 2, DE: 7 } });
    expect(regimes.packs.map((p) => p.id)).toEqual(['gdpr', 'california', 'texas']);
    expect([residenceCode('US', 'California'), residenceCode('US', 'tx'), residenceCode('FR', undefined), residenceCode(undefined, 'CA')]).toEqual(['US-CA', 'US-TX', 'FR', undefined]);
  });

  it('lets temporal.yaml override a pack field by field and refuses an override that does not fit', () => {
    const parsed = regimesSchema.parse({ packs: [{ id: 'california', obligations: [{ key: 'residents', deadline: { amount: 45, unit: 'calendar-days' } }] }] });
    expect(parsed.packs.find((p) => p.id === 'california')!.obligations[0]).toMatchObject({ key: 'residents', deadline: { amount: 45 }, completedBy: 'individual-notices' });
    const bad = regimesSchema.safeParse({ packs: [{ id: 'gdpr', lawEnforcement: { delays: ['authority'], forms: ['written'] } }] });
    expect(bad.success ? [] : bad.error.issues.map((i) => i.message)).toEqual(['gdpr: a law-enforcement hold never delays the authority notice']);
    const dangling = regimesSchema.safeParse({ packs: [{ id: 'texas', obligations: [{ key: 'x', recipient: 'r', citation: 'c', anchor: { after: 'nothing' } }] }] });
    expect(dangling.success ? [] : dangling.error.issues.map((i) => i.message)).toEqual(["texas:x counts from 'nothing', which is not an obligation of texas"]);
  });
});

describe('holds per regime', () => {
  const hold = (overrides: Partial<Hold>): Hold => ({ holdId: 'hold-1', agency: 'FBI', caseRef: 'C-1', reason: 'r', by: 'legal', placedAt: AWARE, ...overrides });

  it('delays state resident and HIPAA notices, never the GDPR authority notice', () => {
    const all = packs('gdpr', 'hipaa', 'california');
    const placed = hold({ form: 'written', regimes: holdRegimes({ form: 'written' }, all) });
    expect(placed.regimes).toEqual(['gdpr', 'hipaa', 'california']);
    const views = evaluate({ packs: all, residents: { 'US-CA': 700, DE: 50 }, affected: 750, dataTypes: ['phi'] }, { holds: [placed] });
    expect(views['gdpr:authority']!.status).toBe('due');
    for (const id of ['gdpr:data-subjects', 'hipaa:individuals', 'hipaa:hhs', 'hipaa:media', 'california:residents']) expect(views[id]!).toMatchObject({ status: 'held', heldBy: ['hold-1'] });
  });

  it('refuses a form or regime the law does not accept, naming it', () => {
    const all = packs('gdpr', 'hipaa', 'florida', 'nydfs');
    expect(holdRegimesProblem({ regimes: ['florida'], form: 'oral' }, all)).toBe('Florida Statutes 501.171 accepts only a written law-enforcement request, not an oral one');
    expect(holdRegimesProblem({}, all)).toBe("give the form of the agency's request (--form written|oral): HIPAA Breach Notification Rule (45 CFR 164.400-414) treats them differently");
    expect(holdRegimesProblem({ regimes: ['nydfs'], form: 'written' }, all)).toBe('NYDFS Cybersecurity Regulation (23 NYCRR 500) lets no law-enforcement hold delay its notices');
    expect(holdRegimesProblem({ regimes: ['texas'] }, all)).toBe("'texas' is not a regime of this breach (it has gdpr, hipaa, florida, nydfs)");
    // Without named regimes an oral hold goes under those that accept it.
    expect(holdRegimes({ form: 'oral' }, all)).toEqual(['gdpr', 'hipaa']);
  });

  it('ends an oral HIPAA hold 30 days after the request, or 30 days after a written statement no more', () => {
    const oral = hold({ form: 'oral', regimes: ['gdpr', 'hipaa'] });
    expect(holdLapses(oral, packs('gdpr', 'hipaa'))).toEqual([{ regime: 'hipaa', at: new Date('2026-12-02T15:00:00.000Z') }]);
    expect(holdLapses({ ...oral, form: 'written', writtenStatement: { at: '2026-11-20T10:00:00.000Z', by: 'legal', reason: 'letter' } }, packs('gdpr', 'hipaa'))).toEqual([]);
  });
});

describe('the breach record', () => {
  const input = (overrides: Partial<BreachWorkflowInput> = {}): BreachWorkflowInput => ({
    facts: breachFacts('record-1', { awareAt: AWARE }),
    policy: { deadlineHours: 72, notifyBy: 'email', holdsDelayNotice: false, reminderHoursBeforeDeadline: [24], overdueReminderEveryHours: 4 },
    regimes: { packs: packs('gdpr', 'texas', 'sec'), residents: { 'US-TX': 300 }, anchors: {} },
    ...overrides,
  });
  const now = new Date('2026-11-03T10:00:00.000Z');

  it('records an anchor, and then the obligation it starts, late only with a reason', () => {
    const record = new BreachRecord(input());
    record.assess({ risk: 'high', rationale: 'salaries', by: 'ines' }, now);
    const request = { obligationId: 'texas:attorney-general', reference: 'TX-123', by: 'ines' };
    expect(record.obligationProblem(request, now)).toBe('texas:attorney-general counts from the determination that a breach occurred, which is not recorded yet (breach anchor <id> determination --at ISO --by NAME)');
    expect(record.anchorProblem({ event: 'determination', at: '2026-11-04T10:00:00Z', by: 'ines' }, now)).toBe('2026-11-04T10:00:00Z is in the future; record the event once it has happened');
    expect(record.anchorProblem({ event: 'extortion-payment', at: AWARE, by: 'ines' }, now)).toBe('no obligation of this breach counts from extortion-payment');
    record.recordAnchor({ event: 'determination', at: '2026-10-01T09:00:00Z', by: 'ines' }, now);
    expect(record.obligationProblem(request, now)).toBe('texas:attorney-general was due at 2026-10-31T09:00:00.000Z; give the reason for the delay (--late-reason)');
    const done = record.recordObligation({ ...request, lateReason: 'the determination was back-dated by counsel' }, now);
    expect(done).toMatchObject({ status: 'done', completion: { reference: 'TX-123', onTime: false, lateReason: 'the determination was back-dated by counsel' } });
    expect(record.obligationProblem(request, now)).toBe(`texas:attorney-general was already recorded at ${now.toISOString()}`);
    expect(record.obligationProblem({ ...request, obligationId: 'gdpr:authority' }, now)).toBe('gdpr:authority is met by the authority notice; record a portal submission with breach portal');
    expect(record.obligationProblem({ ...request, obligationId: 'texas:nothing' }, now)).toContain("no obligation 'texas:nothing' on this breach (it has ");
  });

  it('does not close while an obligation is open, and lists them', () => {
    const record = new BreachRecord(input({ regimes: { packs: packs('gdpr', 'sec'), anchors: {} } }));
    record.assess({ risk: 'risk', rationale: 'r', by: 'ines' }, now);
    record.recordPortalSubmission({ reference: 'SA-1', by: 'ines' }, now);
    expect(record.closeProblem({ by: 'ines' }, now)).toBe('obligations are still open: sec:8-k (awaiting-anchor); record each (breach obligation record), or record why it is not required');
    record.recordObligation({ obligationId: 'sec:8-k', reference: 'not required', by: 'counsel', notRequiredReason: 'the incident was determined not to be material' }, now);
    expect(record.obligationViews(now)!.find((v) => v.id === 'sec:8-k')).toMatchObject({ status: 'not-required', reason: 'recorded by counsel: the incident was determined not to be material' });
    expect(record.closeProblem({ by: 'ines' }, now)).toBeUndefined();
  });

  it('stops the notices to individuals only for a hold under a regime that delays them, and lets an oral hold lapse', () => {
    const record = new BreachRecord(input({ regimes: { packs: packs('gdpr', 'hipaa', 'sec'), residents: { 'US-NY': 10 }, anchors: {} } }));
    expect(record.holdProblem({ agency: 'DOJ', caseRef: 'N-1', reason: 'r', by: 'legal', regimes: ['sec'], form: 'oral' }, now)).toBe('SEC Form 8-K Item 1.05 accepts only a written law-enforcement request, not an oral one');
    record.placeHold({ agency: 'DOJ', caseRef: 'N-1', reason: 'national security', by: 'legal', regimes: ['sec'], form: 'written' }, now);
    expect(record.holdActive()).toBe(false);
    // A hold on the SEC filing alone delays no notice to individuals, so theirs need not say it was delayed.
    expect(record.holdsForCohort()).toEqual({ holdActive: false });
    const oral = record.placeHold({ agency: 'FBI', caseRef: 'F-2', reason: 'r', by: 'legal', regimes: ['hipaa'], form: 'oral' }, now);
    expect(record.holdActive()).toBe(true);
    expect(record.holdsForCohort()).toEqual({ holdActive: true, delayedByHold: true });
    record.lapseHold(oral, 'hipaa', now);
    expect(record.holdActive()).toBe(false);
    // The lapsed hold did delay the notices: those sent from now on still say so.
    expect(record.holdsForCohort()).toEqual({ holdActive: false, delayedByHold: true });
    expect(oral.release).toMatchObject({ by: 'the engine', reason: 'its period ran out under hipaa without a written statement extending it' });
  });

  it('tells the authority whether individuals are told, naming the agency only when the hold allows it', () => {
    const record = new BreachRecord(input({ regimes: { packs: packs('gdpr'), residents: { DE: 3 }, anchors: {} } }));
    record.assess({ risk: 'risk', rationale: 'r', by: 'ines' }, now);
    expect(record.individualsForAuthority()).toBe('not required: the risk to individuals is not assessed as high');
    record.assess({ risk: 'high', rationale: 'r', by: 'ines' }, now);
    expect(record.individualsForAuthority()).toBe('to be communicated by the controller');
    record.placeHold({ agency: 'BKA', caseRef: 'K-4', reason: 'r', by: 'legal', confidential: true }, now);
    expect(record.individualsForAuthority()).toBe('delayed: a law-enforcement authority has asked that individuals not be told yet');
    record.placeHold({ agency: 'Europol', caseRef: 'E-9', reason: 'r', by: 'legal' }, now);
    expect(record.individualsForAuthority()).toBe('delayed: a law-enforcement authority has asked that individuals not be told yet (Europol, case E-9)');
  });

  it('carries the obligations whole into the next run', () => {
    const record = new BreachRecord(input());
    record.recordAnchor({ event: 'materiality-determination', at: AWARE, by: 'board' }, now);
    record.assess({ risk: 'risk', rationale: 'r', by: 'ines' }, now);
    record.placeHold({ agency: 'DOJ', caseRef: 'N-1', reason: 'r', by: 'legal', regimes: ['sec'], form: 'written' }, now);
    // The state goes across whole, through JSON as Temporal carries it.
    const next = new BreachRecord({ ...input(), carried: JSON.parse(JSON.stringify(record.snapshot())) });
    expect(next.snapshot()).toEqual({ ...record.snapshot(), runs: 1 });
    expect(next.obligations).toEqual(record.obligations);
    expect(next.obligationViews(now)!.find((v) => v.id === 'sec:8-k')!.deadline).toBe('2026-11-06T15:00:00.000Z');
  });
});
