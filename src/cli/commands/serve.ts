import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { createApp } from '../../http/create-app.js';
import { securityOptionsFor } from '../../http/security-headers.js';
import { registerJobs } from '../../jobs/register-jobs.js';
import { type CliIo, print } from '../cli-io.js';
import { withRuntime } from '../with-runtime.js';

export function registerServe(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('start the HTTP app (health check, OAuth install, webhooks, dashboard) on HOST:PORT')
    .option('--no-migrate', 'do not apply pending migrations at start-up (fail if any are pending)')
    .option('--no-scheduler', 'serve HTTP only: no schedules and no background jobs in this process')
    .action(async (options: { migrate: boolean; scheduler: boolean }) => {
      await withRuntime(
        io,
        async (runtime) => {
          const { store, logger, config, version } = runtime;
          if (!options.migrate) await store.assertMigrated();
          if (options.scheduler) {
            registerJobs(runtime);
            await runtime.scheduler.start();
          }
          const server = createApp({
            store,
            logger,
            version,
            routers: runtime.routers(),
            security: securityOptionsFor(config, runtime.manifest),
          }).listen(config.port, config.host);
          await once(server, 'listening');
          const { port } = server.address() as AddressInfo;
          print(io.stdout, `listening on http://${config.host}:${port}`);
          logger.info({ port, store: store.location, version }, 'crm-agent serving');
          if (!io.signal.aborted) await once(io.signal, 'abort');
          logger.info('shutting down');
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        },
        { migrate: options.migrate, longRunning: true },
      );
    });
}
