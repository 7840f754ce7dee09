/**
 * A tenant's CRM credentials in clear, as they exist only in memory. Stored encrypted (see TokenVault).
 * `static` tokens (HubSpot private-app tokens, pasted Salesforce sessions) have no refresh token and no expiry.
 */
export interface TokenSet {
  kind: 'oauth' | 'static';
  accessToken: string;
  refreshToken: string | null;
  /** ISO-8601; null when the CRM did not say. */
  expiresAt: string | null;
  scopes: string[];
}

/** What a CRM's token endpoint returns on a code exchange or refresh. */
export interface TokenGrant {
  accessToken: string;
  /** Present when the CRM issued (or rotated) a refresh token; absent means keep the old one. */
  refreshToken?: string;
  expiresInSeconds?: number;
  scopes?: string[];
  /** Salesforce: the org's instance URL may change with a refresh. */
  instanceUrl?: string;
}
