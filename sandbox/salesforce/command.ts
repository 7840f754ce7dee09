import { once } from 'node:events';
import { InvalidArgumentError, Option } from 'commander';
import { print } from '../../src/cli/cli-io.js';
import type { SandboxCommand } from '../../src/cli/commands/sandbox.js';
import { DEFAULT_SANDBOX_PORTS } from '../../src/config/load-config.js';
import { createSalesforceSandbox, DEFAULT_SANDBOX_TOKEN } from './create-salesforce-sandbox.js';

const integer = (what: string, min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${what} must be an integer ≥ ${min}`);
  return n;
};

/** `crm-agent sandbox salesforce`: a local Salesforce org serving the seeded world until stopped. */
export const salesforceSandboxCommand: SandboxCommand = (sandbox, io) => {
  sandbox
    .command('salesforce')
    .description('emulate a Salesforce org (REST, Bulk API 2.0, Tooling, OAuth, limits, outbound messages)')
    .option(
      '--port <port>',
      'port to listen on (0: any free port)',
      integer('--port', 0),
      DEFAULT_SANDBOX_PORTS.salesforce,
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--seed <seed>', 'seed of the world it serves', integer('--seed', 0), 1)
    .option('--accounts <n>', 'accounts (companies)', integer('--accounts', 1), 500)
    .option('--contacts <n>', 'contacts and leads', integer('--contacts', 1), 5000)
    .option('--opportunities <n>', 'opportunities (deals)', integer('--opportunities', 0), 2000)
    .option('--as-of <date>', "the world's today (default: the first day of this month, UTC)")
    .option('--token <token>', 'a static access token for the API user', DEFAULT_SANDBOX_TOKEN)
    .option('--client-id <id>', 'OAuth client id of the connected app')
    .option('--client-secret <secret>', 'OAuth client secret of the connected app')
    .option('--rotate-refresh-tokens', 'issue a new refresh token on every refresh (External Client App policy)')
    .addOption(
      new Option('--limits <mode>', 'enforce the daily API allocation').choices(['real', 'off']).default('real'),
    )
    .option('--daily-limit <n>', 'daily API request allocation of the org', integer('--daily-limit', 1), 110_000)
    .option('--outbound-url <url>', 'where outbound messages (SOAP notifications) are delivered')
    .action(
      async (options: {
        port: number;
        host: string;
        seed: number;
        accounts: number;
        contacts: number;
        opportunities: number;
        asOf?: string;
        token: string;
        clientId?: string;
        clientSecret?: string;
        rotateRefreshTokens?: boolean;
        limits: 'real' | 'off';
        dailyLimit: number;
        outboundUrl?: string;
      }) => {
        if (options.asOf !== undefined && Number.isNaN(Date.parse(options.asOf))) {
          throw new InvalidArgumentError(`--as-of must be an ISO date, got ${options.asOf}`);
        }
        if ((options.clientId === undefined) !== (options.clientSecret === undefined)) {
          throw new InvalidArgumentError('--client-id and --client-secret go together');
        }
        const org = createSalesforceSandbox({
          seed: options.seed,
          accounts: options.accounts,
          contacts: options.contacts,
          opportunities: options.opportunities,
          ...(options.asOf ? { asOf: options.asOf } : {}),
          token: options.token,
          ...(options.clientId ? { clientId: options.clientId, clientSecret: options.clientSecret! } : {}),
          rotateRefreshTokens: options.rotateRefreshTokens === true,
          limits: options.limits,
          dailyLimit: options.dailyLimit,
          ...(options.outboundUrl ? { outboundUrl: options.outboundUrl } : {}),
        });
        const url = await org.listen(options.port, options.host);
        print(io.stdout, `listening on ${url}`);
        print(
          io.stderr,
          `salesforce sandbox: org ${org.state.orgId}, ${org.world.companies.length} accounts, ${org.world.contacts.length} contacts and leads, ` +
            `${org.world.deals.length} opportunities; API v${'62.0'}; token ${options.token}; daily limit ${options.dailyLimit} (${options.limits})`,
        );
        if (!io.signal.aborted) await once(io.signal, 'abort');
        await org.close();
      },
    );
};
