import type { Tenant } from '../domain/tenant.js';
import { CrmAgentError, ErrorCode } from '../lib/errors.js';
import { excludeUserFormula } from '../manifest/salesforce-metadata.js';
import type { Runtime } from '../runtime.js';

/**
 * The criterion formula of the workflow rule that sends a Salesforce org's outbound messages: every save except
 * those of crm-agent's integration user, the user its stored token acts as (userinfo `user_id`). Without it each
 * record crm-agent writes comes back as an outbound message.
 */
export async function outboundRuleFormula(
  runtime: Pick<Runtime, 'credentials' | 'module' | 'fetch'>,
  tenant: Tenant,
): Promise<string> {
  const tokens = await runtime.credentials().load(tenant.id);
  if (!tokens) throw new CrmAgentError(ErrorCode.Usage, `tenant ${tenant.id} has no stored token: connect it first`);
  const account = await runtime
    .module('salesforce')
    .identify({ apiBaseUrl: tenant.apiBaseUrl, accessToken: tokens.accessToken, fetch: runtime.fetch });
  if (!account.userId) {
    throw new CrmAgentError(ErrorCode.Usage, `Salesforce did not say which user tenant ${tenant.id}'s token acts as`);
  }
  return excludeUserFormula(account.userId);
}
