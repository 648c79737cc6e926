import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createArchiveActivities } from '../activities/archive-activities';
import { createEmailActivities } from '../activities/channels/email';
import { createFaxActivities } from '../activities/channels/fax';
import { createPostalActivities } from '../activities/channels/postal';
import { createMailActivities } from '../activities/mail-activities';
import { createNoticeRenderer } from '../activities/notice-renderer';
import { createRosterActivities } from '../activities/roster-activities';
import { messageIdDomain, type MailTransport } from '../activities/smtp';
import type { EngineConfig } from '../config/schema';
import { channelTaskQueue } from '../domain/cascade';
import type { Channel, LoadSubject } from '../domain/individuals';
import { loadSubjectAt, RosterError } from '../roster/roster-file';

export interface BreachWorkerDeps {
  config: EngineConfig;
  connection: NativeConnection;
  transport: MailTransport;
  /** A pre-built bundle (tests build it once); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Where the channel API keys and archive credentials are read from; the process environment by default. */
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

/** The activities of each notification channel that temporal.yaml configures. */
function channelActivities(config: EngineConfig, transport: MailTransport, env: NodeJS.ProcessEnv): Partial<Record<Channel, object>> {
  const renderNotice = createNoticeRenderer(path.resolve(config.individuals.templateDir), config.individuals.defaultLanguage);
  const from = config.notifications.from;
  const { fax, postal } = config.channels;
  return {
    email: createEmailActivities({ transport, from, domain: messageIdDomain(from), loadSubject, renderNotice }),
    fax: fax ? createFaxActivities({ config: fax, env, loadSubject, renderNotice }) : undefined,
    postal: postal ? createPostalActivities({ config: postal, env, loadSubject, renderNotice }) : undefined,
  };
}

/**
 * The workers of one engine process: one for the breach workflows and their own activities, and
 * one per notification channel on the channel's task queue, rate limited for the whole queue.
 * On shutdown each stops polling and gives running activities time to finish; whatever does not
 * finish is retried by the next worker, because Temporal still holds the task.
 */
export class BreachWorkers {
  private constructor(readonly workers: Worker[]) {}

  static async create({ config, connection, transport, workflowBundle, env = process.env }: BreachWorkerDeps): Promise<BreachWorkers> {
    const common = { connection, namespace: config.temporal.namespace, shutdownGraceTime: '30 seconds' } as const;
    const main = await Worker.create({
      ...common,
      taskQueue: config.temporal.taskQueue,
      ...(workflowBundle ? { workflowBundle } : { workflowsPath: breachWorkflowsPath() }),
      activities: { ...createMailActivities(config, transport), ...createRosterActivities(), ...createArchiveActivities(config, env) },
    });
    const perChannel = channelActivities(config, transport, env);
    const channels = await Promise.all(
      config.individuals.channels.map((channel) =>
        Worker.create({
          ...common,
          taskQueue: channelTaskQueue(config.temporal.taskQueue, channel),
          activities: perChannel[channel],
          maxTaskQueueActivitiesPerSecond: config.individuals.maxPerSecond[channel],
        }),
      ),
    );
    return new BreachWorkers([main, ...channels]);
  }

  async run(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.run()));
  }

  shutdown(): void {
    for (const worker of this.workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  }
}

export function createBreachWorkers(deps: BreachWorkerDeps): Promise<BreachWorkers> {
  return BreachWorkers.create(deps);
}
