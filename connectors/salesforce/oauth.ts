import type { TokenGrant } from '../../src/domain/tokens.js';
import { CrmApiError } from '../../src/lib/errors.js';
import type { CrmAccount } from '../../src/ports/crm-connector.js';
import { identify, orgIdFromIdentityUrl } from './auth.js';
import { oauthErrorSchema, tokenResponseSchema } from './schemas.js';

export interface OAuthApp {
  /** `https://login.salesforce.com`, `https://test.salesforce.com` or a My Domain. */
  loginUrl: string;
  clientId: string;
  clientSecret: string;
}

const base = (loginUrl: string) => loginUrl.replace(/\/+$/, '');

/**
 * The web-server flow's authorize URL, with PKCE (S256; External Client Apps require it) and the state crm-agent
 * checks on the callback. `refresh_token` in the scopes is what makes Salesforce issue a refresh token.
 */
export function authorizeUrl(
  app: OAuthApp,
  args: { redirectUri: string; state: string; codeChallenge: string; scopes: string[]; optionalScopes: string[] },
): string {
  const url = new URL(`${base(app.loginUrl)}/services/oauth2/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: args.redirectUri,
    scope: [...new Set([...args.scopes, ...args.optionalScopes])].join(' '),
    state: args.state,
    code_challenge: args.codeChallenge,
    code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}

/**
 * Trades the callback's code (and the PKCE verifier) for tokens at `{loginUrl}/services/oauth2/token`, then says
 * whose org they open: the org id (crm-agent's tenant key, also in the token's identity URL), its name, and the
 * instance URL every API call goes to.
 */
export async function exchangeCode(
  app: OAuthApp,
  args: { code: string; redirectUri: string; codeVerifier: string; fetch: typeof fetch },
): Promise<{ grant: TokenGrant; account: CrmAccount }> {
  let response: Response;
  try {
    response = await args.fetch(`${base(app.loginUrl)}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: args.code,
        client_id: app.clientId,
        client_secret: app.clientSecret,
        redirect_uri: args.redirectUri,
        code_verifier: args.codeVerifier,
      }),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    throw new CrmApiError(
      `Salesforce could not be reached (token exchange): ${(error as Error).message}`,
      { crm: 'salesforce', status: 0, retryable: true },
      { cause: error },
    );
  }
  const json = (await response.json().catch(() => undefined)) as unknown;
  if (!response.ok) {
    const error = oauthErrorSchema.safeParse(json);
    const code = error.success ? error.data.error : `HTTP ${response.status}`;
    const description = error.success ? (error.data.error_description ?? '') : '';
    throw new CrmApiError(`Salesforce refused the authorization code: ${code} ${description}`.trim(), {
      crm: 'salesforce',
      status: response.status,
      crmCode: code,
      retryable: response.status >= 500,
    });
  }
  const parsed = tokenResponseSchema.safeParse(json);
  if (!parsed.success) {
    throw new CrmApiError('Salesforce sent a token response of an unexpected shape', {
      crm: 'salesforce',
      status: response.status,
      retryable: false,
    });
  }
  const instanceUrl = parsed.data.instance_url.replace(/\/+$/, '');
  const account = await identify({ apiBaseUrl: instanceUrl, accessToken: parsed.data.access_token, fetch: args.fetch });
  const orgId = orgIdFromIdentityUrl(parsed.data.id);
  if (orgId && orgId.slice(0, 15) !== account.externalId.slice(0, 15)) {
    throw new CrmApiError(`the token's identity (${orgId}) and userinfo (${account.externalId}) name different orgs`, {
      crm: 'salesforce',
      status: 200,
      retryable: false,
    });
  }
  return {
    grant: {
      accessToken: parsed.data.access_token,
      ...(parsed.data.refresh_token ? { refreshToken: parsed.data.refresh_token } : {}),
      ...(parsed.data.scope ? { scopes: parsed.data.scope.split(/\s+/).filter(Boolean) } : {}),
      instanceUrl,
    },
    account,
  };
}
