/**
 * BreachWorkflow on the real Temporal dev server with a real SMTP server: holds, status, search
 * attributes, duplicate starts, supplements, portal submissions and closing.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { addHours } from 'date-fns/addHours';
import { addMinutes } from 'date-fns/addMinutes';
import { subMinutes } from 'date-fns/subMinutes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlaceHoldRequest } from '../domain/holds';
import { BreachWorkflow } from '../workflows';
import {
  assessUpdate,
  closeUpdate,
  placeHoldUpdate,
  provideLateReasonUpdate,
  recordPortalSubmissionUpdate,
  releaseHoldUpdate,
  statusQuery,
  supplementAuthorityReportUpdate,
} from '../workflows/messages/breach';
import { buildAudit } from '../audit/build-audit';
import { breachFacts, eventually, expectHistoryReplays, refusal, startBreach, startDevEngine, type DevEngine } from './support/engine';

let engine: DevEngine;
const run = `${Date.now()}`;

beforeAll(async () => {
  engine = await startDevEngine('lifecycle');
});

afterAll(async () => {
  await engine?.stop();
});

const validHold: PlaceHoldRequest = {
  agency: 'National Crime Agency',
  caseRef: 'NCA-2026-17',
  reason: 'Notice would alert the suspects',
  by: 'Lena Legal',
};

/** The update's refusal as the person who asked sees it. */
async function breachesMatching(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of engine.client.workflow.list({ query })) ids.push(execution.workflowId);
  return ids.sort();
}

async function assessed(handle: WorkflowHandle<typeof BreachWorkflow>, risk: 'unlikely' | 'risk' | 'high' = 'high') {
  await handle.executeUpdate(assessUpdate, { args: [{ risk, rationale: 'Financial data exposed', by: 'Ines Responder' }] });
  return eventually(() => handle.query(statusQuery), (s) => risk === 'unlikely' || s.authorityNotice !== undefined);
}

describe('law-enforcement holds', () => {
  it('rejects each bad hold request with a clear reason and changes nothing', async () => {
    const handle = await startBreach(engine.client, engine.config, breachFacts(`holds-invalid-${run}`));
    await handle.executeUpdate(placeHoldUpdate, { args: [validHold] });
    await handle.executeUpdate(releaseHoldUpdate, { args: [{ holdId: 'hold-1', reason: 'Agency agreed', by: 'Lena Legal' }] });
    const before = await handle.query(statusQuery);

    // Some are not requests the CLI could send: a client of its own may send anything.
    const badPlacements: [Record<string, unknown>, string][] = [
      [{ agency: '  ' }, 'agency must not be empty'],
      [{ caseRef: '' }, 'case reference must not be empty'],
      [{ reason: '' }, 'reason must not be empty'],
      [{ by: '' }, 'actor (--by) must not be empty'],
      [{ reviewAt: subMinutes(new Date(), 5).toISOString() }, 'is not in the future'],
      [{ reviewAt: 'next tuesday' }, 'review date must be an ISO 8601 date-time with a time zone offset'],
      [{ reviewAt: '2099-01-01T09:00:00' }, 'review date must be an ISO 8601 date-time with a time zone offset'],
      [{ release: { at: '2026-01-01T00:00:00Z', by: 'x', reason: 'forged' } }, "unknown field 'release'"],
      [{ agency: 42 }, 'agency must be text, not a number'],
      [{ reason: 'x'.repeat(5001) }, 'reason is longer than 5000 characters'],
    ];
    for (const [change, expected] of badPlacements) {
      expect(await refusal(handle.executeUpdate(placeHoldUpdate, { args: [{ ...validHold, ...change }] }))).toContain(expected);
    }
    const badReleases: [{ holdId: string; reason: string; by: string }, string][] = [
      [{ holdId: 'hold-9', reason: 'x', by: 'Lena Legal' }, "no hold 'hold-9' on this breach"],
      [{ holdId: 'hold-1', reason: 'again', by: 'Lena Legal' }, "hold 'hold-1' was already released"],
      [{ holdId: 'hold-1', reason: '', by: 'Lena Legal' }, 'reason must not be empty'],
      [{ holdId: 'hold-1', reason: 'x', by: ' ' }, 'actor (--by) must not be empty'],
    ];
    for (const [request, expected] of badReleases) {
      expect(await refusal(handle.executeUpdate(releaseHoldUpdate, { args: [request] }))).toContain(expected);
    }

    const after = await handle.query(statusQuery);
    expect(after.holds).toEqual(before.holds);
    expect(after.phase).toEqual(before.phase);
    // Refused requests are documented in the history, each completed with its reason, and only
    // the two allowed ones succeeded.
    const history = await handle.fetchHistory();
    const outcomes = (history.events ?? []).flatMap((e) => e.workflowExecutionUpdateCompletedEventAttributes?.outcome ?? []);
    expect(outcomes.filter((o) => o.success)).toHaveLength(2);
    expect(outcomes.filter((o) => o.failure?.applicationFailureInfo?.type === 'RequestRejected').map((o) => o.failure?.message)).toEqual(
      [...badPlacements, ...badReleases].map(() => expect.any(String)),
    );
  });

  it("places and releases two agencies' holds independently and keeps HoldActive current", async () => {
    const breachId = `holds-two-${run}`;
    const handle = await startBreach(engine.client, engine.config, breachFacts(breachId));
    const police = await handle.executeUpdate(placeHoldUpdate, { args: [{ ...validHold, agency: 'City Police', caseRef: 'CP-1' }] });
    const fbi = await handle.executeUpdate(placeHoldUpdate, {
      args: [{ ...validHold, agency: 'FBI', caseRef: 'FBI-22', by: 'Sam Counsel', reviewAt: addHours(new Date(), 48).toISOString() }],
    });
    expect([police.holdId, fbi.holdId]).toEqual(['hold-1', 'hold-2']);
    await eventually(() => breachesMatching(`BreachId = '${breachId}' AND HoldActive = true`), (ids) => ids.length === 1);

    const released = await handle.executeUpdate(releaseHoldUpdate, { args: [{ holdId: 'hold-1', reason: 'Case closed', by: 'Lena Legal' }] });
    expect(released.release).toMatchObject({ by: 'Lena Legal', reason: 'Case closed' });
    let status = await handle.query(statusQuery);
    expect(status.holds.active.map((h) => [h.holdId, h.agency, h.caseRef, h.by])).toEqual([['hold-2', 'FBI', 'FBI-22', 'Sam Counsel']]);
    expect(status.holds.released.map((h) => h.holdId)).toEqual(['hold-1']);
    expect(await breachesMatching(`BreachId = '${breachId}' AND HoldActive = true`)).toHaveLength(1);

    await handle.executeUpdate(releaseHoldUpdate, { args: [{ holdId: 'hold-2', reason: 'Arrests made', by: 'Sam Counsel' }] });
    status = await handle.query(statusQuery);
    expect(status.holds.active).toEqual([]);
    await eventually(() => breachesMatching(`BreachId = '${breachId}' AND HoldActive = false`), (ids) => ids.length === 1);
    await expectHistoryReplays(handle, 'two-agency-holds');
  });
});

