import type { Command } from 'commander';
import type { Hold } from '../../domain/holds';
import { HoldActiveKey } from '../../domain/search-attributes';
import { placeHoldUpdate, recordHoldStatementUpdate, releaseHoldUpdate, reviewHoldUpdate, statusQuery } from '../../workflows/messages/breach';
import { HOLD_FORMS, type HoldForm } from '../../domain/regimes/rule-pack';
import { UsageError } from '../errors';
import { reviewDateFlag } from '../flags';
import type { Run } from '../run';
import { columns } from '../table';
import { say } from '../terminal';

export function registerHolds(program: Command, run: Run): void {
  const hold = program.command('hold').description('law-enforcement holds: while any is active, no individual is contacted');

  hold
    .command('place <id>')
    .description('place a hold requested by a law-enforcement agency')
    .requiredOption('--agency <text>', 'the requesting agency')
    .requiredOption('--case-ref <text>', "the agency's case reference")
    .requiredOption('--reason <text>', 'why notice would impede the investigation')
    .requiredOption('--by <name>', 'who places the hold')
    .option('--review-at <iso>', 'when legal must confirm the hold is still needed')
    .option('--review-in <duration>', 'the review date as a time from now, at least an hour: 36h, 14d, 2w')
    .option('--form <form>', "whether the agency asked in writing or orally: written|oral (some regimes accept one form, or limit an oral hold's length)")
    .option('--regimes <list>', "the regimes whose notices it delays, comma-separated (default: every regime of the breach that accepts its form)")
    .option('--confidential', "keep the agency and its case out of what the authority is sent (the report says only that a hold delays the individuals' notice)")
    .action((id: string, flags: { agency: string; caseRef: string; reason: string; by: string; reviewAt?: string; reviewIn?: string; form?: string; regimes?: string; confidential?: boolean }) =>
      run(async (session) => {
        const { reviewIn: _, ...given } = flags;
        const request = {
          ...given,
          reviewAt: reviewDateFlag(flags),
          form: flags.form === undefined ? undefined : holdForm(flags.form),
          regimes: flags.regimes?.split(',').map((r) => r.trim()).filter(Boolean),
        };
        const placed = await session.ask(id, flags.by, (handle) => handle.executeUpdate(placeHoldUpdate, { args: [request] }));
        const under = placed.regimes ? `; delays notices under ${placed.regimes.join(', ')}` : '';
        say(`Hold ${placed.holdId} placed on breach ${id} (${placed.agency}, case ${placed.caseRef}${under}).`);
      }, id),
    );

  hold
    .command('statement <id> <holdId>')
    .description("record the agency's written statement of a hold it asked for orally: the hold no longer lapses after the oral period")
    .requiredOption('--reason <text>', 'what the statement says, and when it was received')
    .requiredOption('--by <name>', 'who records it')
    .action((id: string, holdId: string, flags: { reason: string; by: string }) =>
      run(async (session) => {
        const stated = await session.ask(id, flags.by, (handle) => handle.executeUpdate(recordHoldStatementUpdate, { args: [{ holdId, ...flags }] }));
        say(`Written statement of hold ${stated.holdId} on breach ${id} recorded at ${stated.writtenStatement?.at}.`);
      }, id),
    );

  for (const [kind, verb, description] of [
    ['confirmed', 'confirm', 'record that the hold is still needed, with the date of its next review'],
    ['extended', 'extend', 'move the hold\'s review to a later date'],
  ] as const) {
    hold
      .command(`${verb} <id> <holdId>`)
      .description(description)
      .option('--review-at <iso>', 'the next review date; legal is reminded then')
      .option('--review-in <duration>', 'the next review date as a time from now, at least an hour: 36h, 14d, 2w')
      .requiredOption('--reason <text>', kind === 'confirmed' ? 'why the hold is still needed (the agency\'s word, and when it was given)' : 'why the review can wait')
      .requiredOption('--by <name>', 'who reviewed it')
      .action((id: string, holdId: string, flags: { reviewAt?: string; reviewIn?: string; reason: string; by: string }) =>
        run(async (session) => {
          const reviewAt = reviewDateFlag(flags);
          if (!reviewAt) throw new UsageError('give the next review date: --review-at ISO or --review-in 14d');
          const request = { holdId, kind, reviewAt, reason: flags.reason, by: flags.by };
          const reviewed = await session.ask(id, flags.by, (handle) => handle.executeUpdate(reviewHoldUpdate, { args: [request] }));
          say(`Hold ${reviewed.holdId} on breach ${id} ${kind === 'confirmed' ? 'confirmed as still needed' : 'review moved'}; next review ${reviewed.reviewAt}.`);
        }, id),
      );
  }

  hold
    .command('release <id> <holdId>')
    .description('release a hold')
    .requiredOption('--reason <text>', 'why it is released')
    .requiredOption('--by <name>', 'who releases it')
    .action((id: string, holdId: string, flags: { reason: string; by: string }) =>
      run(async (session) => {
        const released = await session.ask(id, flags.by, (handle) => handle.executeUpdate(releaseHoldUpdate, { args: [{ holdId, ...flags }] }));
        say(`Hold ${released.holdId} on breach ${id} released at ${released.release?.at}.`);
      }, id),
    );
}

