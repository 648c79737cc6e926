/**
 * A namespace that lacks one of the breach's search attributes (one set up before NextDeadline
 * existed) would fail the first workflow task of every new breach. The worker registers what is
 * missing before it polls, and a breach then starts and answers.
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { afterAll, expect, inject, it } from 'vitest';
import { SEARCH_ATTRIBUTE_TYPES } from '../domain/search-attributes';
import { statusQuery } from '../workflows/messages/breach';
import { breachRegimes } from '../client/breach-regimes';
import { breachFacts, eventually, startBreach, startDevEngine, type DevEngine } from './support/engine';

let engine: DevEngine | undefined;

afterAll(async () => {
  await engine?.stop();
});

it('registers the search attributes a namespace lacks before the worker polls, so a new breach starts', async () => {
  const namespace = `bare-${Date.now()}`;
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  const listed = async () => Object.keys((await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {});
  await eventually(listed, () => true);
  expect(await listed()).not.toContain('NextDeadline');

  engine = await startDevEngine('bare-namespace', { configure: (config) => void (config.temporal.namespace = namespace) });
  expect(await listed()).toEqual(expect.arrayContaining(Object.keys(SEARCH_ATTRIBUTE_TYPES)));

  const facts = breachFacts(`bare-${Date.now()}`);
  const handle = await startBreach(engine.client, engine.config, facts, undefined, undefined, breachRegimes(engine.config, { anchors: {} }, facts.approxSubjects));
  const status = await eventually(() => handle.query(statusQuery), (s) => s.obligations !== undefined);
  expect(status.obligations!.map((v) => v.id)).toContain('gdpr:authority');
  await connection.close();
});
