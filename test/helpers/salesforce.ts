import { createHash, randomBytes } from 'node:crypto';
import {
  createSalesforceSandbox,
  type SalesforceSandbox,
  type SalesforceSandboxOptions,
} from '../../sandbox/salesforce/create-salesforce-sandbox.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Tenant } from '../../src/domain/tenant.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createRuntime, type Runtime, type RuntimeOverrides } from '../../src/main.js';

export const SF_CLIENT = { clientId: 'crm-agent-test-client', clientSecret: 'crm-agent-test-secret' };
export const REDIRECT_URI = 'http://127.0.0.1:9/oauth/salesforce/callback';

/** A listening sandbox org with the test client registered; `close()` when done. */
export async function startSandbox(
  options: SalesforceSandboxOptions = {},
): Promise<SalesforceSandbox & { baseUrl: string }> {
  const sandbox = createSalesforceSandbox({
    seed: 11,
    accounts: 40,
    contacts: 500,
    opportunities: 150,
    asOf: '2026-11-01T00:00:00.000Z',
    clients: [SF_CLIENT],
    ...options,
  });
  const baseUrl = await sandbox.listen();
  return Object.assign(sandbox, { baseUrl });
}

/** The OAuth web-server flow with PKCE against the sandbox, as a browser and crm-agent's callback would run it. */
export async function oauthTokens(
  baseUrl: string,
): Promise<{ access_token: string; refresh_token: string; instance_url: string; id: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = new URL(`${baseUrl}/services/oauth2/authorize`);
  for (const [k, v] of Object.entries({
    response_type: 'code',
    client_id: SF_CLIENT.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'api refresh_token id',
    state: 'state-1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })) {
    authorize.searchParams.set(k, v);
  }
  const redirect = await fetch(authorize, { redirect: 'manual' });
  const code = new URL(redirect.headers.get('location')!).searchParams.get('code')!;
  const token = await fetch(`${baseUrl}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      ...{ client_id: SF_CLIENT.clientId, client_secret: SF_CLIENT.clientSecret },
    }),
  });
  if (!token.ok) throw new Error(`token exchange failed: ${token.status} ${await token.text()}`);
  return (await token.json()) as { access_token: string; refresh_token: string; instance_url: string; id: string };
}

/** A runtime (SQLite in `dir`) configured for the sandbox's login host and test client. */
export async function salesforceRuntime(
  dir: string,
  sandbox: { baseUrl: string },
  overrides: RuntimeOverrides = {},
): Promise<Runtime> {
  const config = loadConfig({
    env: {
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      SALESFORCE_LOGIN_URL: sandbox.baseUrl,
      SALESFORCE_CLIENT_ID: SF_CLIENT.clientId,
      SALESFORCE_CLIENT_SECRET: SF_CLIENT.clientSecret,
      CRM_AGENT_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    },
    cwd: dir,
    readDotEnv: false,
  });
  const runtime = await createRuntime(config, { logger: silentLogger(), ...overrides });
  await runtime.store.migrate();
  return runtime;
}

/** Connects the sandbox org as a tenant through the OAuth web-server flow (refresh token stored). */
export async function connectWithOAuth(
  runtime: Runtime,
  sandbox: { baseUrl: string },
  settings?: Record<string, unknown>,
): Promise<Tenant> {
  const tokens = await oauthTokens(sandbox.baseUrl);
  const account = await runtime
    .module('salesforce')
    .identify({ apiBaseUrl: tokens.instance_url, accessToken: tokens.access_token, fetch: runtime.fetch });
  const tenant = await runtime.store.tenants.upsert({
    crm: 'salesforce',
    externalId: account.externalId,
    name: account.name,
    apiBaseUrl: account.apiBaseUrl,
    ...(settings ? { settings } : {}),
  });
  await runtime.credentials().save(tenant.id, {
    kind: 'oauth',
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresAt: null,
    scopes: ['api', 'refresh_token', 'id'],
  });
  return tenant;
}
