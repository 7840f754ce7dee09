import type { TokenGrant } from '../../src/domain/tokens.js';
import { CrmApiError } from '../../src/lib/errors.js';
import type { CrmAccount } from '../../src/ports/crm-connector.js';
import { identifyHubSpotAccount } from './auth.js';
import { parseErrorBody, parseJson } from './error-body.js';
import { TokenResponse } from './schemas.js';

/** The OAuth app's side of an install: where HubSpot's pages and API live, and the app's credentials. */
export interface HubSpotOAuthApp {
  /** The authorize page's host: https://app.hubspot.com in production. */
  authUrl: string;
  /** The API host, which also serves the token endpoint: https://api.hubapi.com in production. */
  apiUrl: string;
  clientId: string;
  clientSecret: string;
}

/**
 * HubSpot's authorize URL for an install: the app's client id, the redirect URI, required scopes (space separated)
 * and optional ones, the signed state, and the PKCE challenge (S256).
 * https://developers.hubspot.com/docs/api/oauth-quickstart-guide
 */
export function hubspotAuthorizeUrl(
  app: HubSpotOAuthApp,
  args: { redirectUri: string; state: string; codeChallenge: string; scopes: string[]; optionalScopes: string[] },
): string {
  const url = new URL('/oauth/authorize', `${app.authUrl}/`);
  url.searchParams.set('client_id', app.clientId);
  url.searchParams.set('redirect_uri', args.redirectUri);
  url.searchParams.set('scope', args.scopes.join(' '));
  if (args.optionalScopes.length > 0) url.searchParams.set('optional_scope', args.optionalScopes.join(' '));
  url.searchParams.set('state', args.state);
  url.searchParams.set('code_challenge', args.codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

/**
 * Trades an install's authorization code at `POST /oauth/2026-03/token` (form-encoded, with the PKCE verifier; the
 * v1 path goes away on 2027-02-16), then asks whose portal the token opens. A refused code (used, expired, wrong
 * redirect URI or verifier) is a CrmApiError naming HubSpot's reason; nothing is stored.
 */
export async function exchangeHubSpotCode(
  app: HubSpotOAuthApp,
  args: { code: string; redirectUri: string; codeVerifier: string; fetch: typeof fetch },
): Promise<{ grant: TokenGrant; account: CrmAccount }> {
  const response = await args
    .fetch(`${app.apiUrl}/oauth/2026-03/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: app.clientId,
        client_secret: app.clientSecret,
        redirect_uri: args.redirectUri,
        code: args.code,
        code_verifier: args.codeVerifier,
      }).toString(),
      signal: AbortSignal.timeout(30_000),
    })
    .catch((error: unknown) => {
      throw new CrmApiError(
        `cannot reach HubSpot's token endpoint at ${app.apiUrl}: ${(error as Error).message}`,
        { crm: 'hubspot', status: 0, retryable: true },
        { cause: error },
      );
    });
  const text = await response.text();
  if (!response.ok) {
    const error = parseErrorBody(text);
    const reason = error.status ?? error.error ?? `HTTP ${response.status}`;
    throw new CrmApiError(
      `HubSpot refused the authorization code (${reason}): ${error.error_description ?? error.message ?? 'no message'}`,
      {
        crm: 'hubspot',
        status: response.status,
        ...(error.error ? { crmCode: error.error } : {}),
        retryable: response.status >= 500 || response.status === 429,
      },
    );
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
  const account = await identifyHubSpotAccount({
    apiBaseUrl: app.apiUrl,
    accessToken: grant.data.access_token,
    fetch: args.fetch,
  });
  return {
    grant: {
      accessToken: grant.data.access_token,
      ...(grant.data.refresh_token !== undefined ? { refreshToken: grant.data.refresh_token } : {}),
      ...(grant.data.expires_in !== undefined ? { expiresInSeconds: grant.data.expires_in } : {}),
      ...(grant.data.scopes !== undefined ? { scopes: grant.data.scopes } : {}),
    },
    account,
  };
}
