import type { Command } from 'commander';
import { effectiveSettings, NO_HOLDOUT_WARNING } from '../../domain/tenant-settings.js';
import type { LiftCell } from '../../engine/lift/measure-lift.js';
import { TenantNotFoundError } from '../../lib/errors.js';
import { type CliIo, print } from '../cli-io.js';
import { withRuntime } from '../with-runtime.js';

const pts = (v: number | null) => (v === null ? '—' : `${v >= 0 ? '+' : '-'}${Math.abs(v * 100).toFixed(1)}`);
const rate = (g: LiftCell['treated']) =>
  `${g.rate === null ? '—' : `${(g.rate * 100).toFixed(1)}%`} of ${g.records}`.padStart(14);

/** `crm-agent report lift --tenant ID [--json]`: the actions' lift against the control group, from the newest run. */
export function registerReport(program: Command, io: CliIo): void {
  const report = program.command('report').description('reports on a tenant’s results (lift)');
  report
    .command('lift')
    .description(
      'lift of the actions against the control group (treated − holdout outcome rates, 95 % interval, counts), from the newest full run',
    )
    .requiredOption('--tenant <id>', 'the tenant (see `crm-agent tenants`)')
    .option('--json', 'the stored measurement as JSON (one line)')
    .action(async (options: { tenant: string; json?: boolean }) => {
      await withRuntime(io, async (runtime) => {
        const tenant = await runtime.store.tenants.get(options.tenant);
        if (!tenant) throw new TenantNotFoundError(options.tenant);
        const share = effectiveSettings(tenant.settings).holdoutShare;
        const lift = (await runtime.store.results.liftHistory(tenant.id, 1)).at(-1)?.lift ?? null;
        if (options.json) {
          print(io.stdout, JSON.stringify({ tenantId: tenant.id, holdoutShare: share, lift }));
          return;
        }
        if (share === 0) print(io.stderr, `warning: ${NO_HOLDOUT_WARNING}`);
        if (!lift) {
          print(io.stdout, 'no lift measured yet: the first full run measures it (crm-agent run)');
          return;
        }
        print(
          io.stdout,
          `lift as of ${lift.asOf} (holdout ${(lift.holdoutShare * 100).toFixed(1)}%, window ${lift.windowDays} days): ${lift.message}`,
        );
        print(
          io.stdout,
          `${'object'.padEnd(8)} ${'action'.padEnd(16)} ${'segment'.padEnd(14)} ${'treated'.padStart(14)} ${'holdout'.padStart(14)} ${'lift pts'.padStart(9)}  95% interval / note`,
        );
        for (const c of lift.cells) {
          print(
            io.stdout,
            `${c.objectType.padEnd(8)} ${c.action.padEnd(16)} ${(c.segmentKey ?? 'all').padEnd(14)} ${rate(c.treated)} ${rate(c.holdout)} ${pts(c.lift).padStart(9)}  ${c.status === 'ok' ? `${pts(c.low)} to ${pts(c.high)}` : c.message}`,
          );
        }
      });
    });
}
