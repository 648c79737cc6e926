/**
 * The clocks of the regimes' obligations on the time-skipping test server, with the built-in packs
 * and a real SMTP server: each obligation's deadline from its own anchor, reminders and the
 * escalation, a late completion with its reason, a hold that delays state and HIPAA notices but
 * not the GDPR authority notice, and an oral HIPAA hold that lapses after 30 days.
 */
import { addDays } from 'date-fns/addDays';
import { differenceInMinutes } from 'date-fns/differenceInMinutes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimeSkippingEngine, type TimeSkippingEngine } from './support/time-skipping';
import type { WorkflowHandle } from '@temporalio/client';
import { buildTimeline } from '../audit/timeline';
import { breachRegimes } from '../client/breach-regimes';
import { startBreachWorkflow } from '../client/start-breach';
import type { RegimeFacts } from '../client/breach-file';
import type { BreachStatus } from '../domain/status';
import { assessUpdate, placeHoldUpdate, recordAnchorUpdate, recordHoldStatementUpdate, recordObligationUpdate, statusQuery } from '../workflows/messages/breach';
import { breachFacts, eventually, expectHistoryReplays, refusal } from './support/engine';

let engine: TimeSkippingEngine;
let env: TimeSkippingEngine['env'];
let sink: TimeSkippingEngine['sink'];
let config: TimeSkippingEngine['config'];

beforeAll(async () => {
  engine = await startTimeSkippingEngine('obligations', (c) => {
    c.controller = { name: 'Acme Clinics Inc.', address: '500 Main Street, Austin, TX 78701', phone: '+1 512 555 0100', dpo: 'Dana DPO, dpo@company.test' };
  });
  ({ env, sink, config } = engine);
});

afterAll(async () => {
  await engine?.stop();
});

async function start(breachId: string, regimeFacts: Omit<RegimeFacts, 'anchors'> & { anchors?: RegimeFacts['anchors'] }) {
  const awareAt = new Date(await env.currentTimeMs());
  const facts = breachFacts(breachId, { awareAt: awareAt.toISOString() });
  const regimes = breachRegimes(config, { anchors: {}, ...regimeFacts }, facts.approxSubjects);
  const { handle } = await startBreachWorkflow(env.client, config, facts, undefined, undefined, regimes);
  return { handle, awareAt };
}

/** The audit timeline of the breach's one run (the time-skipping server cannot list runs, which buildAudit does). */
async function timeline(handle: WorkflowHandle) {
  const history = await handle.fetchHistory();
  return buildTimeline([{ runId: (await handle.describe()).runId, events: history.events ?? [] }]);
}

const obligation = (status: BreachStatus, id: string) => status.obligations!.find((v) => v.id === id)!;

