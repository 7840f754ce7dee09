import type { Tenant } from '../../src/domain/tenant.js';
import type { TokenGrant } from '../../src/domain/tokens.js';
import { CrmApiError, NeedsReauthError } from '../../src/lib/errors.js';
import type { CrmAccount } from '../../src/ports/crm-connector.js';
import { oauthErrorSchema, tokenResponseSchema, userinfoSchema } from './schemas.js';
import { API_VERSION } from './settings.js';

const apiError = (message: string, status: number, retryable: boolean, crmCode?: string) =>
  new CrmApiError(message, { crm: 'salesforce', status, retryable, ...(crmCode ? { crmCode } : {}) });

async function request(fetchImpl: typeof fetch, url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetchImpl(url, { ...init, signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    throw new CrmApiError(
      `Salesforce could not be reached (${what}): ${(error as Error).message}`,
      {
        crm: 'salesforce',
        status: 0,
        retryable: true,
      },
      { cause: error },
    );
  }
}

/** The org id from an identity URL `…/id/{orgId}/{userId}`. */
export function orgIdFromIdentityUrl(id: string): string | undefined {
  return /\/id\/(00D[a-zA-Z0-9]{12,15})\/[a-zA-Z0-9]+\/?$/.exec(id)?.[1];
}

/**
 * Whose org an access token opens: the userinfo endpoint gives the org id (crm-agent's tenant key) and the user the
 * token acts as (crm-agent's integration user, whom the outbound-message rule leaves out), a query of Organization
 * its name. The instance URL is where the token works.
 */
export async function identify(args: {
  apiBaseUrl: string;
  accessToken: string;
  fetch: typeof fetch;
}): Promise<CrmAccount> {
  const base = args.apiBaseUrl.replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${args.accessToken}`, accept: 'application/json' };
  const info = await request(args.fetch, `${base}/services/oauth2/userinfo`, { headers }, 'userinfo');
  if (info.status === 401 || info.status === 403) {
    throw apiError(
      `Salesforce rejected the token (${info.status} ${(await info.text()).slice(0, 80)})`,
      info.status,
      false,
    );
  }
  if (!info.ok) throw apiError(`Salesforce userinfo answered ${info.status}`, info.status, info.status >= 500);
  const parsed = userinfoSchema.safeParse(await info.json().catch(() => undefined));
  if (!parsed.success) throw apiError('Salesforce userinfo did not name an organization', info.status, false);
  const orgId = parsed.data.organization_id;
  const soql = encodeURIComponent('SELECT Name FROM Organization');
  const org = await request(
    args.fetch,
    `${base}/services/data/v${API_VERSION}/query?q=${soql}`,
    { headers },
    'organization',
  );
  let name = orgId;
  if (org.ok) {
    const body = (await org.json().catch(() => undefined)) as { records?: Array<{ Name?: unknown }> } | undefined;
    if (typeof body?.records?.[0]?.Name === 'string') name = body.records[0].Name;
  }
  return { externalId: orgId, name, apiBaseUrl: base, userId: parsed.data.user_id };
}

/**
 * Trades a refresh token for a new session at `{loginUrl}/services/oauth2/token`. Keeps a rotated refresh token
 * and a moved instance URL; `invalid_grant` (revoked or expired) means the admin must connect again.
 */
export async function refreshTokens(args: {
  loginUrl: string;
  clientId: string;
  clientSecret: string;
  tenant: Tenant;
  refreshToken: string;
  fetch: typeof fetch;
}): Promise<TokenGrant> {
  const body = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: args.refreshToken,
    client_id: args.clientId,
    client_secret: args.clientSecret,
  });
  const response = await request(
    args.fetch,
    `${args.loginUrl.replace(/\/+$/, '')}/services/oauth2/token`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
    },
    'token refresh',
  );
  const json = (await response.json().catch(() => undefined)) as unknown;
  if (!response.ok) {
    const error = oauthErrorSchema.safeParse(json);
    const code = error.success ? error.data.error : `HTTP ${response.status}`;
    const description = error.success ? (error.data.error_description ?? '') : '';
    if (code === 'invalid_grant') {
      throw new NeedsReauthError(
        args.tenant.id,
        `Salesforce refused the refresh token (invalid_grant: ${description})`,
      );
    }
    throw apiError(
      `Salesforce token refresh failed: ${code} ${description}`.trim(),
      response.status,
      response.status >= 500,
      code,
    );
  }
  const parsed = tokenResponseSchema.safeParse(json);
  if (!parsed.success)
    throw apiError('Salesforce sent a token response of an unexpected shape', response.status, false);
  const orgId = orgIdFromIdentityUrl(parsed.data.id);
  if (orgId && orgId.slice(0, 15) !== args.tenant.externalId.slice(0, 15)) {
    throw new NeedsReauthError(args.tenant.id, `the refreshed token belongs to another org (${orgId})`);
  }
  return {
    accessToken: parsed.data.access_token,
    ...(parsed.data.refresh_token ? { refreshToken: parsed.data.refresh_token } : {}),
    ...(parsed.data.scope ? { scopes: parsed.data.scope.split(/\s+/).filter(Boolean) } : {}),
    instanceUrl: parsed.data.instance_url.replace(/\/+$/, ''),
  };
}
