import { ApplicationFailure } from '@temporalio/activity';
import type { CohortSlice } from '../domain/cascade';
import type { Channel, RosterEntry, RosterRef } from '../domain/individuals';
import { duplicateSubjects, planCohorts, readRosterPage, RosterChangedError } from '../roster/roster-file';
import { ROSTER_CHANGED } from '../domain/failures';

/** Roster reads for the fan-out: where cohorts begin, and the rows of one cohort (locations and reachable channels, never contact data). */
export function createRosterActivities() {
  return {
    async planCohorts(request: { roster: RosterRef; cursor: number; line: number; cohortSize: number; count: number }): Promise<{ slices: CohortSlice[]; next: { cursor: number; line: number } | null }> {
      return rosterRead(() => planCohorts(request.roster, request, request.cohortSize, request.count));
    },

    async readCohort(request: { roster: RosterRef; slice: CohortSlice; channels: Channel[] }): Promise<RosterEntry[]> {
      return rosterRead(async () => {
        const { slice, roster } = request;
        const { entries } = await readRosterPage(roster, slice.offset, slice.rows, request.channels, slice.line);
        const duplicates = await duplicateSubjects(roster);
        return entries.map((entry) => {
          const first = duplicates.get(entry.subjectId);
          return first !== undefined && first !== entry.line ? { ...entry, channels: [], duplicate: true } : entry;
        });
      });
    },
  };
}

/** A changed roster will not change back by retrying: stop and tell the responders. */
async function rosterRead<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof RosterChangedError) throw ApplicationFailure.nonRetryable(err.message, ROSTER_CHANGED);
    throw err;
  }
}

export type RosterActivities = ReturnType<typeof createRosterActivities>;