describe('obligations with their own clocks (time-skipping, built-in packs)', () => {
  it('counts each deadline from its anchor, reminds and escalates, and records a late completion with its reason', async () => {
    const { handle } = await start('obligations-texas-sec', { regimes: ['gdpr', 'texas', 'sec'], residents: { 'US-TX': 300, DE: 40 } });
    await handle.executeUpdate(assessUpdate, { args: [{ risk: 'risk', rationale: 'Salaries exposed', by: 'Ines Responder' }] });
    const first = await eventually(() => handle.query(statusQuery), (s) => obligation(s, 'gdpr:authority').status === 'done');
    expect(first.obligations!.map((v) => [v.id, v.status])).toEqual([
      ['gdpr:authority', 'done'],
      ['gdpr:data-subjects', 'not-required'],
      ['gdpr:public-communication', 'not-required'],
      ['texas:residents', 'awaiting-anchor'],
      ['texas:attorney-general', 'awaiting-anchor'],
      ['texas:substitute-notice', 'not-required'],
      ['sec:8-k', 'awaiting-anchor'],
    ]);
    expect(obligation(first, 'gdpr:authority').deadline).toBe(first.deadline);
    // The report names the company and says whether individuals are told; a PDF of it goes with it.
    const report = await sink.waitFor((m) => m.messageId === first.authorityNotice!.messageId);
    expect(report.subject).toBe('Personal data breach notification from Acme Clinics Inc.: obligations-texas-sec');
    for (const element of [
      'Controller\nAcme Clinics Inc.\n500 Main Street, Austin, TX 78701\nTelephone: +1 512 555 0100',
      'Breach occurred: dates not yet known',
      'Categories of data subjects concerned: not stated',
      'Art. 33(3)(b) Contact point\nData protection officer: Dana DPO, dpo@company.test',
      'Communication to the data subjects (Art. 34)\nnot required: the risk to individuals is not assessed as high',
    ]) {
      expect(report.text).toContain(element);
    }
    expect(report.attachments).toEqual([{ filename: 'breach-notification-obligations-texas-sec.pdf', contentType: 'application/pdf', size: expect.any(Number) }]);

    // Texas counts from the determination that a breach occurred, two days after awareness.
    await env.sleep('2 days');
    const determinedAt = new Date(await env.currentTimeMs());
    await handle.executeUpdate(recordAnchorUpdate, { args: [{ event: 'determination', at: determinedAt.toISOString(), by: 'Counsel' }] });
    const anchored = await handle.query(statusQuery);
    const ag = obligation(anchored, 'texas:attorney-general');
    expect(ag).toMatchObject({ status: 'due', deadline: addDays(determinedAt, 30).toISOString() });
    expect(obligation(anchored, 'texas:residents')).toMatchObject({ status: 'due', deadline: addDays(determinedAt, 60).toISOString() });

    // The attorney general's 30 days pass unrecorded: reminders 7, 3 and 1 days before, the escalation at the deadline.
    await env.sleep('31 days');
    const late = await eventually(() => handle.query(statusQuery), (s) => s.reminders.some((r) => r.obligationId === ag.id && r.kind === 'escalation'));
    expect(late.reminders.filter((r) => r.obligationId === ag.id && r.kind !== 'overdue').map((r) => [r.kind, Math.round(differenceInMinutes(new Date(ag.deadline!), new Date(r.at)) / 60)])).toEqual([
      ['reminder', 168],
      ['reminder', 72],
      ['reminder', 24],
      ['escalation', 0],
    ]);
    expect(obligation(late, ag.id).status).toBe('late');
    const mail = await sink.waitFor((m) => m.subject === `[obligations-texas-sec] ESCALATION: the deadline of texas:attorney-general (notice to the Texas Attorney General (electronic form), Tex. Bus. & Com. Code 521.053(i)) has been reached`);
    expect(mail.text).toContain('breach obligation record obligations-texas-sec texas:attorney-general --reference REF --by NAME');

    expect(await refusal(handle.executeUpdate(recordObligationUpdate, { args: [{ obligationId: ag.id, reference: 'TX-AG-991', by: 'Ines Responder' }] }))).toBe(
      `texas:attorney-general was due at ${ag.deadline}; give the reason for the delay (--late-reason)`,
    );
    const done = await handle.executeUpdate(recordObligationUpdate, { args: [{ obligationId: ag.id, reference: 'TX-AG-991', by: 'Ines Responder', lateReason: 'the state portal was down for a week' }] });
    expect(done).toMatchObject({ status: 'done', completion: { reference: 'TX-AG-991', onTime: false, lateReason: 'the state portal was down for a week' } });

    // The SEC's four business days count from the materiality determination once it is recorded, here back-dated to the
    // Wednesday before Thanksgiving 2026: Thursday is a federal holiday, then Friday, the weekend, Monday to Wednesday.
    const views = await handle.executeUpdate(recordAnchorUpdate, { args: [{ event: 'materiality-determination', at: '2026-11-25T16:00:00-05:00', by: 'Board' }] });
    expect(views.find((v) => v.id === 'sec:8-k')).toMatchObject({ status: 'late', deadline: '2026-12-02T21:00:00.000Z', deadlineUnit: 'business-days' });
    // A breach that learns of a deadline already past escalates at once.
    await eventually(() => handle.query(statusQuery), (s) => s.reminders.some((r) => r.obligationId === 'sec:8-k' && r.kind === 'escalation'));

    // No reminder for an obligation once recorded.
    const overdue = (s: BreachStatus) => s.reminders.filter((r) => r.obligationId === ag.id && r.kind === 'overdue').length;
    const sentBefore = overdue(await handle.query(statusQuery));
    await env.sleep('3 days');
    expect(overdue(await handle.query(statusQuery))).toBe(sentBefore);

    // The audit shows each obligation's life: what the regimes gave the breach, the anchor, the reminders, the late filing.
    const entries = await timeline(handle);
    const about = (kind: string) => entries.filter((e) => e.kind === kind).map((e) => e.summary);
    expect(about('regimes')[0]).toMatch(/^regimes gdpr, texas, sec; residents US-TX 300, DE 40; data types not stated .*; obligations at opening: .*texas:attorney-general awaiting-anchor \(counts from the determination/);
    expect(about('anchor-recorded')[0]).toContain(`determination recorded as at ${determinedAt.toISOString()}; now due: texas:attorney-general by ${ag.deadline}, texas:residents by`);
    expect(about('obligation-escalation')).toEqual([
      `responders reminded of texas:attorney-general (Tex. Bus. & Com. Code 521.053(i)), due ${ag.deadline}`,
      'responders reminded of sec:8-k (Form 8-K Item 1.05(a)), due 2026-12-02T21:00:00.000Z',
    ]);
    expect(about('obligation-done')[0]).toMatch(/^texas:attorney-general done \S+ \(TX-AG-991\), LATE; reason: the state portal was down for a week/);
    expect(about('obligation-not-required')).toEqual([]);
    await expectHistoryReplays(handle, 'obligations-texas-sec');
  });

  it('delays state and HIPAA notices under a hold, never the GDPR authority notice; an oral HIPAA hold lapses after 30 days', async () => {
    const { handle } = await start('obligations-oral-hold', { regimes: ['gdpr', 'hipaa', 'california'], residents: { 'US-CA': 700, DE: 20 }, dataTypes: ['phi'] });
    expect(await refusal(handle.executeUpdate(placeHoldUpdate, { args: [{ agency: 'FBI', caseRef: 'F-7', reason: 'undercover operation', by: 'Legal', regimes: ['hipaa', 'california'] }] }))).toBe(
      "give the form of the agency's request (--form written|oral): HIPAA Breach Notification Rule (45 CFR 164.400-414) treats them differently");
    const hold = await handle.executeUpdate(placeHoldUpdate, { args: [{ agency: 'FBI', caseRef: 'F-7', reason: 'undercover operation', by: 'Legal', form: 'oral', regimes: ['hipaa', 'california'] }] });
    await handle.executeUpdate(assessUpdate, { args: [{ risk: 'high', rationale: 'Lab results exposed', by: 'Ines Responder' }] });

    const held = await eventually(() => handle.query(statusQuery), (s) => s.authorityNotice !== undefined);
    expect(obligation(held, 'gdpr:authority').status).toBe('done');
    const report = await sink.waitFor((m) => m.messageId === held.authorityNotice!.messageId);
    expect(report.text).toContain('Communication to the data subjects (Art. 34)\ndelayed: a law-enforcement authority has asked that individuals not be told yet (FBI, case F-7)');
    for (const id of ['hipaa:individuals', 'hipaa:hhs-annual-log', 'hipaa:media', 'california:residents']) expect(obligation(held, id)).toMatchObject({ status: 'held', heldBy: [hold.holdId] });
    // The hold was placed under HIPAA and California only: the GDPR communication to data subjects is not delayed by it.
    expect(obligation(held, 'gdpr:data-subjects').status).toBe('due');

    // Legal is reminded five days before the oral request's 30 days end; then HIPAA's notices are due again, California's still held.
    await env.sleep('26 days');
    const reminded = await eventually(() => handle.query(statusQuery), (s) => s.reminders.some((r) => r.kind === 'hold-lapse'));
    expect(reminded.reminders.find((r) => r.kind === 'hold-lapse')).toMatchObject({ holdId: hold.holdId, regime: 'hipaa', delivered: true });
    await sink.waitFor((m) => m.subject.startsWith(`[obligations-oral-hold] Hold ${hold.holdId} stops delaying hipaa notices`) && m.to.join() === 'legal@company.test');
    expect(obligation(reminded, 'hipaa:individuals').status).toBe('held');

    await env.sleep('5 days');
    const lapsed = await eventually(() => handle.query(statusQuery), (s) => s.holds.active[0]?.lapsed !== undefined);
    expect(lapsed.holds.active[0]!.lapsed).toEqual([{ regime: 'hipaa', at: addDays(new Date(hold.placedAt), 30).toISOString() }]);
    expect(obligation(lapsed, 'hipaa:individuals').status).toBe('due');
    expect(obligation(lapsed, 'california:residents').status).toBe('held');

    // A written statement puts the hold back over HIPAA's notices.
    await handle.executeUpdate(recordHoldStatementUpdate, { args: [{ holdId: hold.holdId, reason: 'letter from the FBI field office', by: 'Legal' }] });
    const stated = await handle.query(statusQuery);
    expect(stated.holds.active[0]).toMatchObject({ form: 'written', writtenStatement: { by: 'Legal' } });
    expect(obligation(stated, 'hipaa:individuals').status).toBe('held');

    const entries = await timeline(handle);
    const kinds = entries.map((e) => e.kind);
    expect(kinds.indexOf('hold-placed')).toBeLessThan(kinds.indexOf('hold-lapse-reminder'));
    expect(kinds.indexOf('hold-lapse-reminder')).toBeLessThan(kinds.indexOf('hold-lapsed'));
    expect(kinds.indexOf('hold-lapsed')).toBeLessThan(kinds.indexOf('hold-statement'));
    expect(entries.find((e) => e.kind === 'hold-placed')!.summary).toContain('; oral request; delays notices under hipaa, california');
    expect(entries.find((e) => e.kind === 'hold-lapsed')).toMatchObject({ at: addDays(new Date(hold.placedAt), 30).toISOString(), summary: `${hold.holdId} (FBI, case F-7, oral) stopped delaying hipaa notices: its period ended without a written statement` });
    await expectHistoryReplays(handle, 'obligations-oral-hold');
  });
});
