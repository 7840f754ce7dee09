import type { Command } from 'commander';
import { outboundRuleFormula } from '../../install/outbound-rule.js';
import { outboundMessageUrl, rotateOutboundSecret } from '../../install/outbound-secret.js';
import { CrmAgentError, ErrorCode, TenantNotFoundError } from '../../lib/errors.js';
import { type CliIo, print } from '../cli-io.js';
import { withRuntime } from '../with-runtime.js';

/**
 * Salesforce cannot sign outbound messages, so each org sends them to its own secret URL; only the secret's hash is
 * stored. This issues a new URL (the old one stops working at once) and prints it for the admin to paste into the
 * outbound message's Endpoint URL in Salesforce Setup, with the criterion of the rule that sends them (every save but
 * those of crm-agent's integration user).
 */
export function registerOutboundUrl(program: Command, io: CliIo): void {
  program
    .command('outbound-url')
    .description(
      "issue a Salesforce org's outbound-message endpoint URL (a new secret; the previous URL stops working)",
    )
    .requiredOption('--tenant <id>', 'the Salesforce tenant')
    .action(async (options: { tenant: string }) => {
      await withRuntime(io, async (runtime) => {
        const { store, config, manifest } = runtime;
        const tenant = await store.tenants.get(options.tenant);
        if (!tenant) throw new TenantNotFoundError(options.tenant);
        if (tenant.crm !== 'salesforce')
          throw new CrmAgentError(
            ErrorCode.Usage,
            `tenant ${tenant.id} is a ${tenant.crm} account: only Salesforce orgs send outbound messages`,
          );
        const formula = await outboundRuleFormula(runtime, tenant);
        const secret = await rotateOutboundSecret(store, tenant.id);
        print(io.stdout, outboundMessageUrl(config.publicUrl, manifest.crms.salesforce.webhookPath, secret));
        print(
          io.stderr,
          'Paste it as the Endpoint URL of crm-agent\'s outbound messages in Salesforce Setup, with "Send Session ID" on. It is shown once: only its hash is kept.',
        );
        print(
          io.stderr,
          `Send them from a workflow rule (created, and every time it's edited) whose criterion is the formula ${formula}: crm-agent's own writes then send no message.`,
        );
      });
    });
}
