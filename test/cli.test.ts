/**
 * The real `breach` executable, spawned as a person would run it, against the dev server.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addHours } from 'date-fns/addHours';
import { subHours } from 'date-fns/subHours';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { findSubjectCohort } from '../client/subject-cohort';
import { formatStatus } from '../client/status-view';
import { breachWorkflowId, noticeMessageId } from '../domain/ids';
import type { BreachStatus } from '../domain/status';
import { ROSTER_HEADER } from './support/cascade';
import { runBreachCli, spawnBreachCli, type CliResult } from './support/cli';
import { eventually, startDevEngine, type DevEngine } from './support/engine';

const root = path.resolve(__dirname, '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-cli-'));
let engine: DevEngine;
let configFile: string;
const id = `cli-${Date.now()}`;

function breach(...args: string[]): Promise<CliResult> {
  return breachWith(configFile, ...args);
}

function breachWith(config: string, ...args: string[]): Promise<CliResult> {
  return runBreachCli(config, dir, args);
}

/** A user error is one line naming the problem: no stack trace, no noise. */
function expectOneLineError(result: CliResult, code: number, text: string): void {
  expect(result.code).toBe(code);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toContain(text);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

const startFlags = (breachId: string) => [
  'start', '--id', breachId, '--title', 'Laptop stolen', '--aware-at', subHours(new Date(), 2).toISOString(),
  '--description', 'An unencrypted laptop with HR files was stolen from a car.', '--reporter', 'Ines Responder',
  '--categories', 'names, health data', '--subjects', '85', '--records', '85',
  '--consequences', 'Disclosure of health data.', '--measures', 'Remote wipe issued; police informed.', '--contact', 'dpo@company.test',
];

beforeAll(async () => {
  engine = await startDevEngine('cli', {
    configure(config) {
      // Cohorts of two, so that finding a subject means asking more than one cohort. The bounce
      // window must outlast two CLI runs (a subjects listing and the bounce report) on a busy machine.
      config.individuals = { ...config.individuals, cohortSize: 2, batchSize: 2, sendingCohorts: 2, bounceWindow: '40 seconds', fallbackDelay: '200ms', faxPollInterval: '200ms' };
    },
  });
  configFile = path.join(dir, 'temporal.yaml');
  writeFileSync(configFile, stringify(engine.config));
});

afterAll(async () => {
  await engine?.stop();
});

describe('breach CLI', () => {
  it('walks a breach through start, assess, hold place/release, status and close', async () => {
    const started = await breach(...startFlags(id));
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(started.stdout).toContain(`Started breach ${id} (workflow ${breachWorkflowId(id)})`);
    expect(started.stdout).toMatch(/Authority deadline: .* \(69h 5\dm left\)/);

    const held = await breach('hold', 'place', id, '--agency', 'City Police', '--case-ref', 'CP-2026-9', '--reason', 'Suspect not yet identified', '--by', 'Lena Legal', '--review-at', '2099-01-01T00:00:00Z');
    expect(held).toMatchObject({ code: 0, stdout: `Hold hold-1 placed on breach ${id} (City Police, case CP-2026-9; delays notices under gdpr).\n` });

    const assessed = await breach('assess', id, '--risk', 'high', '--rationale', 'Health data', '--by', 'Ines Responder');
    expect(assessed.code).toBe(0);
    expect(assessed.stdout).toContain(`Breach ${id} assessed as 'high' by Ines Responder`);

    const closedTooEarly = await breach('close', id, '--by', 'Ines Responder');
    expectOneLineError(closedTooEarly, 1, 'breach: rejected: holds are still active (hold-1); release them first');

    const released = await breach('hold', 'release', id, 'hold-1', '--reason', 'Suspect arrested', '--by', 'Lena Legal');
    expect(released.code).toBe(0);
    expect(released.stdout).toContain(`Hold hold-1 on breach ${id} released at`);

    const human = await breach('status', id);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`Breach ${id}: Laptop stolen`);
    expect(human.stdout).toMatch(/phase: +authority-notified/);
    expect(human.stdout).toMatch(/authority: +notified .* by email, Message-ID <authority-report\./);
    expect(human.stdout).toContain('hold-1 City Police case CP-2026-9');
    expect(human.stdout).toContain(`web UI:     http://localhost:8233/namespaces/default/workflows/${breachWorkflowId(id)}`);

    const json = await breach('status', id, '--json');
    const status = JSON.parse(json.stdout) as BreachStatus & { timeLeftMs: number };
    expect(status).toMatchObject({ breachId: id, phase: 'authority-notified', risk: 'high' });
    expect(status.holds.released[0]).toMatchObject({ holdId: 'hold-1', agency: 'City Police', by: 'Lena Legal' });
    expect(status.timeLeftMs).toBeGreaterThan(69 * 3_600_000);

    // A high risk owes the data subjects a communication (Art. 34); without a roster the engine cannot send it, so it is recorded.
    expect(human.stdout).toMatch(/obligations \(by deadline\):\n +OBLIGATION +DEADLINE +TIME +STATUS +NOTE\n +gdpr:authority +\S+ +DONE +<authority-report\./);
    expect(human.stdout).toMatch(/gdpr:data-subjects +no fixed date +DUE +to the data subjects \(GDPR Art. 34\(1\)\), from awareness/);
    expect(human.stdout).toContain(`Next: notify the data subjects (GDPR Art. 34(1)), then breach obligation record ${id} gdpr:data-subjects --reference … --by "…"`);
    const stillOpen = await breach('close', id, '--by', 'Ines Responder');
    expectOneLineError(stillOpen, 1, 'breach: rejected: obligations are still open: gdpr:data-subjects (due); record each (breach obligation record), or record why it is not required');
    const recorded = await breach('obligation', 'record', id, 'gdpr:data-subjects', '--reference', 'HR letters of 2 Dec', '--by', 'Ines Responder');
    expect(recorded).toMatchObject({ code: 0, stdout: expect.stringMatching(/^gdpr:data-subjects recorded as done at \S+ \(on time\)\.\n$/) });
    const unknownObligation = await breach('obligation', 'record', id, 'gdpr:nothing', '--reference', 'x', '--by', 'Ines Responder');
    expectOneLineError(unknownObligation, 1, "breach: rejected: no obligation 'gdpr:nothing' on this breach (it has gdpr:authority, gdpr:data-subjects, gdpr:public-communication)");

    const closed = await breach('close', id, '--by', 'Ines Responder');
    expect(closed.code).toBe(0);
    expect(closed.stdout).toContain(`Breach ${id} closed at`);
    expect(closed.stdout).toContain('risk high; authority notified');

    const afterClose = await breach('assess', id, '--risk', 'risk', '--rationale', 'x', '--by', 'Ines Responder');
    expectOneLineError(afterClose, 1, `breach: breach '${id}' is closed`);
  });

  it("records the acting person as the Temporal client identity in the breach's history", async () => {
    const history = await engine.client.workflow.getHandle(breachWorkflowId(id)).fetchHistory();
    const identities = (history.events ?? [])
      .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.identity)
      .filter(Boolean);
    expect(identities[0]).toMatch(/^Lena Legal via breach CLI@/);
    expect(identities[1]).toMatch(/^Ines Responder via breach CLI@/);
  });

  it('starts a breach from a YAML file and refuses to start it twice', async () => {
    const fileId = `${id}-file`;
    const file = path.join(dir, 'breach.yaml');
    writeFileSync(
      file,
      stringify({
        id: fileId,
        title: 'Mail sent to wrong list',
        description: 'A newsletter exposed all recipient addresses in the To field.',
        awareAt: subHours(new Date(), 1).toISOString(),
        reporter: 'Ines Responder',
        dataCategories: ['email addresses'],
        approxSubjects: 5000,
        approxRecords: 5000,
        likelyConsequences: 'Spam and phishing.',
        measures: 'Apology sent; mailing tool reconfigured.',
        contactPoint: 'dpo@company.test',
        assessment: { risk: 'risk', rationale: 'Addresses only', by: 'Ines Responder' },
      }),
    );
    const started = await breach('start', '--file', file);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain(`Started breach ${fileId}`);
    const again = await breach('start', '--file', file);
    expectOneLineError(again, 1, `breach: breach '${fileId}' already exists; a breach can be started only once`);
  });

  it('rejects bad input with exit code 2 and one line naming the problem', async () => {
    const future = startFlags(`${id}-future`).map((a, i, all) => (all[i - 1] === '--aware-at' ? '2999-01-01T00:00:00Z' : a));
    const negative = startFlags(`${id}-neg`).map((a, i, all) => (all[i - 1] === '--subjects' ? '-4' : a));
    const noTitle = startFlags(`${id}-notitle`).filter((a, i, all) => a !== '--title' && all[i - 1] !== '--title');
    // Texts have limits: a description of 50 kB would be repeated in every notice.
    const long = startFlags(`${id}-long`).map((a, i, all) => (all[i - 1] === '--description' ? 'x'.repeat(50_000) : a));
    const refusals: [args: string[], error: string][] = [
      [future, 'breach: --aware-at 2999-01-01T00:00:00Z is in the future'],
      [negative, 'breach: --subjects must not be negative'],
      [noTitle, 'breach: missing: --title'],
      // Everything missing is named at once, by the flags to give.
      [['start', '--id', `${id}-bare`, '--title', 'T'], 'breach: missing: --description, --aware-at, --reporter, --categories, --subjects, --records, --consequences, --measures, --contact'],
      [['assess', id, '--risk', 'severe', '--rationale', 'x', '--by', 'me'], '--risk must be one of unlikely, risk, high'],
      [['assess', id, '--risk', 'high'], "required option '--rationale <text>' not specified"],
      [['hold', 'place', id, '--agency', 'A', '--case-ref', 'C', '--reason', 'R', '--by', 'L', '--review-at', 'soon'], "--review-at 'soon' is not an ISO 8601 date"],
      // A local time would be read in the CLI machine's zone.
      [['hold', 'place', id, '--agency', 'A', '--case-ref', 'C', '--reason', 'R', '--by', 'L', '--review-at', '2099-01-01T09:00'], 'with a time zone offset'],
      [['list', '--deadline-before', '2026'], "--deadline-before '2026' is not an ISO 8601 date-time with a time zone offset"],
      // Numbers are whole decimal numbers, nothing a lenient parser would also take.
      ...['', ' ', 'true', '0x10', '1e3', '12.5', 'null'].map((notANumber): [string[], string] => [
        startFlags(`${id}-nan`).map((a, i, all) => (all[i - 1] === '--records' ? notANumber : a)),
        '--records must be a whole decimal number',
      ]),
      [long, '--description must be at most 3000 characters'],
      [['frobnicate'], "unknown command 'frobnicate'"],
    ];
    // None of them reaches Temporal, so they run side by side.
    const results = await Promise.all(refusals.map(([args]) => breach(...args)));
    for (const [i, [, error]] of refusals.entries()) expectOneLineError(results[i]!, 2, error);
  });

  it('checks at start that every letter fits the postal provider and the templates exist; refuses a roster that is not UTF-8 unless its encoding is named', async () => {
    const rosterFile = path.join(dir, 'preflight.csv');
    writeFileSync(rosterFile, `${ROSTER_HEADER}\np-1,Pia Preflight,pia@example.org,,,,,,,,en\n`);
    // Four texts just within their limits make a letter longer than Lob takes inline.
    const wordy = [...startFlags(`${id}-wordy`), '--advice', 'y'].map((a, i, all) => (['--description', '--consequences', '--measures', '--advice'].includes(all[i - 1]!) ? 'y'.repeat(2_990) : a));
    const postal = path.join(dir, 'postal.yaml');
    const lob = { apiKeyEnv: 'LOB_API_KEY', from: { name: 'Company', address_line1: '1 Main St', address_city: 'San Francisco', address_state: 'CA', address_zip: '94107' } };
    writeFileSync(postal, stringify({ ...engine.config, individuals: { ...engine.config.individuals, channels: ['email', 'postal'] }, channels: { postal: lob } }));
    expectOneLineError(await breachWith(postal, ...wordy, '--roster', rosterFile), 2, "the letter in 'en' would be ");
    const noTemplates = path.join(dir, 'no-templates.yaml');
    writeFileSync(noTemplates, stringify({ ...engine.config, individuals: { ...engine.config.individuals, templateDir: path.join(dir, 'nowhere') } }));
    expectOneLineError(await breachWith(noTemplates, ...startFlags(`${id}-notemplates`), '--roster', rosterFile), 2, "individuals.templateDir: cannot render the notice in 'en'");

    // Latin-1 bytes for "José": refused with the line, never decoded into "Jos\uFFFD".
    const latin1 = path.join(dir, 'latin1.csv');
    writeFileSync(latin1, Buffer.concat([Buffer.from(`${ROSTER_HEADER}\np-1,Jos`), Buffer.from([0xe9]), Buffer.from(' Mart,jose@example.org,,,,,,,,en\np-1,Again,again@example.org,,,,,,,,en\n')]));
    const refused = await breach(...startFlags(`${id}-latin1`), '--roster', latin1);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${latin1}:2: not valid UTF-8; save the roster as UTF-8, or name its encoding (breach start --roster-encoding windows-1252)`);
    const skipped = await breach(...startFlags(`${id}-latin1`), '--roster', latin1, '--skip-invalid');
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toContain('1 invalid row(s) will be recorded as unreachable');

    // Named, the encoding is how every reader of the roster decodes it: the notice greets José by his name.
    expectOneLineError(await breach(...startFlags(`${id}-ebcdic`), '--roster', latin1, '--roster-encoding', 'ebcdic'), 2, '--roster-encoding must be one of utf-8, windows-1252, iso-8859-15');
    const spreadsheet = path.join(dir, 'spreadsheet.csv');
    writeFileSync(spreadsheet, Buffer.concat([Buffer.from(`${ROSTER_HEADER}
p-1,Jos`), Buffer.from([0xe9]), Buffer.from(' Mart\xednez,jose@example.org,,,,,,,,en\r\n', 'latin1')]));
    const decoded = await breach(...startFlags(`${id}-cp1252`), '--roster', spreadsheet, '--roster-encoding', 'Windows-1252', '--risk', 'high', '--rationale', 'Health data', '--by', 'Ines Responder');
    expect(decoded.stderr).toBe('');
    const mail = await engine.sink.waitFor((m) => m.to.includes('jose@example.org') && m.messageId.includes(`${id}-cp1252`));
    expect(mail.text).toContain('Dear Jos\u00e9 Mart\u00ednez,');
  });

  it('lets legal confirm a hold or move its review, shows each hold with its reason, and lists active holds across breaches', async () => {
    const held = `${id}-held`;
    expect((await breach(...startFlags(held))).code).toBe(0);
    const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
    expect((await breach('hold', 'place', held, '--agency', 'NCA', '--case-ref', 'NCA-17', '--reason', 'Would alert suspects', '--by', 'Lena Legal', '--review-at', inDays(2))).code).toBe(0);
    const nextReview = inDays(5);
    const confirmed = await breach('hold', 'confirm', held, 'hold-1', '--review-at', nextReview, '--reason', 'NCA confirmed by phone on 1 Dec', '--by', 'Lena Legal');
    expect(confirmed.stdout).toContain(`Hold hold-1 on breach ${held} confirmed as still needed; next review ${nextReview}.`);
    expectOneLineError(await breach('hold', 'extend', held, 'hold-1', '--review-at', inDays(3), '--reason', 'x', '--by', 'Lena Legal'), 1, 'an extension must move the review after the current one');
    expectOneLineError(await breach('hold', 'extend', held, 'hold-9', '--review-at', inDays(9), '--reason', 'x', '--by', 'Lena Legal'), 1, "no hold 'hold-9' on this breach");
    expectOneLineError(await breach('hold', 'extend', held, 'hold-1', '--review-at', 'next week', '--reason', 'x', '--by', 'Lena Legal'), 2, "--review-at 'next week' is not an ISO 8601 date-time");
    expect((await breach('hold', 'extend', held, 'hold-1', '--review-at', inDays(9), '--reason', 'Trial date set', '--by', 'Lena Legal')).code).toBe(0);

    const status = (await breach('status', held)).stdout;
    expect(status).toMatch(/hold-1 NCA case NCA-17, placed \S+ by Lena Legal, review \S+; last reviewed \S+ by Lena Legal \(extended\); delays gdpr: ACTIVE\n\s+reason: Would alert suspects/);
    const audit = (await breach('audit', held)).stdout;
    expect(audit).toContain('hold-1: NCA, case NCA-17, confirmed as still needed: NCA confirmed by phone on 1 Dec; next review');
    expect(audit).toContain('hold-1: NCA, case NCA-17, review moved later: Trial date set; next review');

    const listed = await eventually(
      async () => JSON.parse((await breach('holds', '--json')).stdout) as { breachId: string; holdId: string; agency: string; reviewDue: boolean; ageDays: number }[],
      (holds) => holds.some((h) => h.breachId === held),
    );
    expect(listed.find((h) => h.breachId === held)).toMatchObject({ holdId: 'hold-1', agency: 'NCA', reviewDue: false, ageDays: 0 });
    expect((await breach('holds')).stdout).toMatch(new RegExp(`${held}\\s+hold-1\\s+NCA\\s+NCA-17\\s+0 d`));

    // The Temporal Web UI shows the breach by its title and deadline, among its cohorts' workflows.
    const description = await engine.client.workflow.getHandle(breachWorkflowId(held)).describe();
    expect(await description.staticSummary()).toBe(`Breach ${held}: Laptop stolen`);
    expect(await description.staticDetails()).toMatch(/^Authority deadline \S+ \(72 h after awareness at \S+\)\.$/);
    // … and on its page the current phase, kept up to date by the workflow.
    const metadata = await engine.client.workflow.getHandle(breachWorkflowId(held)).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(/^Phase awaiting-assessment, held by a law-enforcement hold; authority deadline \S+\.$/);
  });

  it('scores an assessment by the ENISA methodology; a decision below what it recommends needs its reason', async () => {
    const scored = `${id}-scored`;
    expect((await breach(...startFlags(scored))).code).toBe(0);
    const decide = (risk: string, ...rest: string[]) => breach('assess', scored, '--risk', risk, '--rationale', 'Card data posted online', '--by', 'Ines Responder', ...rest);
    const card = ['--data', 'financial:+1:full card data usable for transactions', '--data', 'simple', '--ease', 'maximum', '--confidentiality', 'unknown-recipients', '--malicious', '--more-than-100'];
    const score = 'ENISA severity 5.00 (very-high: DPC 4 × EI 1 + CB 1), recommended high';
    expectOneLineError(await decide('risk', ...card), 1, `breach: rejected: ${score}; deciding 'risk' below that needs the reason why (--below-recommendation)`);
    const below = await decide('risk', ...card, '--below-recommendation', 'The cards were cancelled within the hour');
    expect(below.stderr).toBe('');
    expect(below.stdout).toContain(score);

    // The same inputs from a file, here unintelligible data: Art. 34(3)(a) spares the individuals.
    const file = path.join(dir, 'severity.yaml');
    writeFileSync(file, stringify({ categories: [{ category: 'sensitive', adjustment: 0 }], ease: 'maximum', confidentiality: 'unknown-recipients', unintelligible: true }));
    const fromFile = await decide('risk', '--severity', file);
    expect(fromFile.stdout).toContain('ENISA severity 4.50 (very-high: DPC 4 × EI 1 + CB 0.5), recommended risk; Art. 34(3)(a)');

    expectOneLineError(await decide('high', '--data', 'financial:+2:x', '--ease', 'maximum'), 1, 'severity: financial data adjusted by +2 would score 5; a data category scores 1 to 4');
    expectOneLineError(await decide('high', '--data', 'behavioural:+1', '--ease', 'maximum'), 1, 'the adjustment of behavioural data by +1 needs its reason');
    expectOneLineError(await decide('high', '--data', 'secret', '--ease', 'maximum'), 2, 'categories.0.category must be one of simple, behavioural, financial, sensitive');
    expectOneLineError(await decide('high', '--data', 'simple:lots', '--ease', 'maximum'), 2, "--data 'simple:lots': the adjustment must be a whole number");
    expectOneLineError(await decide('high', '--data', 'simple'), 2, '--ease is needed to score the breach');
    expectOneLineError(await decide('high', '--severity', file, '--ease', 'maximum'), 2, 'not both');
    expectOneLineError(await decide('high', '--below-recommendation', 'x'), 1, 'a reason for deciding below the recommendation goes with a severity score');

    // The score, its inputs and the reason to decide below it are in the status and the audit.
    expect((await breach('status', scored)).stdout).toContain('ENISA severity 4.50 (very-high: DPC 4 × EI 1 + CB 0.5), recommended risk');
    const audit = (await breach('audit', scored)).stdout;
    expect(audit).toContain(`${score}; below the recommendation because: The cards were cancelled within the hour`);
  });

  it('prints what people typed without its control characters, and neutralises formulas in CSV exports', async () => {
    const sneaky = `${id}-sneaky`;
    const flags = startFlags(sneaky).map((a, i, all) => (all[i - 1] === '--title' ? 'Laptop\u001b[2J\u001b[1;1Hstolen\u202e' : a));
    expect((await breach(...flags, '--risk', 'unlikely', '--rationale', '=HYPERLINK("http://evil.test","x")', '--by', '@Ines')).code).toBe(0);
    const status = await breach('status', sneaky);
    expect(status.stdout).toContain('Laptop\uFFFD[2J\uFFFD[1;1Hstolen\uFFFD');
    expect(status.stdout).not.toMatch(/[\u001b\u202e]/);
    const csv = (await breach('audit', sneaky, '--format', 'csv')).stdout;
    expect(csv).toContain(`,'@Ines,`);
    expect(csv).not.toMatch(/(^|,)[=+@-]/m);
  });

  it('reports refused requests and unknown breaches with exit code 1', async () => {
    const openId = `${id}-open`;
    expect((await breach(...startFlags(openId))).code).toBe(0);
    expectOneLineError(await breach('hold', 'place', openId, '--agency', ' ', '--case-ref', 'C', '--reason', 'R', '--by', 'L'), 1, 'breach: rejected: agency must not be empty');
    expectOneLineError(await breach('hold', 'release', openId, 'hold-7', '--reason', 'R', '--by', 'L'), 1, "breach: rejected: no hold 'hold-7' on this breach");
    expectOneLineError(await breach('status', 'no-such-breach'), 1, "no open breach 'no-such-breach' found");
  });

  it('reports an invalid configuration file with the key path and exit code 2', async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, stringify({ ...engine.config, authority: { ...engine.config.authority, deadlineHours: 'soon' } }));
    expectOneLineError(await breachWith(bad, 'status', id), 2, `${bad}: authority.deadlineHours: `);
  });

  it('validates a roster before starting, lists bad rows by line, and takes bounce reports', async () => {
    const rosterFile = path.join(dir, 'roster.csv');
    writeFileSync(
      rosterFile,
      [
        'subject_id,full_name,email,fax,address_line1,address_line2,city,region,postal_code,country,language',
        'r-1,Ada Lovelace,ada@example.org,,,,,,,,en',
        'r-2,Bob,not-an-address,,,,,,,,en',
        'r-3,Cy,,,1 Main St,,,CA,,US,en',
      ].join('\n') + '\n',
    );
    const rosterId = `${id}-roster`;
    const refused = await breach(...startFlags(rosterId), '--roster', rosterFile);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toEqual([
      `${rosterFile}:3: email is not a valid address`,
      `${rosterFile}:4: incomplete postal address: missing city, postal code`,
      `breach: ${rosterFile}: 2 invalid row(s); fix them, or start with --skip-invalid to record them as unreachable`,
    ]);
    expect(refused.stderr).not.toContain('not-an-address');

    const started = await breach(...startFlags(rosterId), '--roster', rosterFile, '--skip-invalid', '--risk', 'high', '--rationale', 'Emails', '--by', 'Ines Responder');
    expect(started.code).toBe(0);
    expect(started.stdout).toContain('Roster: 3 row(s), SHA-256 ');

    // Ada's email was accepted; the bounce window is open until a report comes.
    const sentTo = (await eventually(
      () => findSubjectCohort(engine.client, rosterId, 'r-1'),
      (view) => view?.state === 'awaiting-report' && view.channel === 'email',
    ))!;
    // Who is where, by id only: the cohorts are asked, never the roster.
    expect((await breach('subjects', rosterId, '--state', 'awaiting-report')).stdout.trim()).toBe('r-1');

    // Reported while the window is open, before the previews, which can take longer than the window.
    const bounced = await breach('bounce', rosterId, 'r-1', '--channel', 'email', '--reason', '550 5.1.1 mailbox unknown', '--by', 'Mo Mailops');
    expect(bounced.stderr).toBe('');
    expect(bounced.code).toBe(0);
    expect(bounced.stdout).toContain(`Reported: the email notice to subject r-1 of breach ${rosterId} did not arrive`);
    // The preview is what was sent: the same document, and the SHA-256 the evidence of the send records.
    const previewFile = path.join(dir, 'preview-r-1.txt');
    const preview = await breach('notice', 'preview', rosterId, '--subject', 'r-1', '--out', previewFile);
    expect(preview.stderr).toBe('');
    expect(preview.stdout).toContain(`Content SHA-256 (what the evidence of this send records): ${sentTo.attempts[0]!.contentSha256}`);
    expect(readFileSync(previewFile, 'utf8')).toMatch(/^Notice of a personal data breach that affects you\n\w+ \d{1,2}, \d{4}\n\nDear Ada Lovelace,/);
    // A channel this configuration does not send on has nothing to preview.
    const faxFile = path.join(dir, 'preview.pdf');
    expectOneLineError(await breach('notice', 'preview', rosterId, '--channel', 'fax', '--out', faxFile), 2, 'breach: this configuration has no fax channel (channels.fax)');
    const sample = await breach('notice', 'preview', rosterId, '--out', previewFile);
    expect(sample.stdout).toContain('for preview to');
    expect(readFileSync(previewFile, 'utf8')).toContain('Dear Alex Example,');
    expectOneLineError(await breach('notice', 'preview', rosterId, '--subject', 'nobody', '--out', faxFile), 1, `breach: no subject 'nobody' in the roster of breach '${rosterId}'`);
    expectOneLineError(await breach('notice', 'preview', rosterId, '--channel', 'pigeon', '--out', faxFile), 2, 'breach: --channel must be one of email, fax, postal');
    // Whether the cohort has finished yet or not, its validator refuses a second bounce.
    const again = await breach('bounce', rosterId, 'r-1', '--channel', 'email', '--reason', 'again');
    expectOneLineError(again, 1, 'breach: rejected: ');
    expect(again.stderr).toContain("subject 'r-1'");
    // r-3 is the only row of the second cohort: every cohort is asked before a subject is unknown.
    expectOneLineError(await breach('bounce', rosterId, 'nobody', '--channel', 'email', '--reason', 'x'), 1, `breach: no subject 'nobody' in breach '${rosterId}'`);
    expectOneLineError(await breach('bounce', `${rosterId}-none`, 'r-1', '--channel', 'email', '--reason', 'x'), 1, `no open breach '${rosterId}-none' found`);
    expectOneLineError(await breach('bounce', rosterId, 'r-1', '--channel', 'pigeon', '--reason', 'x'), 2, '--channel must be one of email, fax, postal');
    // A letter can only come back if one was mailed: r-1's notice went by email, never by post.
    expectOneLineError(await breach('bounce', rosterId, 'r-1', '--channel', 'postal', '--reason', 'Return to sender'), 1, "breach: rejected: no letter to subject 'r-1' counts as delivered");

    // The cohorts report to the breach by signal, which it takes in its own time.
    const status = await eventually(
      async () => JSON.parse((await breach('status', rosterId, '--json')).stdout) as BreachStatus,
      (s) => s.individuals.unreachable === 3,
    );
    expect(status.individuals).toMatchObject({ pending: 0, inProgress: 0, unreachable: 3 });
    expect(status.unreachableSubjects.map((u) => u.subjectId).sort()).toEqual(['r-1', 'r-2', 'r-3']);
    expect(status.unreachableSubjects.find((u) => u.subjectId === 'r-1')?.reasons).toEqual(['email: 550 5.1.1 mailbox unknown (cli)']);
    expect(status.unreachableSubjects.find((u) => u.subjectId === 'r-2')?.reasons).toEqual(['roster line 3: email is not a valid address']);
    expect(JSON.parse((await breach('subjects', rosterId, '--state', 'unreachable', '--json')).stdout)).toEqual(['r-1', 'r-2', 'r-3']);
    expect((await breach('subjects', rosterId, '--state', 'notified-email')).stdout).toBe('');
    expectOneLineError(await breach('subjects', rosterId, '--state', 'lost'), 2, '--state must be one of pending, sending, awaiting-report, notified-email, notified-fax, notified-postal, unreachable');
  });

  it('takes the reason for a late notice and sends supplementary information', async () => {
    const lateId = `${id}-late`;
    const late = startFlags(lateId).map((a, i, all) => (all[i - 1] === '--aware-at' ? subHours(new Date(), 80).toISOString() : a));
    expect((await breach(...late, '--risk', 'risk', '--rationale', 'Exposure', '--by', 'Ines Responder')).code).toBe(0);
    expectOneLineError(await breach('supplement', lateId, '--information', 'More', '--by', 'Dana DPO'), 1, 'the authority has not been notified yet');
    const reason = await breach('late-reason', lateId, '--reason', 'Reported to us on day four', '--by', 'Dana DPO');
    expect(reason).toMatchObject({ code: 0, stdout: `Reason for the delay recorded on breach ${lateId}.\n` });
    const status = await eventually(
      async () => JSON.parse((await breach('status', lateId, '--json')).stdout) as BreachStatus,
      (s) => s.authorityNotice !== undefined,
    );
    expect(status.authorityNotice).toMatchObject({ onTime: false, lateReason: 'Reported to us on day four' });
    const supplement = await breach('supplement', lateId, '--information', 'Forensics found 12 more records', '--by', 'Dana DPO');
    expect(supplement.code).toBe(0);
    expect(supplement.stdout).toMatch(/^Supplement 1 sent at .* \(<authority-supplement-1\./);
  });

  it('records a portal submission for a breach whose authority takes notices on its portal', async () => {
    const portalConfig = path.join(dir, 'portal.yaml');
    writeFileSync(portalConfig, stringify({ ...engine.config, authority: { ...engine.config.authority, notifyBy: 'portal' } }));
    const portalId = `${id}-portal`;
    expect((await breachWith(portalConfig, ...startFlags(portalId))).code).toBe(0);
    expectOneLineError(await breach('portal', portalId, '--reference', 'DPA-1', '--by', 'Dana DPO'), 1, "must be assessed as 'risk' or 'high'");
    expect((await breach('assess', portalId, '--risk', 'risk', '--rationale', 'Exposure', '--by', 'Ines Responder')).code).toBe(0);
    const submitted = await breach('portal', portalId, '--reference', 'DPA-2026-77', '--by', 'Dana DPO');
    expect(submitted).toMatchObject({ code: 0, stderr: '' });
    expect(submitted.stdout).toMatch(/^Portal submission DPA-2026-77 recorded at \S+ \(on time\)\.\n$/);
    const status = JSON.parse((await breach('status', portalId, '--json')).stdout) as BreachStatus;
    expect(status.authorityNotice).toMatchObject({ portalReference: 'DPA-2026-77', onTime: true });
  });

  it("tells people what they can do: the breach's --advice, or the template's advice.txt", async () => {
    const advice = readFileSync(path.join(root, 'templates', 'en', 'advice.txt'), 'utf8').trim();
    for (const [breachId, flags, expected] of [
      [`${id}-advice`, ['--advice', 'Call our hotline to replace your card.'], 'Call our hotline to replace your card.'],
      [`${id}-template-advice`, [], advice],
    ] as const) {
      const roster = path.join(dir, `${breachId}.csv`);
      writeFileSync(roster, `subject_id,full_name,email\nv-1,Vera,vera@example.org\n`);
      const started = await breach(...startFlags(breachId), ...flags, '--roster', roster, '--risk', 'high', '--rationale', 'Card data', '--by', 'Ines Responder');
      expect(started.code).toBe(0);
      const notice = await engine.sink.waitFor((m) => m.messageId === noticeMessageId({ breachId, cohort: 0, subjectId: 'v-1' }, 'company.test'));
      expect(notice.text).toContain(expected);
    }
  });

  it('takes the Temporal address and namespace from flags over the file, and the file from BREACH_CONFIG', async () => {
    const unreachable = path.join(dir, 'unreachable.yaml');
    writeFileSync(unreachable, stringify({ ...engine.config, temporal: { ...engine.config.temporal, address: '127.0.0.1:1', namespace: 'nowhere' } }));
    const addressId = `${id}-address`;
    expect((await breach(...startFlags(addressId))).code).toBe(0);
    const status = ['status', addressId];
    expectOneLineError(await breachWith(unreachable, ...status), 1, 'cannot reach Temporal at 127.0.0.1:1');
    const overridden = await breachWith(unreachable, '--address', engine.config.temporal.address, '--namespace', 'default', ...status);
    expect(overridden).toMatchObject({ code: 0, stderr: '' });
    expect(overridden.stdout).toContain(`Breach ${addressId}:`);

    const fromEnv = await new Promise<CliResult>((resolve) =>
      execFile(path.join(root, 'bin', 'breach'), status, { cwd: dir, env: { ...process.env, BREACH_CONFIG: configFile } }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
      ),
    );
    expect(fromEnv).toMatchObject({ code: 0, stderr: '' });
  });

  it('lists exactly the breaches that match the filters', async () => {
    const since = new Date().toISOString();
    const [a, b, c] = ['a', 'b', 'c'].map((x) => `${id}-list-${x}`) as [string, string, string];
    for (const breachId of [a, b, c]) expect((await breach(...startFlags(breachId))).code).toBe(0);
    expect((await breach('hold', 'place', a, '--agency', 'Police', '--case-ref', 'P-1', '--reason', 'R', '--by', 'Lena Legal')).code).toBe(0);
    expect((await breach('assess', b, '--risk', 'risk', '--rationale', 'Exposure', '--by', 'Ines Responder')).code).toBe(0);

    const listed = async (...filters: string[]) => {
      const result = await breach('list', '--opened-after', since, '--json', ...filters);
      expect(result.code).toBe(0);
      return (JSON.parse(result.stdout) as { breachId: string }[]).map((x) => x.breachId).sort();
    };
    await eventually(() => listed('--phase', 'authority-notified'), (ids) => ids.join() === b);
    expect(await listed()).toEqual([a, b, c]);
    expect(await listed('--held')).toEqual([a]);
    expect(await listed('--phase', 'awaiting-assessment')).toEqual([a, c]);
    expect(await listed('--deadline-before', new Date(Date.now() + 69 * 3_600_000).toISOString())).toEqual([]);
    expect(await listed('--deadline-after', new Date(Date.now() + 69 * 3_600_000).toISOString())).toEqual([a, b, c]);
    const table = await breach('list', '--opened-after', since, '--held');
    expect(table.stdout.split('\n')[0]).toMatch(/^BREACH +PHASE +DEADLINE +NEXT OBLIGATION +HOLD +OPENED$/);
    expect(table.stdout).toContain(a);
    expectOneLineError(await breach('list', '--phase', 'limbo'), 2, '--phase must be one of');
  });

  it("starts a breach under the regimes named or where the roster's people live, and records anchors, obligations and holds per regime", async () => {
    const rosterFile = path.join(dir, 'regimes-roster.csv');
    writeFileSync(
      rosterFile,
      [
        'subject_id,full_name,email,address_line1,city,region,postal_code,country',
        'r-1,Rita,rita@example.org,1 Main St,Austin,TX,73301,US',
        'r-2,Raul,raul@example.org,2 Main St,Dallas,Texas,75001,US',
        'r-3,Rosa,rosa@example.org,3 Main St,Fresno,California,93650,us',
      ].join('\n') + '\n',
    );
    const derived = await breach(...startFlags(`${id}-reg-roster`), '--roster', rosterFile);
    expect(derived.code).toBe(0);
    expect(derived.stdout).toContain('Regimes: gdpr, california, texas (breach status lists their obligations).');
    const derivedStatus = JSON.parse((await breach('status', `${id}-reg-roster`, '--json')).stdout) as BreachStatus;
    expect(derivedStatus.obligations!.find((v) => v.id === 'texas:attorney-general')).toMatchObject({ status: 'not-required', reason: '2 resident(s) of US-TX affected; owed from 250' });

    // Rosa lives in California: her letter follows California's format.
    const letterFile = path.join(dir, 'preview-r-3.html');
    expect((await breach('notice', 'preview', `${id}-reg-roster`, '--subject', 'r-3', '--channel', 'postal', '--out', letterFile)).code).toBe(0);
    expect(readFileSync(letterFile, 'utf8')).toContain('<h2>Notice of Data Breach</h2>');

    expectOneLineError(await breach(...startFlags(`${id}-reg-bad`), '--regimes', 'gdpr,calfornia'), 2, "breach: --regimes: unknown regime 'calfornia'; known: gdpr, uk-gdpr, hipaa, nydfs, sec, california");
    expectOneLineError(await breach(...startFlags(`${id}-reg-bad`), '--regimes', 'california'), 2, 'california:attorney-general depends on how many people of US-CA are affected; give a --roster with country and region, or --residents US-CA=N');
    expectOneLineError(await breach(...startFlags(`${id}-reg-bad`), '--residents', 'texas=3'), 2, "breach: --residents: 'texas=3' must be CODE=COUNT, e.g. US-CA=600");
    expectOneLineError(await breach(...startFlags(`${id}-reg-bad`), '--data-types', 'dna'), 2, 'breach: --data-types must be among phi, ssn');

    const named = `${id}-reg-named`;
    const started = await breach(...startFlags(named), '--regimes', 'gdpr,sec,florida', '--residents', 'US-FL=600', '--determined-at', subHours(new Date(), 1).toISOString());
    expect(started.code).toBe(0);
    expectOneLineError(
      await breach('hold', 'place', named, '--agency', 'FDLE', '--case-ref', 'F-1', '--reason', 'R', '--by', 'Lena Legal', '--regimes', 'florida', '--form', 'oral'),
      1,
      'breach: rejected: Florida Statutes 501.171 accepts only a written law-enforcement request, not an oral one',
    );
    expectOneLineError(await breach('hold', 'place', named, '--agency', 'FDLE', '--case-ref', 'F-1', '--reason', 'R', '--by', 'Lena Legal', '--form', 'spoken'), 2, 'breach: --form must be one of written, oral');
    const held = await breach('hold', 'place', named, '--agency', 'FDLE', '--case-ref', 'F-1', '--reason', 'R', '--by', 'Lena Legal', '--regimes', 'florida', '--form', 'written');
    expect(held.stdout).toContain('delays notices under florida)');
    expect((await breach('hold', 'statement', named, 'hold-1', '--reason', 'letter of the FDLE', '--by', 'Lena Legal')).stdout).toMatch(/^Written statement of hold hold-1 on breach \S+ recorded at /);

    expectOneLineError(await breach('anchor', named, 'board-meeting', '--at', new Date().toISOString(), '--by', 'Board'), 2, 'breach: the event must be one of awareness, discovery, determination');
    const anchored = await breach('anchor', named, 'materiality-determination', '--at', new Date().toISOString(), '--by', 'Board');
    expect(anchored.stdout).toMatch(/sec:8-k is due at \S+\./);
    const notRequired = await breach('obligation', 'not-required', named, 'sec:8-k', '--reason', 'the board found it not material after all', '--by', 'Counsel');
    expect(notRequired.stdout).toBe('sec:8-k recorded as not required.\n');
    expect((await breach('assess', named, '--risk', 'risk', '--rationale', 'Card numbers', '--by', 'Ines Responder')).code).toBe(0);
    await eventually(async () => JSON.parse((await breach('status', named, '--json')).stdout) as BreachStatus, (s) => s.authorityNotice !== undefined);
    const status = await breach('status', named);
    expect(status.stdout).toContain(`Next: notify the Department of Legal Affairs (Fla. Stat. 501.171(3)(a)), then breach obligation record ${named} florida:department --reference … --by "…"`);
    expect(status.stdout).toMatch(/florida:residents +\S+ +\S+ \S+ left +HELD +delayed by hold-1/);
    expect(status.stdout).toMatch(/sec:8-k +\S+ +NOT-REQUIRED +recorded by Counsel: the board found it not material after all/);

    // Once the authority is notified, the next open deadline is Florida's department notice, 30 days after the determination.
    const listed = async (...filters: string[]) => (JSON.parse((await breach('list', '--json', ...filters)).stdout) as { breachId: string }[]).map((b) => b.breachId);
    const department = (JSON.parse((await breach('status', named, '--json')).stdout) as BreachStatus).obligations!.find((v) => v.id === 'florida:department')!.deadline!;
    await eventually(() => listed('--next-deadline-before', addHours(new Date(department), 1).toISOString()), (ids) => ids.includes(named));
    await eventually(() => listed('--next-deadline-before', addHours(new Date(department), -1).toISOString()), (ids) => !ids.includes(named));
    expect(await listed('--next-deadline-after', addHours(new Date(department), -1).toISOString())).toContain(named);
  });

  it('status --watch --json prints one line per change until the breach closes', async () => {
    const watched = `${id}-watch`;
    expect((await breach(...startFlags(watched), '--risk', 'risk', '--rationale', 'Contact data', '--by', 'Ines Responder')).code).toBe(0);
    const watch = spawnBreachCli(configFile, dir, ['status', watched, '--watch', '0.5', '--json']);
    const views = () => watch.lines.map((line) => JSON.parse(line) as BreachStatus);
    await eventually(async () => views(), (v) => v.some((s) => s.authorityNotice !== undefined));
    expect((await breach('hold', 'place', watched, '--agency', 'Police', '--case-ref', 'P-2', '--reason', 'R', '--by', 'Lena Legal', '--review-at', '2099-01-01T00:00:00Z')).code).toBe(0);
    await eventually(async () => views(), (v) => v.at(-1)!.holds.active.length === 1);
    expect((await breach('hold', 'release', watched, 'hold-1', '--reason', 'Done', '--by', 'Lena Legal')).code).toBe(0);
    await eventually(async () => views(), (v) => v.at(-1)!.holds.active.length === 0);
    expect((await breach('close', watched, '--by', 'Ines Responder')).code).toBe(0);
    const result = await watch.exited;
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const phases = views().map((v) => `${v.phase}${v.holds.active.length ? '+hold' : ''}`);
    // Each line is a change: the hold appears and goes, and the last line is the closed breach.
    expect(phases.filter((p, i) => p !== phases[i - 1])).toEqual(expect.arrayContaining(['authority-notified', 'authority-notified+hold', 'closed']));
    expect(phases.at(-1)).toBe('closed');
    expect(new Set(watch.lines).size).toBe(watch.lines.length);
    expectOneLineError(await breach('status', watched, '--watch', 'often'), 2, "breach: --watch takes the seconds between redraws, from 0.5 to 3600, not 'often'");
  });

  it('shows the channels our side cannot reach in the status, with how many cohorts wait for each', () => {
    const status: BreachStatus = {
      breachId: 'outage',
      title: 'Relay down',
      phase: 'notifying-individuals',
      awareAt: '2026-11-30T08:00:00.000Z',
      deadline: '2026-12-03T08:00:00.000Z',
      asOf: '2026-11-30T12:00:00.000Z',
      pastDeadline: false,
      assessments: [],
      supplements: [],
      holds: { active: [], released: [] },
      reminders: [],
      individuals: { pending: 0, inProgress: 1500, notifiedByEmail: 0, notifiedByFax: 0, notifiedByPostal: 0, unreachable: 0 },
      unreachableSubjects: [],
      channelFailures: [
        { channel: 'email', since: '2026-11-30T10:00:00.000Z', reason: 'connect ECONNREFUSED 127.0.0.1:25', cohorts: 3 },
        { channel: 'postal', since: '2026-11-30T11:00:00.000Z', reason: 'Lob answered 503', cohorts: 1 },
      ],
    };
    const lines = formatStatus(status, new Date()).split('\n');
    expect(lines).toContain('  email channel failing since 2026-11-30T10:00:00.000Z (3 cohorts): connect ECONNREFUSED 127.0.0.1:25');
    expect(lines).toContain('  postal channel failing since 2026-11-30T11:00:00.000Z (1 cohort): Lob answered 503');
  });

  it('says so when no worker answers instead of waiting forever', async () => {
    const unattended = path.join(dir, 'unattended.yaml');
    writeFileSync(unattended, stringify({ ...engine.config, temporal: { ...engine.config.temporal, taskQueue: `nobody-${id}` } }));
    const lonelyId = `${id}-lonely`;
    expect((await breachWith(unattended, ...startFlags(lonelyId))).code).toBe(0);
    const [status, assess] = await Promise.all([breach('status', lonelyId), breach('assess', lonelyId, '--risk', 'high', '--rationale', 'x', '--by', 'me')]);
    expectOneLineError(status, 1, 'no worker answered within 3 s');
    expectOneLineError(assess, 1, 'no worker answered within 3 s');
  });

  it('runs a worker that polls only the queues --queues names, and refuses unknown or unconfigured ones', async () => {
    const emailOnly = path.join(dir, 'email-only.yaml');
    writeFileSync(emailOnly, stringify({ ...engine.config, individuals: { ...engine.config.individuals, channels: ['email'] } }));
    const workerWith = (config: string, ...args: string[]) =>
      new Promise<CliResult>((resolve) => {
        execFile(path.join(root, 'node_modules', '.bin', 'tsx'), ['worker/main.ts', '--config', config, ...args], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
          resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
        });
      });
    const worker = (...args: string[]) => workerWith(emailOnly, ...args);
    // A provider key that is not in the environment is found at start-up, not when the first fax goes out.
    const keyless = path.join(dir, 'keyless.yaml');
    const fax = { apiKeyEnv: 'NO_SUCH_TELNYX_KEY', connectionId: '1', from: '+13125550100' };
    writeFileSync(keyless, stringify({ ...engine.config, individuals: { ...engine.config.individuals, channels: ['email', 'fax'] }, channels: { fax } }));
    const [unknown, twice, unconfigured, keyMissing] = await Promise.all([
      worker('--queues', 'workflows,sms'),
      worker('--queues', 'email,email'),
      worker('--queues', 'email,postal'),
      workerWith(keyless, '--queues', 'fax'),
    ]);
    expectOneLineError(unknown, 1, 'unknown worker queue "sms" in --queues; expected a comma-separated list of workflows, email, fax, postal');
    expectOneLineError(twice, 1, 'worker queue "email" is named twice in --queues');
    expectOneLineError(unconfigured, 1, 'the worker was asked to poll postal, which individuals.channels does not list (email)');
    expectOneLineError(keyMissing, 1, 'the worker cannot start: channels.fax.apiKeyEnv: the environment variable NO_SUCH_TELNYX_KEY is not set');
  });

  it('runs `npm run worker` with its heap limit, and refuses a workflow cache that limit cannot hold', async () => {
    // 300 cohorts of 500 need about 287 MB: more than half of the 560 MB heap the script's 512 MB old space gives, though well within node's default.
    const bigCache = path.join(dir, 'big-cache.yaml');
    writeFileSync(bigCache, stringify({ ...engine.config, temporal: { ...engine.config.temporal, maxCachedWorkflows: 300 }, individuals: { ...engine.config.individuals, channels: ['email'], cohortSize: 500 } }));
    const result = await new Promise<CliResult>((resolve) => {
      execFile('npm', ['run', '--silent', 'worker', '--', '--config', bigCache, '--queues', 'workflows'], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      });
    });
    expectOneLineError(
      result,
      1,
      "the worker cannot start: temporal.maxCachedWorkflows: 300 cached cohorts of 500 people need about 287 MB of the workflow thread's heap, more than half of the worker's heap limit of 560 MB; lower it, or raise --max-old-space-size in package.json's worker script",
    );
  });
});
