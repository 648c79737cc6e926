import type { Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { authorityPolicy, cascadePolicy } from '../config/load';
import type { EngineConfig } from '../config/schema';
import { type AssessRequest, type BreachFacts, type BreachRegimes } from '../domain/breach';
import { breachWorkflowId } from '../domain/ids';
import type { RosterRef } from '../domain/individuals';
import { authorityDeadline } from '../domain/deadline';
import { AuthorityDeadlineKey, BreachIdKey, BreachPhaseKey, HoldActiveKey } from '../domain/search-attributes';
import { BreachWorkflow } from '../workflows/breach';

/**
 * Starts the workflow of one breach under the configured policy. The workflow ID is derived from
 * the breach id and may never be reused, so the same breach cannot be opened twice, not even
 * after it was closed.
 */
export async function startBreachWorkflow(
  client: Client,
  config: EngineConfig,
  facts: BreachFacts,
  initialAssessment?: AssessRequest,
  roster?: { ref: RosterRef; total: number },
  regimes?: BreachRegimes,
) {
  const policy = authorityPolicy(config);
  const deadline = authorityDeadline(new Date(facts.awareAt), policy.deadlineHours);
  const handle = await client.workflow.start(BreachWorkflow, {
    workflowId: breachWorkflowId(facts.breachId),
    taskQueue: config.temporal.taskQueue,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    args: [{ facts, policy, initialAssessment, roster: roster && { ref: roster.ref, total: roster.total }, cascade: roster ? cascadePolicy(config) : undefined, regimes }],
    // What the Temporal Web UI shows beside the workflow id, among the breach's cohort workflows.
    staticSummary: `Breach ${facts.breachId}: ${facts.title}`,
    staticDetails: `Authority deadline ${deadline.toISOString()} (${policy.deadlineHours} h after awareness at ${facts.awareAt}).`,
    // Set at once so the breach is findable before its first workflow task runs.
    typedSearchAttributes: [
      { key: BreachIdKey, value: facts.breachId },
      { key: BreachPhaseKey, value: 'awaiting-assessment' },
      { key: AuthorityDeadlineKey, value: deadline },
      { key: HoldActiveKey, value: false },
    ],
  });
  return { handle, deadline };
}
