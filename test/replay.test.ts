/**
 * Histories of real breaches, captured from the other tests (CAPTURE_HISTORIES=1 npm test) and
 * committed. A change to the workflow code that would break breaches already running fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { quietRuntime, workflowBundle } from './support/engine';

const dir = path.join(__dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('replay of captured breach histories', () => {
  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    quietRuntime();
    const history = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: workflowBundle(), replayName: file }, history);
  });
});
