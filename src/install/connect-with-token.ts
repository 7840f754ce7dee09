import type { CrmName } from '../domain/records.js';
import type { Tenant } from '../domain/tenant.js';
import type { Runtime } from '../runtime.js';

export interface ConnectWithTokenInput {
  crm: CrmName;
  /** A HubSpot private-app token, or a Salesforce access token. */
  token: string;
  /** The CRM's API base (HubSpot API host, Salesforce instance URL); the configured one when omitted. */
  apiBaseUrl?: string;
}

/**
 * Registers (or updates) a tenant from a static token: how an admin without the marketplace app connects,
 * and how tests and scripts do. The CRM is asked whose account the token opens before anything is stored.
 */
export async function connectWithToken(runtime: Runtime, input: ConnectWithTokenInput): Promise<Tenant> {
  const module = runtime.module(input.crm);
  const apiBaseUrl = (input.apiBaseUrl ?? defaultApiBase(runtime, input.crm)).replace(/\/+$/, '');
  const account = await module.identify({ apiBaseUrl, accessToken: input.token, fetch: runtime.fetch });
  const credentials = runtime.credentials();
  return runtime.store.transaction(async (tx) => {
    const tenant = await tx.tenants.upsert({
      crm: input.crm,
      externalId: account.externalId,
      name: account.name,
      apiBaseUrl: account.apiBaseUrl,
    });
    await tx.audit.append({
      tenantId: tenant.id,
      actor: 'cli',
      action: 'tenant.connected',
      detail: { crm: input.crm, externalId: account.externalId, kind: 'static' },
    });
    await credentials
      .using(tx.credentials)
      .save(tenant.id, { kind: 'static', accessToken: input.token, refreshToken: null, expiresAt: null, scopes: [] });
    return tenant;
  });
}

function defaultApiBase(runtime: Runtime, crm: CrmName): string {
  return crm === 'hubspot' ? runtime.config.hubspot.apiUrl : runtime.config.salesforce.loginUrl;
}