function holdForm(flag: string): HoldForm {
  if (!HOLD_FORMS.includes(flag as HoldForm)) throw new UsageError(`--form must be one of ${HOLD_FORMS.join(', ')}`);
  return flag as HoldForm;
}

interface ListedHold extends Pick<Hold, 'holdId' | 'agency' | 'caseRef' | 'placedAt' | 'reviewAt'> {
  breachId: string;
  ageDays: number;
  reviewDue: boolean;
}

/** `breach holds`: every active hold of every running breach on the configured task queue, oldest first, for legal's review. */
export function registerHoldList(program: Command, run: Run): void {
  program
    .command('holds')
    .description('active holds across all breaches of this configuration (its task queue): agency, case, age and whether the review is due')
    .option('--json', 'machine-readable output')
    .action((flags: { json?: boolean }) =>
      run(async (session) => {
        const now = new Date();
        const holds = await session.withWorker(undefined, async (client) => {
          const listed: ListedHold[] = [];
          // The breaches this configuration's workers run: another deployment's breaches on the same namespace have no worker here to answer.
          const query = `WorkflowType = 'BreachWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${session.config.temporal.taskQueue}' AND ${HoldActiveKey.name} = true`;
          for await (const execution of client.workflow.list({ query })) {
            const status = await client.workflow.getHandle(execution.workflowId).query(statusQuery);
            for (const h of status.holds.active) {
              listed.push({
                breachId: status.breachId,
                holdId: h.holdId,
                agency: h.agency,
                caseRef: h.caseRef,
                placedAt: h.placedAt,
                reviewAt: h.reviewAt,
                ageDays: Math.floor((now.getTime() - Date.parse(h.placedAt)) / 86_400_000),
                reviewDue: h.reviewAt !== undefined && Date.parse(h.reviewAt) <= now.getTime(),
              });
            }
          }
          return listed.sort((a, b) => a.placedAt.localeCompare(b.placedAt));
        });
        if (flags.json) return say(JSON.stringify(holds, null, 2));
        if (holds.length === 0) return say('No active holds.');
        const review = (h: ListedHold) => (h.reviewAt ? `${h.reviewAt}${h.reviewDue ? ' DUE' : ''}` : 'none');
        say(columns([['BREACH', 'HOLD', 'AGENCY', 'CASE', 'AGE', 'REVIEW'], ...holds.map((h) => [h.breachId, h.holdId, h.agency, h.caseRef, `${h.ageDays} d`, review(h)])]));
      }),
    );
}
