import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { faxCover, faxDocument } from '../activities/channels/fax';
import type { EngineConfig } from '../config/schema';
import { letterDocument } from '../activities/channels/letter-document';
import { createNoticeRenderer, emailDocument, noticeContext } from '../activities/notice-renderer';
import { firstPayload } from '../audit/history-events';
import { scanRun } from '../audit/read-history';
import type { BreachWorkflowInput } from '../domain/breach';
import { breachWorkflowId } from '../domain/ids';
import type { Channel, NoticeContent, Subject } from '../domain/individuals';
import { findSubject } from '../roster/roster-file';
import { noticeQuery } from '../workflows/messages/breach';
import { CommandFailed, UsageError } from './errors';
import type { Session } from './session';
import { say } from './terminal';

/** Whom a preview is addressed to without --subject: nobody's data, a name of typical length. */
const SAMPLE_READER: Subject = { subjectId: 'preview', fullName: 'Alex Example' };

/** Renders the notice of breach `id` as `channel` would send it, for one person of the roster or a sample reader, into `out`. */
export async function previewNotice(session: Session, id: string, flags: { out: string; subject?: string; channel: Channel }): Promise<void> {
  const { config } = session;
  const { breachNotice, input } = await session.withWorker(undefined, async (client) => {
    const handle = client.workflow.getHandle(breachWorkflowId(id));
    const { runId } = await handle.describe();
    let started: BreachWorkflowInput | undefined;
    await scanRun(client, handle.workflowId, runId, { observe: (_run, _index, event) => void (started ??= firstPayload<BreachWorkflowInput>(event.workflowExecutionStartedEventAttributes?.input)) }, () => true);
    return { breachNotice: await handle.query(noticeQuery), input: started };
  });
  const reader = flags.subject === undefined ? SAMPLE_READER : await rosterSubject(input, id, flags.subject);
  const render = createNoticeRenderer(path.resolve(config.individuals.templateDir), config.individuals.defaultLanguage, noticeContext(config));
  const content = await render(breachNotice, reader, flags.channel);
  const { bytes, sha256 } = await documentOf(flags.channel, content, reader, config);
  writeFileSync(flags.out, bytes);
  say(`Wrote the ${flags.channel} notice of breach ${id} for ${reader.subjectId} to ${flags.out}.`);
  say(`Content SHA-256 (what the evidence of this send records): ${sha256}`);
}

async function rosterSubject(input: BreachWorkflowInput | undefined, breachId: string, subjectId: string): Promise<Subject> {
  if (!input?.roster) throw new CommandFailed(`breach '${breachId}' has no roster; preview without --subject`);
  const subject = await findSubject(input.roster.ref, subjectId);
  if (!subject) throw new CommandFailed(`no subject '${subjectId}' in the roster of breach '${breachId}'`);
  return subject;
}

async function documentOf(channel: Channel, content: NoticeContent, reader: Subject, config: EngineConfig): Promise<{ bytes: Buffer | string; sha256: string }> {
  if (channel === 'fax') {
    if (!config.channels.fax) throw new UsageError('this configuration has no fax channel (channels.fax)');
    const { pdf, contentSha256 } = await faxDocument(content, faxCover(reader, config.channels.fax.from, config.controller?.name));
    return { bytes: pdf, sha256: contentSha256 };
  }
  if (channel === 'postal') {
    const { file, contentSha256 } = letterDocument(content);
    return { bytes: file, sha256: contentSha256 };
  }
  return { bytes: emailDocument(content), sha256: content.contentSha256 };
}
