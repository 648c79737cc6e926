import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { createDashboard } from '../dashboard/server';
import { UsageError } from '../errors';
import type { Run } from '../run';
import { say } from '../terminal';

/** `breach dashboard`: the read-only web dashboard, until SIGINT or SIGTERM. */
export function registerDashboard(program: Command, run: Run): void {
  program
    .command('dashboard')
    .description('serve a read-only web dashboard of the breaches of this configuration (list and query only; it changes nothing)')
    .option('--port <port>', 'the port to listen on (0 picks a free one)', '8080')
    .option('--host <host>', 'the address to bind; anything but loopback shows breaches to the network', '127.0.0.1')
    .action((flags: { port: string; host: string }) =>
      run(async (session) => {
        if (!/^\d{1,5}$/.test(flags.port) || Number(flags.port) > 65535) throw new UsageError(`--port must be a port number from 0 to 65535, not '${flags.port}'`);
        const client = await session.client();
        const server = createDashboard({ client, taskQueue: session.config.temporal.taskQueue, webUiLink: (id) => session.webUiLink(id) });
        await new Promise<void>((resolve, reject) => {
          server.once('error', (err: NodeJS.ErrnoException) => reject(new UsageError(`cannot listen on ${flags.host}:${flags.port} (${err.code ?? err.message})`)));
          server.listen(Number(flags.port), flags.host, resolve);
        });
        const { port } = server.address() as AddressInfo;
        say(`Dashboard at http://${flags.host}:${port}/ (read-only; Ctrl-C stops it)`);
        await new Promise<void>((resolve) => {
          const stop = () => server.close(() => resolve());
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      }),
    );
}
