import { once } from 'node:events';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { print } from '../../src/cli/cli-io.js';
import type { SandboxCommand } from '../../src/cli/commands/sandbox.js';
import { DEFAULT_SANDBOX_PORTS } from '../../src/config/load-config.js';
import { systemClock } from '../../src/lib/clock.js';
import { createHubSpotSandbox } from './create-hubspot-sandbox.js';

function integer(min: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
    return n;
  };
}

function isoDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError('expected a date as YYYY-MM-DD');
  }
  return value;
}

function absoluteUrl(value: string): string {
  if (!URL.canParse(value)) throw new InvalidArgumentError('expected an absolute http(s) URL');
  return value;
}

interface Options {
  port: number;
  seed: number;
  contacts: number;
  companies: number;
  deals: number;
  token?: string[];
  clientId?: string;
  clientSecret?: string;
  limits: 'real' | 'off';
  searchLagMs: number;
  webhookUrl?: string;
  asOf?: string;
}

/** `crm-agent sandbox hubspot`: serves a seeded local HubSpot until interrupted. */
export const hubspotSandboxCommand: SandboxCommand = (sandbox: Command, io) => {
  sandbox
    .command('hubspot')
    .description('a local HubSpot (CRM v3/v4, search, properties, OAuth, webhooks) with seeded data and real limits')
    .option('--port <port>', 'port on 127.0.0.1 (0: any free port)', integer(0), DEFAULT_SANDBOX_PORTS.hubspot)
    .option('--seed <n>', 'seed of the generated portal (same seed, same data)', integer(0), 1)
    .option('--contacts <n>', 'contacts to generate', integer(0), 2000)
    .option('--companies <n>', 'companies to generate', integer(1), 300)
    .option('--deals <n>', 'deals to generate', integer(0), 1500)
    .option('--token <token...>', 'static private-app token(s) to accept (default: one derived from the seed)')
    .option('--client-id <id>', 'OAuth client id of the app (default: derived from the seed)')
    .option('--client-secret <secret>', 'OAuth client secret, also the webhook signing secret')
    .addOption(new Option('--limits <mode>', 'HubSpot rate limits, or none').choices(['real', 'off']).default('real'))
    .option('--search-lag-ms <ms>', 'how long a write stays invisible to search', integer(0), 0)
    .option('--webhook-url <url>', 'deliver webhook batches (signed v1 and v3) to this URL', absoluteUrl)
    .option('--as-of <date>', "the generated world's today, YYYY-MM-DD (default: first day of this month)", isoDate)
    .action(async (options: Options) => {
      const sb = createHubSpotSandbox({
        seed: options.seed,
        contacts: options.contacts,
        companies: options.companies,
        deals: options.deals,
        clock: systemClock,
        limits: options.limits,
        searchLagMs: options.searchLagMs,
        ...(options.token ? { tokens: options.token } : {}),
        ...(options.clientId ? { clientId: options.clientId } : {}),
        ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}),
        ...(options.webhookUrl ? { webhookUrl: options.webhookUrl } : {}),
        ...(options.asOf ? { asOf: options.asOf } : {}),
      });
      const url = await sb.listen(options.port);
      print(
        io.stderr,
        `hubspot sandbox: portal ${sb.portalId}, private-app token ${sb.token}, client id ${sb.clientId}, ` +
          `client secret ${sb.clientSecret}, developer API key ${sb.developerApiKey}, limits ${options.limits}`,
      );
      print(io.stdout, `listening on ${url}`);
      if (!io.signal.aborted) await once(io.signal, 'abort');
      await sb.close();
    });
};
