import type { CrmName } from './records.js';

export type TenantStatus = 'active' | 'needs_reauth' | 'disabled' | 'purging';

/**
 * One installation of crm-agent in one CRM account. Persist it on install (and update it on reinstall:
 * the pair `crm` + `externalId` is unique); everything crm-agent stores is keyed by its `id`.
 */
export interface Tenant {
  id: string;
  crm: CrmName;
  /** HubSpot hub id / Salesforce org id. */
  externalId: string;
  name: string;
  /** `needs_reauth` after a refused token refresh or a revoked token: shown to the admin, no retry loop. */
  status: TenantStatus;
  /** HubSpot's API host, or the Salesforce org's instance_url (which can change when an org moves). */
  apiBaseUrl: string;
  settings: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  disabledAt: string | null;
}
