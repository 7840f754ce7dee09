import type { Tenant } from '../../src/domain/tenant.js';
import type { TokenGrant } from '../../src/domain/tokens.js';
import { CrmApiError, NeedsReauthError } from '../../src/lib/errors.js';
import type { CrmAccount } from '../../src/ports/crm-connector.js';
import { parseErrorBody, parseJson } from './error-body.js';
import { AccessTokenInfo, AccountDetails, TokenResponse } from './schemas.js';

/** The app's OAuth credentials (absent when crm-agent runs on private-app tokens only). */
export interface HubSpotAppCredentials {
  clientId?: string;
  clientSecret?: string;
}

/**
 * Whose portal a token opens. `GET /account-info/v3/details` answers for private-app and OAuth tokens alike
 * (portalId); for an OAuth token `GET /oauth/v1/access-tokens/:token` adds the hub's domain for a readable name.
 * A refused token is a CrmApiError (nothing is stored).
 */
export async function identifyHubSpotAccount(args: {
  apiBaseUrl: string;
  accessToken: string;
  fetch: typeof fetch;
}): Promise<CrmAccount> {
  const { apiBaseUrl, accessToken, fetch } = args;
  const response = await fetch(`${apiBaseUrl}/account-info/v3/details`, {
    headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
    signal: AbortSignal.timeout(30_000),
  }).catch((error: unknown) => {
    throw new CrmApiError(`cannot reach HubSpot at ${apiBaseUrl}: ${(error as Error).message}`, {
      crm: 'hubspot',
      status: 0,
      retryable: true,
    });
  });
  const text = await response.text();
  if (!response.ok) {
    const error = parseErrorBody(text);
    const what = response.status === 401 ? 'HubSpot rejected the token' : `HubSpot answered ${response.status}`;
    throw new CrmApiError(`${what}${error.category ? ` (${error.category})` : ''}: ${error.message ?? 'no message'}`, {
      crm: 'hubspot',
      status: response.status,
      ...(error.category ? { crmCode: error.category } : {}),
      retryable: response.status >= 500 || response.status === 429,
    });
  }
  const details = AccountDetails.safeParse(parseJson(text));
  if (!details.success) {
    throw new CrmApiError('HubSpot sent account details without a portalId', {
      crm: 'hubspot',
      status: response.status,
      crmCode: 'MALFORMED_RESPONSE',
      retryable: false,
    });
  }
  const portalId = String(details.data.portalId);
  let name = `HubSpot portal ${portalId}`;
  const info = await fetch(`${apiBaseUrl}/oauth/v1/access-tokens/${encodeURIComponent(accessToken)}`, {
    headers: { Accept: 'application/json' },
    signal: AbortSignal.timeout(30_000),
  }).catch(() => undefined);
  if (info?.ok) {
    const parsed = AccessTokenInfo.safeParse(parseJson(await info.text()));
    if (parsed.success && parsed.data.hub_domain) name = parsed.data.hub_domain;
  }
  return { externalId: portalId, name, apiBaseUrl };
}

/**
 * Trades a refresh token at `POST /oauth/2026-03/token` (the v1 path goes away on 2027-02-16). HubSpot refusing
 * it (`invalid_grant` / `BAD_REFRESH_TOKEN`: revoked, app uninstalled) is final: NeedsReauthError.
 */
export async function refreshHubSpotToken(
  credentials: HubSpotAppCredentials,
  args: { tenant: Tenant; refreshToken: string; fetch: typeof fetch },
): Promise<TokenGrant> {
  const { tenant, refreshToken, fetch } = args;
  if (!credentials.clientId || !credentials.clientSecret) {
    throw new NeedsReauthError(
      tenant.id,
      'HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET are not configured, so the token cannot be renewed',
    );
  }
  const response = await fetch(`${tenant.apiBaseUrl}/oauth/2026-03/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
      refresh_token: refreshToken,
    }).toString(),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) {
    const error = parseErrorBody(text);
    if (
      response.status === 400 &&
      (error.error === 'invalid_grant' || error.status === 'BAD_REFRESH_TOKEN' || error.error === 'invalid_client')
    ) {
      throw new NeedsReauthError(
        tenant.id,
        `HubSpot refused the refresh token (${error.status ?? error.error}): ${error.message ?? error.error_description ?? ''}`,
      );
    }
    throw new CrmApiError(`HubSpot token refresh failed with ${response.status}: ${error.message ?? 'no message'}`, {
      crm: 'hubspot',
      status: response.status,
      retryable: response.status >= 500 || response.status === 429,
    });
  }
  const grant = TokenResponse.safeParse(parseJson(text));
  if (!grant.success) {
    throw new CrmApiError('HubSpot sent a token response without an access token', {
      crm: 'hubspot',
      status: response.status,
      crmCode: 'MALFORMED_RESPONSE',
      retryable: false,
    });
  }
  return {
    accessToken: grant.data.access_token,
    ...(grant.data.refresh_token !== undefined ? { refreshToken: grant.data.refresh_token } : {}),
    ...(grant.data.expires_in !== undefined ? { expiresInSeconds: grant.data.expires_in } : {}),
    ...(grant.data.scopes !== undefined ? { scopes: grant.data.scopes } : {}),
  };
}
