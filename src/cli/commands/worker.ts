import { once } from 'node:events';
import type { Command } from 'commander';
import { registerJobs } from '../../jobs/register-jobs.js';
import { CrmAgentError, ErrorCode } from '../../lib/errors.js';
import { type CliIo, print } from '../cli-io.js';
import { withRuntime } from '../with-runtime.js';

export function registerWorker(program: Command, io: CliIo): void {
  program
    .command('worker')
    .description(
      'process background jobs (cycles, webhooks, write-back, purges) from the pg-boss queue on PostgreSQL; run as many as needed',
    )
    .action(async () => {
      await withRuntime(
        io,
        async (runtime) => {
          if (runtime.store.dialect !== 'postgres') {
            throw new CrmAgentError(
              ErrorCode.Usage,
              'crm-agent worker needs PostgreSQL (DATABASE_URL=postgres://…); the embedded setup runs its jobs inside `crm-agent serve`',
            );
          }
          registerJobs(runtime);
          await runtime.scheduler.start();
          print(io.stdout, 'worker started');
          runtime.logger.info('worker started');
          if (!io.signal.aborted) await once(io.signal, 'abort');
          runtime.logger.info('worker stopping: no new jobs taken, running ones finish');
        },
        { longRunning: true },
      );
    });
}