describe('status and search attributes', () => {
  it('reports phase, deadline and notice, and keeps the breach findable by phase and deadline', async () => {
    const breachId = `status-${run}`;
    const awareAt = subMinutes(new Date(), 90);
    const handle = await startBreach(engine.client, engine.config, breachFacts(breachId, { awareAt: awareAt.toISOString() }));
    const deadline = addHours(awareAt, 72);

    let status = await handle.query(statusQuery);
    expect(status).toMatchObject({ breachId, phase: 'awaiting-assessment', deadline: deadline.toISOString(), pastDeadline: false });
    await eventually(() => breachesMatching(`BreachId = '${breachId}' AND BreachPhase = 'awaiting-assessment'`), (ids) => ids.length === 1);

    status = await assessed(handle, 'risk');
    expect(status.phase).toBe('authority-notified');
    expect(status.authorityNotice).toMatchObject({ channel: 'email', onTime: true });
    await engine.sink.waitFor((m) => m.messageId === status.authorityNotice!.messageId);
    await eventually(() => breachesMatching(`BreachId = '${breachId}' AND BreachPhase = 'authority-notified'`), (ids) => ids.length === 1);
    const window = `AuthorityDeadline > '${addMinutes(deadline, -1).toISOString()}' AND AuthorityDeadline < '${addMinutes(deadline, 1).toISOString()}'`;
    expect(await breachesMatching(`BreachId = '${breachId}' AND ${window}`)).toEqual([`breach-${breachId}`]);
  });

  it('refuses to start the same breach twice, even after it was closed', async () => {
    const facts = breachFacts(`duplicate-${run}`);
    const handle = await startBreach(engine.client, engine.config, facts);
    await expect(startBreach(engine.client, engine.config, facts)).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    await assessed(handle, 'unlikely');
    await handle.executeUpdate(closeUpdate, { args: [{ by: 'Ines Responder' }] });
    await handle.result();
    await expect(startBreach(engine.client, engine.config, facts)).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
  });
});

