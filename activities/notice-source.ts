import type { Client } from '@temporalio/client';
import type { SendBatchRequest } from '../domain/batch';
import { breachWorkflowId } from '../domain/ids';
import type { BreachNotice } from '../domain/notice';
import { noticeQuery } from '../workflows/messages/breach';

/** The notice a batch sends: asked of its breach, once per breach and worker process. */
export type ReadNotice = (request: Pick<SendBatchRequest, 'breachId' | 'notice' | 'delayedByHold'>) => Promise<BreachNotice>;

/** Breaches whose notices a worker keeps; a notice never changes once its breach has started. */
const NOTICES_KEPT = 100;

/**
 * The notice is passed to no workflow: each batch names its breach, and the channel asks the
 * breach for the notice (a query) the first time. Batches recorded before that carry the notice
 * in their request.
 */
export function noticeFromBreach(client: Client): ReadNotice {
  const kept = new Map<string, Promise<BreachNotice>>();
  return async (request) => {
    if (request.notice) return forBatch(request.notice, request);
    const breachId = request.breachId!;
    let notice = kept.get(breachId);
    if (!notice) {
      notice = client.workflow.getHandle(breachWorkflowId(breachId)).query(noticeQuery);
      // A failed read is not kept: the batch fails as an outage of our side and its retry asks again.
      notice.catch(() => kept.delete(breachId));
      kept.set(breachId, notice);
      if (kept.size > NOTICES_KEPT) kept.delete(kept.keys().next().value!);
    }
    return forBatch(await notice, request);
  };
}

/** Whether a hold delayed the notice is the batch's to say, not the breach's: the people told before the hold was placed were not delayed. */
function forBatch(notice: BreachNotice, request: Pick<SendBatchRequest, 'delayedByHold'>): BreachNotice {
  const { lawEnforcementDelay: _, ...rest } = notice;
  return request.delayedByHold ? { ...rest, lawEnforcementDelay: true } : rest;
}

/** For activities run without a Temporal client (the channel tests): the request must carry its notice. */
export const noticeInRequest: ReadNotice = async (request) => {
  if (!request.notice) throw new Error('the batch request carries no notice');
  return forBatch(request.notice, request);
};
