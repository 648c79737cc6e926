/**
 * A private Postfix instance (Debian's `postfix` package) on loopback, for tests whose bounces must
 * come from a real MTA: it relays everything to one next hop and sends the mail of chosen domains
 * (the bounce domain) to other ports. It has its own configuration and queue directories under a
 * temporary folder, listens on 127.0.0.1 only and never looks up DNS. Postfix is started as root,
 * as its master process requires; `.ci/run` installs the package.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PostfixOptions {
  /** Port Postfix's SMTP server listens on, on 127.0.0.1. */
  port: number;
  /** Where all mail goes: the SMTP server of the recipients' domains. */
  relayPort: number;
  /** Mail for these domains goes to these ports instead (the return-path domain to the bounce intake). */
  domainPorts: Record<string, number>;
}

export interface Postfix {
  port: number;
  /** Postfix's own log, for a test that needs to say why mail did not arrive. */
  logFile: string;
  stop(): Promise<void>;
}

/** Whether this machine has Postfix (the tests that need it say so rather than pass without it). */
export const POSTFIX_BINARY = '/usr/sbin/postfix';

/** The daemons a relay that bounces needs; none chrooted, so the instance needs no copy of /etc. */
const MASTER_CF = (port: number) =>
  [
    `127.0.0.1:${port} inet n - n - - smtpd`,
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'flush unix n - n 1000? 0 flush',
    'proxymap unix - - n - - proxymap',
    'smtp unix - - n - - smtp',
    'relay unix - - n - - smtp',
    'showq unix n - n - - showq',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
  ].join('\n') + '\n';

function mainCf(dir: string, options: PostfixOptions): string {
  const transports = Object.entries(options.domainPorts)
    .map(([domain, port]) => `${domain}=smtp:[127.0.0.1]:${port}`)
    .join(' ');
  return (
    [
      'compatibility_level = 3.6',
      `queue_directory = ${dir}/queue`,
      `data_directory = ${dir}/data`,
      'mail_owner = postfix',
      'setgid_group = postdrop',
      'myhostname = relay.sandbox.test',
      'mydomain = sandbox.test',
      'mydestination =',
      'local_recipient_maps =',
      'alias_maps =',
      'alias_database =',
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      'mynetworks = 127.0.0.0/8',
      'smtpd_relay_restrictions = permit_mynetworks, reject',
      `relayhost = [127.0.0.1]:${options.relayPort}`,
      `transport_maps = inline:{ ${transports} }`,
      'smtp_dns_support_level = disabled',
      `maillog_file = ${dir}/maillog`,
      `maillog_file_prefixes = ${dir}`,
      'biff = no',
      'smtputf8_enable = no',
      // Tests wait seconds, not Postfix's minutes: deferred mail is retried at once.
      'queue_run_delay = 1s',
      'minimal_backoff_time = 1s',
      'maximal_backoff_time = 2s',
      'delay_warning_time = 0',
    ].join('\n') + '\n'
  );
}

export async function startPostfix(options: PostfixOptions): Promise<Postfix> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'postfix-'));
  // Postfix's daemons run as the mail owner, who must be able to reach the queue and data directories.
  chmodSync(dir, 0o755);
  for (const sub of ['etc', 'queue', 'data']) mkdirSync(path.join(dir, sub));
  // The master's lock file lives in the data directory, which the mail owner must own.
  const { uid, gid } = await postfixUser();
  chownSync(path.join(dir, 'data'), uid, gid);
  writeFileSync(path.join(dir, 'etc', 'main.cf'), mainCf(dir, options));
  writeFileSync(path.join(dir, 'etc', 'master.cf'), MASTER_CF(options.port));
  const config = path.join(dir, 'etc');
  try {
    await run(POSTFIX_BINARY, ['-c', config, 'start']);
  } catch (err) {
    throw new Error(`postfix did not start (see ${dir}/maillog): ${(err as Error).message.split('\n')[0]}`);
  }
  return {
    port: options.port,
    logFile: path.join(dir, 'maillog'),
    async stop() {
      await run(POSTFIX_BINARY, ['-c', config, 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postfixUser(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postfix']), run('id', ['-g', 'postfix'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
