import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CredentialStore } from '../../../src/auth/credential-store.js';
import { TenantTokenProvider } from '../../../src/auth/token-provider.js';
import { TokenVault } from '../../../src/auth/token-vault.js';
import type { TokenGrant } from '../../../src/domain/tokens.js';
import { NeedsReauthError } from '../../../src/lib/errors.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { openStore, type Store } from '../../../src/store/open-store.js';
import { FixedClock } from '../../helpers/fixed-clock.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('TenantTokenProvider', () => {
  const dir = tempDir();
  const clock = new FixedClock();
  let store: Store;
  let credentials: CredentialStore;

  beforeAll(async () => {
    store = await openStore({ kind: 'sqlite', path: join(dir.path, 't.db') }, { clock });
    await store.migrate();
    credentials = new CredentialStore(store.credentials, new TokenVault(Buffer.alloc(32, 3)));
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  async function tenantWith(expiresInMs: number | null, refreshToken: string | null = 'rt-0') {
    const tenant = await store.tenants.upsert({
      crm: 'hubspot',
      externalId: String(Math.random()),
      name: 'x',
      apiBaseUrl: 'https://x',
    });
    await credentials.save(tenant.id, {
      kind: refreshToken ? 'oauth' : 'static',
      accessToken: 'at-0',
      refreshToken,
      expiresAt: expiresInMs === null ? null : new Date(clock.now() + expiresInMs).toISOString(),
      scopes: [],
    });
    return tenant.id;
  }

  function provider(tenantId: string, refresh?: (rt: string) => Promise<TokenGrant>) {
    return new TenantTokenProvider({
      tenantId,
      store,
      credentials,
      clock,
      logger: silentLogger(),
      ...(refresh ? { refresh } : {}),
    });
  }

  it('serves the stored token while it is fresh, and refreshes 5 minutes ahead of expiry', async () => {
    const tenantId = await tenantWith(30 * 60_000);
    const calls: string[] = [];
    const tokens = provider(tenantId, async (rt) => {
      calls.push(rt);
      return { accessToken: `at-${calls.length}`, expiresInSeconds: 1800 };
    });
    expect(await tokens.accessToken()).toBe('at-0');
    clock.advance(24 * 60_000);
    expect(await tokens.accessToken()).toBe('at-0');
    clock.advance(2 * 60_000);
    expect(await tokens.accessToken()).toBe('at-1');
    expect(calls).toEqual(['rt-0']);
    expect((await credentials.load(tenantId))?.accessToken).toBe('at-1');
  });

  it('renews a token that lives less than the leeway at half its lifetime, not on every call', async () => {
    const tenantId = await tenantWith(60_000);
    let refreshes = 0;
    const tokens = provider(tenantId, async () => {
      refreshes += 1;
      return { accessToken: `at-${refreshes}`, expiresInSeconds: 8 };
    });
    expect(await tokens.accessToken()).toBe('at-1');
    clock.advance(3000);
    expect(await tokens.accessToken()).toBe('at-1');
    expect(refreshes).toBe(1);
    clock.advance(1000);
    expect(await tokens.accessToken()).toBe('at-2');
  });

  it('keeps one refresh in flight however many callers see a 401 at once, and stores a rotated refresh token', async () => {
    const tenantId = await tenantWith(30 * 60_000);
    let refreshes = 0;
    const tokens = provider(tenantId, async () => {
      refreshes += 1;
      await new Promise((r) => setImmediate(r));
      return { accessToken: 'at-new', refreshToken: 'rt-rotated', expiresInSeconds: 1800 };
    });
    const results = await Promise.all(Array.from({ length: 20 }, () => tokens.refreshAfterRejection('at-0')));
    expect(new Set(results)).toEqual(new Set(['at-new']));
    expect(refreshes).toBe(1);
    expect(await tokens.refreshAfterRejection('at-0')).toBe('at-new');
    expect(refreshes).toBe(1);
    expect((await credentials.load(tenantId))?.refreshToken).toBe('rt-rotated');
    // a second provider (another worker) sees the refreshed token instead of refreshing again
    expect(await provider(tenantId, async () => ({ accessToken: 'never' })).refreshAfterRejection('at-0')).toBe(
      'at-new',
    );
  });

  it('marks the tenant needs_reauth, audits it and stops when the CRM refuses the refresh', async () => {
    const tenantId = await tenantWith(30 * 60_000);
    let calls = 0;
    const tokens = provider(tenantId, async () => {
      calls += 1;
      throw new NeedsReauthError(tenantId, 'invalid_grant: refresh token revoked');
    });
    await expect(tokens.refreshAfterRejection('at-0')).rejects.toMatchObject({ code: 'NEEDS_REAUTH' });
    expect((await store.tenants.get(tenantId))?.status).toBe('needs_reauth');
    expect((await store.audit.list({ tenantId }))[0]).toMatchObject({ action: 'token.refresh_failed' });
    expect((await credentials.load(tenantId))?.accessToken).toBe('at-0');
    expect(calls).toBe(1);
  });

  it('treats a rejected static token as needing re-authorisation', async () => {
    const tenantId = await tenantWith(null, null);
    await expect(provider(tenantId).refreshAfterRejection('at-0')).rejects.toBeInstanceOf(NeedsReauthError);
    expect((await store.tenants.get(tenantId))?.status).toBe('needs_reauth');
  });

  it('passes through a refresh that failed for a passing reason, leaving the tenant active', async () => {
    const tenantId = await tenantWith(30 * 60_000);
    const tokens = provider(tenantId, async () => {
      throw new Error('ECONNRESET');
    });
    await expect(tokens.refreshAfterRejection('at-0')).rejects.toThrow('ECONNRESET');
    expect((await store.tenants.get(tenantId))?.status).toBe('active');
  });
});
