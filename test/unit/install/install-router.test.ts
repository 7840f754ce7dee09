import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { CredentialStore } from '../../../src/auth/credential-store.js';
import { TokenVault } from '../../../src/auth/token-vault.js';
import { loadAppManifest } from '../../../src/config/app-manifest.js';
import type { Tenant } from '../../../src/domain/tenant.js';
import { createApp } from '../../../src/http/create-app.js';
import { readAdminSession } from '../../../src/http/session/admin-session.js';
import { createInstallRouter } from '../../../src/install/install-router.js';
import { CrmApiError } from '../../../src/lib/errors.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { appManifestPath } from '../../../src/lib/package-root.js';
import type { CrmConnectorModule } from '../../../src/ports/crm-connector.js';
import { openStore, type Store } from '../../../src/store/open-store.js';
import { FixedClock } from '../../helpers/fixed-clock.js';
import { tempDir } from '../../helpers/temp-dir.js';

const PUBLIC = 'https://agent.example.com';

describe('OAuth install', () => {
  const dir = tempDir();
  const clock = new FixedClock();
  let store: Store;
  let app: ReturnType<typeof createApp>;
  const installed: Array<{ tenant: Tenant; reinstall: boolean }> = [];
  const exchanges: Array<{ code: string; codeVerifier: string; redirectUri: string }> = [];
  let failExchange = false;

  const module: CrmConnectorModule = {
    crm: 'hubspot',
    identify: async () => ({ externalId: 'x', name: 'x', apiBaseUrl: 'x' }),
    create: () => ({ crm: 'hubspot', streams: () => [] }),
    authorizeUrl: ({ redirectUri, state, codeChallenge, scopes }) =>
      `https://app.hubspot.example/oauth/authorize?${new URLSearchParams({ client_id: 'cid', redirect_uri: redirectUri, state, code_challenge: codeChallenge, code_challenge_method: 'S256', scope: scopes.join(' ') })}`,
    exchangeCode: async (args) => {
      exchanges.push(args);
      if (failExchange)
        throw new CrmApiError('400 invalid_grant: code expired', { crm: 'hubspot', status: 400, retryable: false });
      return {
        grant: {
          accessToken: `access-${args.code}`,
          refreshToken: `refresh-${args.code}`,
          expiresInSeconds: 1800,
          scopes: ['oauth'],
        },
        account: { externalId: '4242', name: 'Portal 4242', apiBaseUrl: 'https://api.hubapi.example' },
      };
    },
  };

  beforeAll(async () => {
    store = await openStore({ kind: 'sqlite', path: join(dir.path, 'i.db') }, { clock });
    await store.migrate();
    const credentials = new CredentialStore(store.credentials, new TokenVault(Buffer.alloc(32, 5)));
    const router = createInstallRouter({
      store,
      credentials: () => credentials,
      clock,
      logger: silentLogger(),
      manifest: loadAppManifest(appManifestPath()),
      publicUrl: PUBLIC,
      module: () => module,
      fetch: globalThis.fetch,
      onInstalled: async (tenant, reinstall) => {
        installed.push({ tenant, reinstall });
      },
      dashboardPath: '/dashboard',
    });
    app = createApp({ store, logger: silentLogger(), version: 't', routers: [router] });
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  /** Starts an install in a fresh "browser": returns the state and the browser's cookie. */
  async function begin() {
    const res = await request(app).get('/install/hubspot');
    expect(res.status).toBe(302);
    const location = new URL(res.headers.location!);
    const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('crm_agent_install='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Secure/i);
    return {
      state: location.searchParams.get('state')!,
      challenge: location.searchParams.get('code_challenge')!,
      cookie: cookie.split(';')[0]!,
      location,
    };
  }

  it('redirects to the authorize page with state, PKCE and the callback URL, then installs on the callback', async () => {
    const { state, challenge, cookie, location } = await begin();
    expect(location.searchParams.get('redirect_uri')).toBe(`${PUBLIC}/oauth/hubspot/callback`);
    expect(location.searchParams.get('scope')).toContain('crm.objects.contacts.write');
    const res = await request(app).get(`/oauth/hubspot/callback?code=c1&state=${state}`).set('cookie', cookie);
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(/^\/dashboard\?installed=/);
    const verifier = exchanges.at(-1)!.codeVerifier;
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(challenge);
    const tenant = installed.at(-1)!.tenant;
    expect(tenant).toMatchObject({ crm: 'hubspot', externalId: '4242', name: 'Portal 4242', status: 'active' });
    expect(installed.at(-1)!.reinstall).toBe(false);
    const session = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('crm_agent_session='))!;
    expect(await readAdminSession({ headers: { cookie: session.split(';')[0] } }, store)).toMatchObject({
      tenantIds: [tenant.id],
    });
    expect((await store.audit.list({ tenantId: tenant.id }))[0]).toMatchObject({ action: 'tenant.installed' });
    expect(readFileSync(join(dir.path, 'i.db')).includes('access-c1')).toBe(false);
  });

  it('updates the same tenant on a reinstall', async () => {
    const first = installed.at(-1)!.tenant;
    const { state, cookie } = await begin();
    expect(
      (await request(app).get(`/oauth/hubspot/callback?code=c2&state=${state}`).set('cookie', cookie)).status,
    ).toBe(303);
    expect(installed.at(-1)).toMatchObject({ reinstall: true, tenant: { id: first.id } });
    expect((await store.tenants.list()).filter((t) => t.externalId === '4242')).toHaveLength(1);
    expect((await store.audit.list({ tenantId: first.id }))[0]).toMatchObject({ action: 'tenant.reinstalled' });
  });

  it.each([
    [
      'replayed',
      async (s: { state: string; cookie: string }) => {
        await request(app).get(`/oauth/hubspot/callback?code=c3&state=${s.state}`).set('cookie', s.cookie);
        return request(app).get(`/oauth/hubspot/callback?code=c3&state=${s.state}`).set('cookie', s.cookie);
      },
    ],
    [
      'from another browser',
      (s: { state: string }) =>
        request(app)
          .get(`/oauth/hubspot/callback?code=c4&state=${s.state}`)
          .set('cookie', 'crm_agent_install=someone-else'),
    ],
    [
      'without the browser cookie',
      (s: { state: string }) => request(app).get(`/oauth/hubspot/callback?code=c5&state=${s.state}`),
    ],
    [
      'after 10 minutes',
      (s: { state: string; cookie: string }) => {
        clock.advance(10 * 60_000 + 1000);
        return request(app).get(`/oauth/hubspot/callback?code=c6&state=${s.state}`).set('cookie', s.cookie);
      },
    ],
    [
      'with an unknown state',
      (s: { cookie: string }) =>
        request(app).get('/oauth/hubspot/callback?code=c7&state=forged').set('cookie', s.cookie),
    ],
  ])('refuses a state %s', async (_what, call) => {
    const started = await begin();
    const before = exchanges.length;
    const res = await call(started);
    expect(res.status).toBe(400);
    expect(res.text).toContain('Start the install again');
    expect(exchanges.length).toBeLessThanOrEqual(before + 1);
    expect(exchanges.slice(before).every((e) => e.code === 'c3')).toBe(true);
  });

  it('shows the CRM’s refusal when the admin cancels', async () => {
    const res = await request(app).get('/oauth/hubspot/callback?error=access_denied&error_description=<b>denied</b>');
    expect(res.status).toBe(400);
    expect(res.text).toContain('&#60;b&#62;denied&#60;/b&#62;');
  });

  it('stores nothing when the code exchange fails', async () => {
    failExchange = true;
    const tenants = (await store.tenants.list()).length;
    const { state, cookie } = await begin();
    const res = await request(app).get(`/oauth/hubspot/callback?code=bad&state=${state}`).set('cookie', cookie);
    failExchange = false;
    expect(res.status).toBe(502);
    expect(res.text).toContain('code expired');
    expect((await store.tenants.list()).length).toBe(tenants);
  });
});
