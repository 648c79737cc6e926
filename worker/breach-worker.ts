import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { bundleWorkflowsInChild } from './bundle-workflows';
import { Client } from '@temporalio/client';
import { createArchiveActivities } from '../activities/archive-activities';
import { createBreachStateActivities } from '../activities/breach-state-activities';
import { noticeFromBreach, type ReadNotice } from '../activities/notice-source';
import { createEmailActivities } from '../activities/channels/email';
import { createFaxActivities, type FaxActivities } from '../activities/channels/fax';
import { createPostalActivities } from '../activities/channels/postal';
import { createMailActivities, type Clock } from '../activities/mail-activities';
import { createNoticeRenderer, noticeContext } from '../activities/notice-renderer';
import { createRosterActivities } from '../activities/roster-activities';
import { messageIdDomain, type MailTransport } from '../activities/smtp';
import { HEARTBEAT_EVERY_MS, type BatchOptions } from '../activities/batch-sender';
import { HoldWatch } from '../activities/hold-watch';
import type { EngineConfig } from '../config/schema';
import { cascadePolicy } from '../config/load';
import { channelTaskQueue, faxStatusTaskQueue } from '../domain/cascade';
import type { Channel } from '../domain/individuals';
import { loadSubjectsAt } from '../roster/roster-file';
import { preflightProblems } from './preflight';
import { ensureSearchAttributes } from './search-attributes';
import type { WorkerRole } from './roles';

export interface BreachWorkerDeps {
  config: EngineConfig;
  connection: NativeConnection;
  transport: MailTransport;
  /** A pre-built bundle (tests build it once); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Where the channel API keys and archive credentials are read from; the process environment by default. */
  env?: NodeJS.ProcessEnv;
  /** The time the authority report is judged by; the system clock by default (time-skipping tests pass the test server's). */
  clock?: Clock;
  /** The task queues this process polls: the workflows' and every configured channel's by default. */
  roles?: readonly WorkerRole[];
}

/**
 * How each channel's batches run on one worker: email batches of several cohorts at once, sharing
 * one message in flight per pooled SMTP connection (so a hold stops every other message before it
 * begins, and one batch's round trip through Temporal overlaps another's sending); each fax batch
 * one fax at a time (a fax that may exist is looked up first); letters a few at a time.
 */
function batchOptions(config: EngineConfig, channel: Channel): BatchOptions & { batchesAtOnce: number } {
  const perSecond = config.individuals.maxPerSecond[channel];
  const maxDeferrals = config.individuals.emailMaxAttempts;
  if (channel === 'email') return { concurrency: config.smtp.maxConnections, perSecond, maxDeferrals, batchesAtOnce: config.individuals.sendingCohorts };
  if (channel === 'fax') return { concurrency: 1, perSecond, maxDeferrals, batchesAtOnce: 4 };
  return { concurrency: 4, perSecond, maxDeferrals, batchesAtOnce: 2 };
}

/** The activities of each notification channel that temporal.yaml configures. */
function channelActivities(config: EngineConfig, transport: MailTransport, env: NodeJS.ProcessEnv, readNotice: ReadNotice, holds: HoldWatch): Partial<Record<Channel, object>> {
  const renderNotice = createNoticeRenderer(path.resolve(config.individuals.templateDir), config.individuals.defaultLanguage, noticeContext(config));
  const from = config.notifications.from;
  const { fax, postal } = config.channels;
  const loadSubjects = loadSubjectsAt;
  return {
    email: createEmailActivities({ transport, from, senderName: config.controller?.name, replyTo: config.controller?.replyTo, returnPath: config.smtp.returnPath, domain: messageIdDomain(from), loadSubjects, renderNotice, readNotice, batch: { ...batchOptions(config, 'email'), holds } }),
    fax: fax ? createFaxActivities({ senderName: config.controller?.name, config: fax, env, loadSubjects, renderNotice, readNotice, batch: { ...batchOptions(config, 'fax'), holds } }) : undefined,
    postal: postal ? createPostalActivities({ config: postal, env, loadSubjects, renderNotice, readNotice, batch: { ...batchOptions(config, 'postal'), holds } }) : undefined,
  };
}

