import { Help, type Command } from 'commander';

/** One example per command, shown after its options in `--help`; every command has one (a test checks). */
export const HELP_EXAMPLES: Record<string, string> = {
  start:
    'breach start --id 2026-031 --title "Customer DB exposed" --aware-at 2026-11-29T08:00:00Z --description "Backup bucket public for 3 days" \\\n' +
    '    --reporter "Ines Responder" --categories "names,email addresses" --subjects 1200 --records 1350 --consequences Phishing \\\n' +
    '    --measures "Bucket closed" --contact dpo@company.example --roster subjects.csv --regimes gdpr,california',
  assess: 'breach assess 2026-031 --risk high --rationale "Contact data usable for phishing" --by "Ines Responder"',
  'late-reason': 'breach late-reason 2026-031 --reason "Contractor reported it on day four" --by "Dana DPO"',
  portal: 'breach portal 2026-031 --reference DPA-2026-0042 --by "Dana DPO"',
  supplement: 'breach supplement 2026-031 --information "Forensics: 12 more records" --by "Dana DPO"',
  'hold place': 'breach hold place 2026-031 --agency NCA --case-ref NCA-17 --reason "Would alert suspects" --by "Lena Legal" --review-in 14d --form written',
  'hold confirm': 'breach hold confirm 2026-031 hold-1 --review-in 7d --reason "NCA confirmed by phone today" --by "Lena Legal"',
  'hold extend': 'breach hold extend 2026-031 hold-1 --review-at 2026-12-20T09:00:00Z --reason "Trial date set" --by "Lena Legal"',
  'hold statement': 'breach hold statement 2026-031 hold-1 --reason "FBI letter of 3 Dec received" --by "Lena Legal"',
  'hold release': 'breach hold release 2026-031 hold-1 --reason "Suspects arrested" --by "Lena Legal"',
  holds: 'breach holds --json',
  anchor: 'breach anchor 2026-031 materiality-determination --at 2026-12-02T15:00:00Z --by "Board"',
  'obligation record': 'breach obligation record 2026-031 texas:attorney-general --reference TX-AG-991 --by "Dana DPO"',
  'obligation not-required': 'breach obligation not-required 2026-031 sec:8-k --reason "The board found it not material" --by "Counsel"',
  'notice preview': 'breach notice preview 2026-031 --subject s-1042 --channel postal --out letter.html',
  dashboard: 'breach dashboard --port 8080',
  status: 'breach status 2026-031 --watch',
  subjects: 'breach subjects 2026-031 --state unreachable',
  list: 'breach list --held --next-deadline-before 2026-12-10T00:00:00Z',
  audit: 'breach audit 2026-031 --format html --out audit-2026-031.html',
  bounce: 'breach bounce 2026-031 s-1042 --channel email --reason "550 5.1.1 mailbox unknown"',
  'subject retry': 'breach subject retry 2026-031 s-1042 --reason "worker terminated by mistake" --by "Ines Responder"',
  'subject resolve': 'breach subject resolve 2026-031 s-2077 --state notified-postal --reason "letter sent by hand" --by "Lena Legal"',
  'cohort retry': 'breach cohort retry 2026-031 7 --reason "worker terminated by mistake" --by "Ines Responder"',
  close: 'breach close 2026-031 --by "Ines Responder"',
};

/** The leaf commands by path ("hold place"). */
export function leafCommands(command: Command, prefix = ''): [string, Command][] {
  return command.commands.flatMap((c) => {
    const path = `${prefix}${c.name()}`;
    return c.commands.length ? leafCommands(c, `${path} `) : [[path, c] as [string, Command]];
  });
}

/** Examples after every command's options, and required options marked as such. */
export function addHelp(program: Command): void {
  const defaults = new Help();
  for (const [path, command] of leafCommands(program)) {
    const example = HELP_EXAMPLES[path];
    if (example) command.addHelpText('after', `\nExample:\n  ${example}\n`);
    command.configureHelp({ optionDescription: (option) => `${option.mandatory ? '(required) ' : ''}${defaults.optionDescription(option)}` });
  }
}
