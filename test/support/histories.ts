import { readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import type { RunHistory } from '../../audit/history-events';

/**
 * A history captured in test/histories, in the form the server sends it: decoding the JSON form
 * leaves times as plain numbers where the server's messages carry 64-bit values.
 */
export function capturedHistory(name: string): RunHistory {
  const json = historyFromJSON(JSON.parse(readFileSync(path.join(__dirname, '..', 'histories', `${name}.json`), 'utf8')));
  const history = temporal.api.history.v1.History.decode(temporal.api.history.v1.History.encode(json).finish());
  return { runId: name, events: history.events };
}