/**
 * The workers of one engine process: one for the breach and cohort workflows and their own
 * activities, and one per notification channel on the channel's task queue. Each channel queue
 * admits `maxPerSecond / batchSize` batches per second across all workers (Temporal enforces the
 * limit per task queue) and each batch paces its messages to `maxPerSecond`, so the channel sends
 * at most `maxPerSecond` messages a second plus one batch of burst, however many workers run.
 * Heartbeats are sent at most once a second (each is a write of the batch's progress); a hold
 * reaches the batches sooner, through the HoldWatch that each process shares among them.
 * On shutdown each worker stops polling and gives running activities time to finish; whatever
 * does not finish is retried by the next worker, because Temporal still holds the task.
 */
export class BreachWorkers {
  private constructor(readonly workers: Worker[]) {}

  static async create({ config, connection, transport, workflowBundle, env = process.env, clock, roles = ['workflows', ...config.individuals.channels] }: BreachWorkerDeps): Promise<BreachWorkers> {
    const common = { connection, namespace: config.temporal.namespace, shutdownGraceTime: '30 seconds', maxHeartbeatThrottleInterval: HEARTBEAT_EVERY_MS } as const;
    const channels = config.individuals.channels.filter((channel) => roles.includes(channel));
    const unconfigured = roles.filter((role) => role !== 'workflows' && !config.individuals.channels.includes(role));
    if (unconfigured.length > 0) {
      throw new Error(`the worker was asked to poll ${unconfigured.join(', ')}, which individuals.channels does not list (${config.individuals.channels.join(', ')})`);
    }
    const problems = preflightProblems(config, roles, env);
    if (problems.length > 0) throw new Error(`the worker cannot start: ${problems.join('; ')}`);
    if (roles.includes('workflows')) await ensureSearchAttributes(connection, config.temporal.namespace);
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const main = roles.includes('workflows')
      ? [
          await Worker.create({
            ...common,
            taskQueue: config.temporal.taskQueue,
            maxCachedWorkflows: config.temporal.maxCachedWorkflows,
            workflowBundle: workflowBundle ?? (await bundleWorkflowsInChild()),
            activities: {
              ...createMailActivities(config, transport, clock),
              ...createRosterActivities(),
              ...createArchiveActivities(config, env),
              ...createBreachStateActivities(client),
            },
          }),
        ]
      : [];
    const perChannel = channelActivities(config, transport, env, noticeFromBreach(client), HoldWatch.ofBreaches(client));
    const channelWorkers = await Promise.all(
      channels.map((channel) =>
        Worker.create({
          ...common,
          taskQueue: channelTaskQueue(config.temporal.taskQueue, channel),
          activities: perChannel[channel],
          maxConcurrentActivityTaskExecutions: batchOptions(config, channel).batchesAtOnce,
          maxTaskQueueActivitiesPerSecond: config.individuals.maxPerSecond[channel] / cascadePolicy(config).batchSizes[channel],
        }),
      ),
    );
    const fax = perChannel.fax as FaxActivities | undefined;
    const faxStatuses =
      fax && channels.includes('fax')
        ? [await Worker.create({ ...common, taskQueue: faxStatusTaskQueue(config.temporal.taskQueue), activities: { faxStatuses: fax.faxStatuses } })]
        : [];
    return new BreachWorkers([...main, ...channelWorkers, ...faxStatuses]);
  }

  /** Workflows held in memory between tasks, across this process's workers (at most `temporal.maxCachedWorkflows`). */
  cachedWorkflows(): number {
    return this.workers.reduce((sum, worker) => sum + worker.getStatus().numCachedWorkflows, 0);
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
