import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createEmailActivities } from '../activities/channels/email';
import { createFaxActivities } from '../activities/channels/fax';
import { createPostalActivities } from '../activities/channels/postal';
import { createMailActivities } from '../activities/mail-activities';
import { createNoticeRenderer } from '../activities/notice-renderer';
import { createRosterActivities } from '../activities/roster-activities';
import { messageIdDomain, type MailTransport } from '../activities/smtp';
import type { EngineConfig } from '../config/schema';
import type { LoadSubject } from '../domain/individuals';
import { loadSubjectAt, RosterError } from '../roster/roster-file';

export interface BreachWorkerDeps {
  config: EngineConfig;
  connection: NativeConnection;
  transport: MailTransport;
  /** A pre-built bundle (tests build it once); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Where the channel API keys are read from; the process environment by default. */
  env?: NodeJS.ProcessEnv;
}

export function breachWorkflowsPath(): string {
  return path.join(__dirname, '..', 'workflows', 'index.ts');
}

/** Contact data is read from the roster row at send time and checked against the subject id. */
const loadSubject: LoadSubject = async (ref) => {
  const subject = await loadSubjectAt(ref.roster, ref.rowOffset);
  if (subject.subjectId !== ref.subjectId) throw new RosterError('the roster row at the recorded offset belongs to another subject');
  return subject;
};

/** All activities of the engine, with the channels that temporal.yaml configures. */
export function breachActivities(config: EngineConfig, transport: MailTransport, env: NodeJS.ProcessEnv = process.env) {
  const renderNotice = createNoticeRenderer(path.resolve(config.individuals.templateDir), config.individuals.defaultLanguage);
  const from = config.notifications.from;
  const { fax, postal } = config.channels;
  return {
    ...createMailActivities(config, transport),
    ...createRosterActivities(),
    ...createEmailActivities({ transport, from, domain: messageIdDomain(from), loadSubject, renderNotice }),
    ...(fax ? createFaxActivities({ config: fax, env, loadSubject, renderNotice }) : {}),
    ...(postal ? createPostalActivities({ config: postal, env, loadSubject, renderNotice }) : {}),
  };
}

/**
 * The worker that runs breach workflows and their activities. On shutdown it stops polling and
 * gives running activities time to finish; whatever does not finish is retried by the next
 * worker, because Temporal still holds the task.
 */
export function createBreachWorker({ config, connection, transport, workflowBundle, env }: BreachWorkerDeps): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: breachWorkflowsPath() }),
    activities: breachActivities(config, transport, env),
    shutdownGraceTime: '30 seconds',
  });
}
