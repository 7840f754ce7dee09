import type { Command } from 'commander';
import { DEFAULT_SANDBOX_PORTS } from '../../config/load-config.js';
import { runDemo } from '../../demo/run-demo.js';
import type { CliIo } from '../cli-io.js';

const integer = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a whole number, got ${value}`);
  return n;
};

export function registerDemo(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description(
      'run the whole product on the built-in sandbox CRMs: install into both through OAuth, run, and keep reps working (what `npm start` runs)',
    )
    .option('--port <port>', 'crm-agent port on 127.0.0.1', integer, 3000)
    .option('--hubspot-port <port>', 'HubSpot sandbox port', integer, DEFAULT_SANDBOX_PORTS.hubspot)
    .option('--salesforce-port <port>', 'Salesforce sandbox port', integer, DEFAULT_SANDBOX_PORTS.salesforce)
    .option('--contacts <n>', 'contacts in each sandbox CRM', integer, 3000)
    .option('--activity-seconds <s>', 'seconds between simulated rep edits (0: none)', integer, 5)
    .action(
      async (options: {
        port: number;
        hubspotPort: number;
        salesforcePort: number;
        contacts: number;
        activitySeconds: number;
      }) => {
        await runDemo(io, options);
      },
    );
}
