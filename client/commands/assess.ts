import type { Command } from 'commander';
import type { AssessRequest } from '../../domain/breach';
import { parseRequest, severityInputsSchema } from '../../domain/requests';
import { describeSeverity, type SeverityInputs } from '../../domain/severity';
import { assessUpdate } from '../../workflows/messages/breach';
import { assessmentSchema, readBreachFile } from '../breach-file';
import { UsageError } from '../errors';
import type { Run } from '../run';
import { say } from '../terminal';

interface AssessFlags {
  risk: string;
  rationale: string;
  by: string;
  severity?: string;
  data: string[];
  ease?: string;
  confidentiality?: string;
  integrity?: string;
  availability?: string;
  malicious?: boolean;
  moreThan100?: boolean;
  unintelligible?: boolean;
  subsequentMeasures?: string;
  disproportionateEffort?: string;
  belowRecommendation?: string;
}

/** The flags that score the breach instead of a `--severity` file. */
const SCORING_FLAGS = ['ease', 'confidentiality', 'integrity', 'availability', 'malicious', 'moreThan100', 'unintelligible', 'subsequentMeasures', 'disproportionateEffort'] as const;

export function registerAssess(program: Command, run: Run): void {
  program
    .command('assess <id>')
    .description('record the risk assessment: unlikely (document only), risk (notify the authority), high (and individuals); optionally scored by the ENISA methodology')
    .requiredOption('--risk <level>', 'unlikely|risk|high')
    .requiredOption('--rationale <text>', 'why')
    .requiredOption('--by <name>', 'who assessed')
    .option('--severity <file>', 'the ENISA severity inputs in YAML or JSON (see the README)')
    .option('--data <category[:adjustment[:reason]]>', 'a category of data involved, simple|behavioural|financial|sensitive, with its context adjustment (e.g. +1) and why; repeat for several', collect, [])
    .option('--ease <level>', 'ease of identification: negligible|limited|significant|maximum')
    .option('--confidentiality <loss>', 'none|known-recipients|unknown-recipients')
    .option('--integrity <loss>', 'none|recoverable|not-recoverable')
    .option('--availability <loss>', 'none|temporary|full')
    .option('--malicious', 'the breach was intentional, to harm people or the company')
    .option('--more-than-100', 'more than 100 people are affected (an ENISA flag; it does not change the score)')
    .option('--unintelligible', 'the data is unintelligible, e.g. encrypted with a key that was not compromised (Art. 34(3)(a))')
    .option('--subsequent-measures <text>', 'measures since the breach that make a high risk no longer likely (Art. 34(3)(b))')
    .option('--disproportionate-effort <text>', 'why telling each person would take disproportionate effort (Art. 34(3)(c): public communication instead)')
    .option('--below-recommendation <reason>', 'why the decision is below what the score recommends')
    .action((id: string, flags: AssessFlags) =>
      run(async (session) => {
        const decision = assessmentSchema.safeParse({ risk: flags.risk, rationale: flags.rationale, by: flags.by });
        if (!decision.success) throw new UsageError(decision.error.issues.map((i) => `--${i.path.join('.')} ${i.message}`).join('; '));
        const severity = severityInputs(flags);
        const request: AssessRequest = { ...decision.data, ...(severity ? { severity } : {}), ...(flags.belowRecommendation ? { belowRecommendation: flags.belowRecommendation } : {}) };
        const assessment = await session.ask(id, flags.by, (handle) => handle.executeUpdate(assessUpdate, { args: [request] }));
        say(`Breach ${id} assessed as '${assessment.risk}' by ${assessment.by} at ${assessment.at}.`);
        if (assessment.severity) say(`  ${describeSeverity(assessment.severity)}`);
      }, id),
    );
}

function collect(value: string, all: string[]): string[] {
  return [...all, value];
}

/** The severity inputs from `--severity FILE` or from the scoring flags, checked against the schema the workflow uses. */
function severityInputs(flags: AssessFlags): SeverityInputs | undefined {
  const flagged = flags.data.length > 0 || SCORING_FLAGS.some((f) => flags[f] !== undefined);
  if (flags.severity && flagged) throw new UsageError('give the severity as a --severity file or as flags (--data, --ease, …), not both');
  if (!flags.severity && !flagged) return undefined;
  const raw = flags.severity ? readBreachFile(flags.severity, 'severity file') : fromFlags(flags);
  const parsed = parseRequest(severityInputsSchema, raw);
  if ('problem' in parsed) throw new UsageError(`${flags.severity ?? 'severity'}: ${parsed.problem}`);
  return parsed.value;
}

function fromFlags(flags: AssessFlags): Record<string, unknown> {
  if (flags.data.length === 0) throw new UsageError('--data is needed to score the breach: the categories of data involved, e.g. --data financial:+1:"full card data"');
  if (!flags.ease) throw new UsageError('--ease is needed to score the breach: negligible|limited|significant|maximum');
  return Object.fromEntries(
    Object.entries({
      categories: flags.data.map(dataFlag),
      ease: flags.ease,
      confidentiality: flags.confidentiality,
      integrity: flags.integrity,
      availability: flags.availability,
      malicious: flags.malicious,
      moreThan100People: flags.moreThan100,
      unintelligible: flags.unintelligible,
      subsequentMeasures: flags.subsequentMeasures,
      disproportionateEffort: flags.disproportionateEffort,
    }).filter(([, value]) => value !== undefined),
  );
}

/** `financial`, `financial:+1:full card data`, `sensitive:-2:general assumptions only`. */
function dataFlag(value: string): Record<string, unknown> {
  const [category, adjustment, ...reason] = value.split(':');
  if (adjustment !== undefined && !/^[+-]?\d$/.test(adjustment)) throw new UsageError(`--data '${category}:${adjustment}': the adjustment must be a whole number such as +1 or -2`);
  return { category, adjustment: adjustment === undefined ? 0 : Number(adjustment), ...(reason.length ? { reason: reason.join(':') } : {}) };
}
