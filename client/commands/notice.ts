import type { Command } from 'commander';
import { CHANNELS, type Channel } from '../../domain/individuals';
import { UsageError } from '../errors';
import type { Run } from '../run';

/**
 * `breach notice preview`: renders the notice exactly as a channel would send it (the same
 * templates, the same renderer, the same document), so legal can approve the text before anyone
 * is told, and prints the SHA-256 the evidence of that send records.
 */
export function registerNotice(program: Command, run: Run): void {
  const notice = program.command('notice').description('the notice to individuals');
  notice
    .command('preview <id>')
    .description('write the notice as a channel sends it: the email (subject, text and HTML), the fax PDF or the letter HTML')
    .requiredOption('--out <file>', 'where to write it')
    .option('--subject <subjectId>', "render it for one person of the roster (their name, language and regime's template); default a sample reader")
    .option('--channel <channel>', CHANNELS.join('|'), 'email')
    .action((id: string, flags: { out: string; subject?: string; channel: string }) =>
      run(async (session) => {
        if (!CHANNELS.includes(flags.channel as Channel)) throw new UsageError(`--channel must be one of ${CHANNELS.join(', ')}`);
        // Loaded on use: the channels' documents bring PDFKit and the vendors' SDKs, which every other command would wait for.
        const { previewNotice } = require('../notice-preview') as typeof import('../notice-preview');
        await previewNotice(session, id, { ...flags, channel: flags.channel as Channel });
      }, id),
    );
}
