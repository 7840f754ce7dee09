import type { Command } from 'commander';
import { TenantNotFoundError } from '../../lib/errors.js';
import { pruneStore } from '../../store/prune-store.js';
import { type CliIo, print } from '../cli-io.js';
import { withRuntime } from '../with-runtime.js';

export function registerGc(program: Command, io: CliIo): void {
  program
    .command('gc')
    .description(
      'prune what retention no longer keeps (old runs, run results, processed webhooks, sent outbox items, audit rows, history, API usage); prints one line per table',
    )
    .option('--tenant <id>', 'only this tenant (see `crm-agent tenants`)')
    .option('--dry-run', 'count what would be removed, remove nothing')
    .action(async (options: { tenant?: string; dryRun?: boolean }) => {
      await withRuntime(io, async (runtime) => {
        if (options.tenant !== undefined && !(await runtime.store.tenants.get(options.tenant))) {
          throw new TenantNotFoundError(options.tenant);
        }
        const report = await pruneStore(runtime.store, runtime.clock, runtime.config.retention, {
          ...(options.tenant !== undefined ? { tenantId: options.tenant } : {}),
          dryRun: options.dryRun ?? false,
        });
        const verb = options.dryRun ? 'would remove' : 'removed';
        for (const [table, n] of Object.entries(report.removed)) print(io.stdout, `${table}: ${verb} ${n} rows`);
        if (report.autoVacuum !== undefined) {
          print(
            io.stdout,
            report.autoVacuum === 'incremental'
              ? `sqlite: ${options.dryRun ? 'would vacuum incrementally' : `gave ${report.freedPages} free pages back to the file system`}`
              : `sqlite: auto_vacuum is ${report.autoVacuum}: freed pages are reused inside the file (a new store vacuums incrementally)`,
          );
        }
      });
    });
}
