import type { CredentialStore } from '../auth/credential-store.js';
import type { CrmName } from '../domain/records.js';
import type { Tenant } from '../domain/tenant.js';
import type { TokenGrant } from '../domain/tokens.js';
import type { Clock } from '../lib/clock.js';
import type { CrmAccount } from '../ports/crm-connector.js';
import type { Store } from '../store/open-store.js';
import { ensureOutboundSecret } from './outbound-secret.js';

/**
 * Records an OAuth install: the tenant is upserted by its CRM account (a reinstall updates the same row, never a
 * second one), its tokens stored encrypted, and the install audited; all in one transaction. A Salesforce tenant also
 * gets the secret of its outbound-message URL on first install (`outboundSecret`, returned once: only its hash is
 * kept); a reinstall keeps the URL the org is configured with.
 */
export async function completeInstall(
  deps: { store: Store; credentials: CredentialStore; clock: Clock },
  crm: CrmName,
  grant: TokenGrant,
  account: CrmAccount,
): Promise<{ tenant: Tenant; reinstall: boolean; outboundSecret?: string }> {
  return deps.store.transaction(async (tx) => {
    const existing = await tx.tenants.findByExternalId(crm, account.externalId);
    const tenant = await tx.tenants.upsert({
      crm,
      externalId: account.externalId,
      name: account.name,
      apiBaseUrl: grant.instanceUrl ?? account.apiBaseUrl,
    });
    await deps.credentials.using(tx.credentials).save(tenant.id, {
      kind: 'oauth',
      accessToken: grant.accessToken,
      refreshToken: grant.refreshToken ?? null,
      expiresAt:
        grant.expiresInSeconds === undefined
          ? null
          : new Date(deps.clock.now() + grant.expiresInSeconds * 1000).toISOString(),
      scopes: grant.scopes ?? [],
    });
    await tx.audit.append({
      tenantId: tenant.id,
      actor: `crm:${account.externalId}`,
      action: existing ? 'tenant.reinstalled' : 'tenant.installed',
      detail: { crm, externalId: account.externalId, scopes: grant.scopes ?? [] },
    });
    // A Salesforce org's outbound messages are only accepted at its own secret URL (Salesforce cannot sign them).
    const outboundSecret = crm === 'salesforce' ? await ensureOutboundSecret(tx, tenant.id) : undefined;
    return { tenant, reinstall: existing !== undefined, ...(outboundSecret ? { outboundSecret } : {}) };
  });
}