describe('authority notice follow-ups and closing', () => {
  it('sends supplements that reference the first report, refuses to lower the risk, and closes with a summary', async () => {
    const handle = await startBreach(engine.client, engine.config, breachFacts(`supplement-${run}`));
    const status = await assessed(handle, 'high');
    const firstId = status.authorityNotice!.messageId!;

    expect(await refusal(handle.executeUpdate(assessUpdate, { args: [{ risk: 'unlikely', rationale: 'Second look', by: 'Ines' }] }))).toContain(
      "cannot be lowered below 'risk'",
    );
    const supplement = await handle.executeUpdate(supplementAuthorityReportUpdate, {
      args: [{ information: 'Forensics confirm 12 more records were copied.', by: 'Dana DPO' }],
    });
    expect(supplement.sequence).toBe(1);
    const mail = await engine.sink.waitFor((m) => m.messageId === supplement.messageId);
    expect(mail.inReplyTo).toBe(firstId);
    expect(mail.text).toContain(`First notification: ${firstId}`);
    expect(mail.text).toContain('Forensics confirm 12 more records were copied.');

    await handle.executeUpdate(placeHoldUpdate, { args: [validHold] });
    expect(await refusal(handle.executeUpdate(closeUpdate, { args: [{ by: 'Ines Responder' }] }))).toContain('holds are still active (hold-1)');
    await handle.executeUpdate(releaseHoldUpdate, { args: [{ holdId: 'hold-1', reason: 'Released', by: 'Lena Legal' }] });
    const summary = await handle.executeUpdate(closeUpdate, { args: [{ by: 'Ines Responder' }] });
    expect(summary).toMatchObject({ phase: 'closed', risk: 'high', closedBy: 'Ines Responder', supplements: 1, holdsPlaced: 1 });
    const result = await handle.result();
    expect(result).toMatchObject(summary);
    // The audit export was archived when the breach closed, and carries its integrity hash.
    expect(result.archive).toMatchObject({ file: expect.stringContaining(engine.config.audit.archiveDir), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    await expectHistoryReplays(handle, 'supplement-and-close');
  });

  it('refuses to close a breach that has not been assessed', async () => {
    const handle = await startBreach(engine.client, engine.config, breachFacts(`close-early-${run}`));
    expect(await refusal(handle.executeUpdate(closeUpdate, { args: [{ by: 'Ines Responder' }] }))).toContain('has not been assessed yet');
    expect((await handle.query(statusQuery)).phase).toBe('awaiting-assessment');
  });

  it('falls back to a recorded portal submission when the authority mail server refuses the report', async () => {
    const breachId = `refused-${run}`;
    engine.sink.script.refusals.push({ code: 550, when: (to) => to.includes('notices@authority.test'), times: 1 });
    const handle = await startBreach(engine.client, engine.config, breachFacts(breachId));
    await handle.executeUpdate(assessUpdate, { args: [{ risk: 'risk', rationale: 'Exposure', by: 'Ines Responder' }] });
    const status = await eventually(() => handle.query(statusQuery), (s) => s.authorityNoticeFailure !== undefined);
    expect(status.authorityNoticeFailure).toContain('refused the message permanently (reply 550)');
    expect(status.phase).toBe('awaiting-portal-submission');

    const notice = await handle.executeUpdate(recordPortalSubmissionUpdate, { args: [{ reference: 'DPA-PORTAL-991', by: 'Dana DPO' }] });
    expect(notice).toMatchObject({ channel: 'portal', portalReference: 'DPA-PORTAL-991', onTime: true, recordedBy: 'Dana DPO' });
    expect((await handle.query(statusQuery)).phase).toBe('authority-notified');
  });
});

describe('an authority report across an outage of the relay', () => {
  it('is recorded as the relay accepted it: after the deadline it is late, carries the reason and says when it was sent', async () => {
    // Both deadlines pass while the relay defers every report to the authority: the first round of
    // attempts fails before the deadline, the second after it.
    const deadlineAt = Date.now() + 9_000;
    const outageEnds = Date.now() + 14_000;
    engine.sink.script.refusals.push({ code: 451, when: (to) => to.includes('notices@authority.test') && Date.now() < outageEnds });
    const awareAt = new Date(deadlineAt - 72 * 3_600_000).toISOString();
    const risk = { risk: 'risk' as const, rationale: 'Bank details exposed', by: 'Ines Responder' };
    const [given, missing] = await Promise.all(
      ['given', 'missing'].map((name) => startBreach(engine.client, engine.config, breachFacts(`outage-${name}-${run}`, { awareAt }))),
    );
    await Promise.all([given!, missing!].map((handle) => handle.executeUpdate(assessUpdate, { args: [risk] })));

    // The status shows the failing send; a reason given during the outage goes with the report.
    const failing = await eventually(() => given!.query(statusQuery), (s) => s.authorityNoticeSending !== undefined, 20_000);
    expect(failing.authorityNoticeSending).toMatchObject({ attempts: 4, lastError: 'SMTP server deferred the message (reply 451)' });
    expect(failing.authorityNotice).toBeUndefined();
    await given!.executeUpdate(provideLateReasonUpdate, { args: [{ reason: 'Our mail relay was down', by: 'Ines Responder' }] });

    const sent = await eventually(() => given!.query(statusQuery), (s) => s.authorityNotice !== undefined, 30_000);
    const notice = sent.authorityNotice!;
    expect(Date.parse(notice.sentAt)).toBeGreaterThanOrEqual(outageEnds);
    expect(notice).toMatchObject({ onTime: false, lateReason: 'Our mail relay was down' });
    expect(sent.authorityNoticeSending).toBeUndefined();
    const mail = await engine.sink.waitFor((m) => m.messageId === notice.messageId);
    expect(Date.parse(/^Reported at: (\S+)$/m.exec(mail.text)![1]!)).toBeGreaterThan(deadlineAt);
    expect(mail.text).toContain('Art. 33(1) Reasons for the delay\nOur mail relay was down');
    const audit = (await buildAudit(engine.client, `outage-given-${run}`))!;
    expect(audit.entries.find((e) => e.kind === 'authority-notified')!.summary).toMatch(/accepted by the relay at \S+; deadline \S+; LATE; reason: Our mail relay was down/);
    expect(audit.findings.map((f) => f.code)).not.toContain('late-without-reason');

    // Without a reason, the report that would now be late is not sent: the breach asks for one, then sends it with it.
    const waiting = await eventually(() => missing!.query(statusQuery), (s) => s.phase === 'awaiting-late-reason' && Date.now() > outageEnds + 2_000, 30_000);
    expect(waiting.authorityNotice).toBeUndefined();
    expect(waiting.authorityNoticeSending?.attempts).toBeGreaterThanOrEqual(4);
    // Nothing the history records happened at the deadline; the breach's timer for it updates the search attributes.
    await eventually(() => breachesMatching(`BreachId = 'outage-missing-${run}' AND BreachPhase = 'awaiting-late-reason'`), (ids) => ids.length === 1, 10_000);
    expect(engine.sink.messages.some((m) => m.subject.includes(`outage-missing-${run}`) && m.to.includes('notices@authority.test'))).toBe(false);
    await missing!.executeUpdate(provideLateReasonUpdate, { args: [{ reason: 'Nobody noticed the relay was down', by: 'Ines Responder' }] });
    const late = await eventually(() => missing!.query(statusQuery), (s) => s.authorityNotice !== undefined);
    expect(late.authorityNotice).toMatchObject({ onTime: false, lateReason: 'Nobody noticed the relay was down' });
  }, 90_000);
});

describe('portal policy', () => {
  let portal: DevEngine;
  beforeAll(async () => {
    portal = await startDevEngine('portal', { authority: { name: 'Portal Authority', notifyBy: 'portal' } });
  });
  afterAll(async () => {
    await portal?.stop();
  });

  it('waits for the responder to record the portal submission instead of mailing the authority', async () => {
    const handle = await startBreach(portal.client, portal.config, breachFacts(`portal-${run}`));
    await handle.executeUpdate(assessUpdate, { args: [{ risk: 'risk', rationale: 'Exposure', by: 'Ines Responder' }] });
    expect((await handle.query(statusQuery)).phase).toBe('awaiting-portal-submission');
    expect(await refusal(handle.executeUpdate(recordPortalSubmissionUpdate, { args: [{ reference: '', by: 'Dana DPO' }] }))).toContain(
      'portal reference must not be empty',
    );
    await handle.executeUpdate(recordPortalSubmissionUpdate, { args: [{ reference: 'DPA-2026-0042', by: 'Dana DPO' }] });
    const status = await handle.query(statusQuery);
    expect(status.authorityNotice).toMatchObject({ channel: 'portal', portalReference: 'DPA-2026-0042' });
    expect(portal.sink.messages.filter((m) => m.to.includes('notices@authority.test'))).toEqual([]);
    expect(
      await refusal(handle.executeUpdate(supplementAuthorityReportUpdate, { args: [{ information: 'More', by: 'Dana DPO' }] })),
    ).toContain('give the portal reference of the supplement');
    await expectHistoryReplays(handle, 'portal-submission');
  });
});
