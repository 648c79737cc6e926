import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { breachWorkflowId } from '../domain/ids';
import { HoldActiveKey } from '../domain/search-attributes';

/**
 * How often a breach with batches running on this worker is asked whether a hold is active. A
 * read is a describe of one workflow on the server (no write, no workflow task), and it is made
 * once per breach and worker process however many batches run.
 */
const READ_EVERY_MS = 100;

/** Whether a hold stops the individual notices of a breach, as the breach publishes it. */
export type ReadHold = (breachId: string) => Promise<boolean>;

/** One batch's view of its breach's holds. */
export interface FollowedBreach {
  held(): boolean;
  /** Waits until the hold is released, or until `signal` aborts (the batch is cancelled). */
  whileHeld(signal: AbortSignal): Promise<void>;
  unfollow(): void;
}

interface Followed {
  held: boolean;
  followers: number;
  first: Promise<void>;
}

/**
 * Tells running batches that a hold was placed without waiting for their cancellation. A hold's
 * cancellation reaches a batch only in the response to its next heartbeat, and frequent
 * heartbeats are costly writes of the batch's progress on the server. So batches heartbeat once
 * a second, and each worker reads the `HoldActive` search attribute of every breach it sends for,
 * which the breach sets in the workflow task that accepts the hold: a batch stops beginning
 * messages about one read interval after the hold is accepted, and waits there until its
 * cancellation arrives (or the hold is released first). A failed read keeps the last answer: the
 * cancellation still stops the batch.
 */
export class HoldWatch {
  private readonly breaches = new Map<string, Followed>();

  constructor(
    private readonly readHold: ReadHold,
    private readonly everyMs = READ_EVERY_MS,
  ) {}

  static ofBreaches(client: Client): HoldWatch {
    return new HoldWatch(async (breachId) => {
      const description = await client.workflow.getHandle(breachWorkflowId(breachId)).describe();
      return description.typedSearchAttributes.get(HoldActiveKey) === true;
    });
  }

  /** Follows a breach for one batch; the first answer is read before the batch sends anything. */
  async follow(breachId: string): Promise<FollowedBreach> {
    const followed = this.breaches.get(breachId) ?? this.startReading(breachId);
    followed.followers++;
    await followed.first;
    let following = true;
    return {
      held: () => followed.held,
      whileHeld: async (signal) => {
        while (followed.held && !signal.aborted) await sleep(this.everyMs / 2, undefined, { signal }).catch(() => undefined);
      },
      unfollow: () => {
        if (!following) return;
        following = false;
        if (--followed.followers === 0) this.breaches.delete(breachId);
      },
    };
  }

  /** Reads once now (`first`), then every interval until the breach's last follower leaves. */
  private startReading(breachId: string): Followed {
    const followed: Followed = { held: false, followers: 0, first: Promise.resolve() };
    const stillFollowed = () => this.breaches.get(breachId) === followed;
    const read = async () => {
      try {
        followed.held = await this.readHold(breachId);
      } catch {
        // Unknown for now; the last answer stands until a read succeeds.
      }
    };
    const keepReading = async () => {
      while (stillFollowed()) {
        await sleep(this.everyMs);
        if (stillFollowed()) await read();
      }
    };
    followed.first = read().then(() => void keepReading());
    this.breaches.set(breachId, followed);
    return followed;
  }
}
