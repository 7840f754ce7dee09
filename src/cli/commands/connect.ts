import { type Command, Option } from 'commander';
import type { CrmName } from '../../domain/records.js';
import { connectWithToken } from '../../install/connect-with-token.js';
import { type CliIo, print } from '../cli-io.js';
import { withRuntime } from '../with-runtime.js';

export function registerConnect(program: Command, io: CliIo): void {
  program
    .command('connect')
    .description(
      'register a tenant from a static token (HubSpot private-app token, Salesforce access token); prints its id',
    )
    .addArgument(program.createArgument('<crm>', 'hubspot or salesforce').choices(['hubspot', 'salesforce']))
    .requiredOption('--token <token>', 'the access token (read from the CRM, stored encrypted)')
    .option('--base-url <url>', 'HubSpot API base (default HUBSPOT_API_URL)')
    .addOption(new Option('--instance-url <url>', 'Salesforce instance URL').conflicts('baseUrl'))
    .action(async (crm: CrmName, options: { token: string; baseUrl?: string; instanceUrl?: string }) => {
      await withRuntime(io, async (runtime) => {
        const apiBaseUrl = options.baseUrl ?? options.instanceUrl;
        const tenant = await connectWithToken(runtime, {
          crm,
          token: options.token,
          ...(apiBaseUrl ? { apiBaseUrl } : {}),
        });
        print(io.stdout, tenant.id);
        print(io.stderr, `connected ${crm} account ${tenant.externalId} (${tenant.name}) as tenant ${tenant.id}`);
      });
    });
}
