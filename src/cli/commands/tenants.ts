import type { Command } from 'commander';
import { type CliIo, print } from '../cli-io.js';
import { withRuntime } from '../with-runtime.js';

export function registerTenants(program: Command, io: CliIo): void {
  program
    .command('tenants')
    .description('list the connected CRM accounts (tenants) with their status')
    .option('--json', 'print JSON instead of a table')
    .action(async (options: { json?: boolean }) => {
      await withRuntime(io, async ({ store }) => {
        const tenants = await store.tenants.list();
        if (options.json) {
          print(io.stdout, JSON.stringify(tenants, null, 2));
          return;
        }
        if (tenants.length === 0) {
          print(io.stdout, 'no tenants yet: connect one with `crm-agent connect <crm> --token T`');
          return;
        }
        for (const t of tenants) print(io.stdout, [t.id, t.crm, t.externalId, t.status, t.name].join('\t'));
      });
    });
}
