/**
 * crm-agent's own use of a CRM's API, persisted per tenant, so that a share of a daily allocation (Salesforce's
 * rolling 24-hour API request limit) holds across runs and processes, not just within one sync.
 */
export interface ApiUsage {
  /** Requests recorded under the key within the window. */
  requests: number;
  /** The latest allocation the CRM reported with them (e.g. Sforce-Limit-Info's max), if any. */
  allocation: number | null;
}

export interface ApiUsageLedger {
  /** crm-agent's requests under `key` in the `windowMs` before now. */
  usage(key: string, windowMs: number): Promise<ApiUsage>;
  /** Records `requests` made now, and the allocation the CRM last reported (null when unknown). */
  record(key: string, requests: number, allocation: number | null): Promise<void>;
}
