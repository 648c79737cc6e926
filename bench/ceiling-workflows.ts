/**
 * The ceiling for the cascade benchmark: the same number of child workflows as there are
 * subjects, each running one no-op activity, started by one parent at most `window` at a time.
 * Whatever the cascade loses against this is the cost of the notification logic itself.
 */
import { continueAsNew, executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';

export interface CeilingActivities {
  noop(): Promise<void>;
}

const { noop } = proxyActivities<CeilingActivities>({ startToCloseTimeout: '1 minute' });

export interface CeilingInput {
  total: number;
  window: number;
  /** Children started by earlier runs of this parent. */
  done: number;
  /** The parent continues-as-new after this many children in one run, to bound its history. */
  perRun: number;
}

export async function CeilingChild(): Promise<void> {
  await noop();
}

/** A sliding window of at most `window` running children, like the breach fan-out. */
export async function CeilingParent(input: CeilingInput): Promise<number> {
  const { total, window, perRun } = input;
  const end = Math.min(total, input.done + perRun);
  const running = new Set<Promise<void>>();
  for (let i = input.done; i < end; i++) {
    if (running.size >= window) await Promise.race(running);
    const child: Promise<void> = executeChild(CeilingChild, { workflowId: `${workflowInfo().workflowId}-child-${i}` }).then(() => {
      running.delete(child);
    });
    running.add(child);
  }
  await Promise.all(running);
  if (end < total) return continueAsNew<typeof CeilingParent>({ ...input, done: end });
  return total;
}
