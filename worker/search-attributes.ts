/**
 * The breach workflow sets its search attributes in its first workflow task: one the namespace
 * does not know fails every task of every new breach (BadSearchAttributes), and its clock with
 * it. A worker that runs the workflows therefore makes sure, before it polls, that the namespace
 * has them all: it registers those missing where the server lets it (a dev server, a cluster of
 * one's own), and otherwise refuses to start with the command that registers them.
 */
import { temporal } from '@temporalio/proto';
import type { NativeConnection } from '@temporalio/worker';
import { SEARCH_ATTRIBUTE_TYPES } from '../domain/search-attributes';

const { IndexedValueType } = temporal.api.enums.v1;
const INDEXED = { Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME, Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL } as const;

export async function ensureSearchAttributes(connection: NativeConnection, namespace: string): Promise<void> {
  let known: Record<string, unknown>;
  try {
    known = (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  } catch {
    // Temporal Cloud answers this only to some API keys; its search attributes are registered with tcld (README).
    return;
  }
  const missing = Object.entries(SEARCH_ATTRIBUTE_TYPES).filter(([name]) => !(name in known));
  if (missing.length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED[type]])) });
  } catch {
    const flags = missing.map(([name, type]) => `--name ${name} --type ${type}`).join(' ');
    throw new Error(`the namespace ${namespace} lacks the search attribute(s) ${missing.map(([name]) => name).join(', ')}, and this worker may not add them; register them first: temporal operator search-attribute create --namespace ${namespace} ${flags}`);
  }
}
