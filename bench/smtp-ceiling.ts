/**
 * The ceiling of the cascade benchmark, run by bench/cascade.ts in a process of its own: the
 * engine's SMTP path without Temporal. The same pooled nodemailer transport (createMailTransport,
 * the same maxConnections), the same notice renderer and the same sendMail with the same headers
 * send the roster's emails to the same SMTP sink, one message in flight per connection as the
 * email batch activity does. Whatever the engine loses against this is the cost of orchestration.
 *
 *   node --require tsx/cjs bench/smtp-ceiling.ts '<CeilingJob as JSON>'
 *
 * Prints one line of JSON: { sent, failed, ms, cpuMs } (cpuMs: this process's CPU time while sending).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createNoticeRenderer } from '../activities/notice-renderer';
import { createMailTransport, messageIdDomain, sendMail } from '../activities/smtp';
import type { EngineConfig } from '../config/schema';
import type { BreachFacts } from '../domain/breach';
import { noticeId, noticeMessageId } from '../domain/ids';
import type { Subject } from '../domain/individuals';
import { breachNotice } from '../domain/notice';

export interface CeilingJob {
  smtp: EngineConfig['smtp'];
  from: string;
  templateDir: string;
  defaultLanguage: string;
  /** The notice's facts; the breach id differs from the benchmarked breach so its mail is told apart. */
  facts: BreachFacts;
  /** The benchmark's JSONL roster; every row with an email address is sent one notice. */
  roster: string;
  cohortSize: number;
}

async function emailSubjects(roster: string): Promise<{ subject: Subject; row: number }[]> {
  const subjects: { subject: Subject; row: number }[] = [];
  let row = 0;
  for await (const line of createInterface({ input: createReadStream(roster) })) {
    if (line.trim() === '') continue;
    const parsed = JSON.parse(line) as Subject;
    if (parsed.email) subjects.push({ subject: { subjectId: parsed.subjectId, fullName: parsed.fullName, email: parsed.email }, row });
    row++;
  }
  return subjects;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as CeilingJob;
  const subjects = await emailSubjects(job.roster);
  const renderNotice = createNoticeRenderer(job.templateDir, job.defaultLanguage);
  const notice = breachNotice(job.facts);
  const domain = messageIdDomain(job.from);
  const transport = createMailTransport(job.smtp);
  let next = 0;
  let sent = 0;
  let failed = 0;
  // One lane per pooled connection, each with one message in flight, like the batch sender.
  const lane = async () => {
    while (next < subjects.length) {
      const { subject, row } = subjects[next++]!;
      const ref = { breachId: job.facts.breachId, cohort: Math.floor(row / job.cohortSize), subjectId: subject.subjectId };
      const content = await renderNotice(notice, subject, 'email');
      try {
        await sendMail(transport, {
          from: job.from,
          to: [subject.email!],
          subject: content.subject,
          text: content.text,
          html: content.html,
          messageId: noticeMessageId(ref, domain),
          headers: { 'X-Notice-Id': noticeId(ref) },
        });
        sent++;
      } catch {
        failed++;
      }
    }
  };
  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: job.smtp.maxConnections }, lane));
  const ms = Date.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  transport.close();
  console.log(JSON.stringify({ sent, failed, ms, cpuMs: (cpu.user + cpu.system) / 1000 }));
}

main().catch((err) => {
  console.error(`smtp ceiling: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
