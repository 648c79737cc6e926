import { ApplicationFailure } from '@temporalio/activity';
import type { Channel, RosterEntry, RosterRef } from '../domain/individuals';
import { readRosterPage, RosterChangedError } from '../roster/roster-file';
import { ROSTER_CHANGED } from '../domain/failures';

/** Roster pages for the fan-out: row locations and reachable channels, never contact data. */
export function createRosterActivities() {
  return {
    async readRosterPage(request: { roster: RosterRef; cursor: number; pageSize: number; channels: Channel[] }): Promise<{ entries: RosterEntry[]; nextCursor: number | null }> {
      try {
        return await readRosterPage(request.roster, request.cursor, request.pageSize, request.channels);
      } catch (err) {
        // A changed roster will not change back by retrying: stop and tell the responders.
        if (err instanceof RosterChangedError) throw ApplicationFailure.nonRetryable(err.message, ROSTER_CHANGED);
        throw err;
      }
    },
  };
}

export type RosterActivities = ReturnType<typeof createRosterActivities>;
