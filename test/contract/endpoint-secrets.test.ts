import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { CredentialStore } from '../../src/auth/credential-store.js';
import { TokenVault } from '../../src/auth/token-vault.js';
import { completeInstall } from '../../src/install/complete-install.js';
import {
  endpointSecretMatches,
  hashEndpointSecret,
  OUTBOUND_SECRET,
  rotateOutboundSecret,
} from '../../src/install/outbound-secret.js';
import { openStore, type Store } from '../../src/store/open-store.js';
import { purgeTenant } from '../../src/tenancy/purge-tenant.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { createTestDatabase } from '../helpers/postgres.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const targets: Array<[string, (clock: FixedClock) => Promise<Store>]> = [
  [
    'SQLite',
    async (clock) => {
      const dir = mkdtempSync(join(tmpdir(), 'crm-agent-secrets-'));
      const store = await openStore({ kind: 'sqlite', path: join(dir, 's.db') }, { clock });
      cleanups.push(async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return store;
    },
  ],
  [
    'PostgreSQL',
    async (clock) => {
      const database = await createTestDatabase();
      const store = await openStore({ kind: 'postgres', url: database.url }, { clock, poolSize: 2 });
      cleanups.push(async () => {
        await store.close();
        await database.drop();
      });
      return store;
    },
  ],
];

describe.each(targets)('the outbound-message secret in the store: %s', (_name, open) => {
  const clock = new FixedClock();
  const grant = { accessToken: 'at', refreshToken: 'rt', instanceUrl: 'https://acme.my.salesforce.com', scopes: [] };
  const account = { externalId: '00D5g000004XyZaEAK', name: 'Acme', apiBaseUrl: 'https://acme.my.salesforce.com' };

  it('is created at the first install (hash only), kept on reinstall, replaced on rotation, purged with the tenant', async () => {
    const store = await open(clock);
    await store.migrate();
    const deps = {
      store,
      credentials: new CredentialStore(store.credentials, new TokenVault(Buffer.alloc(32, 7))),
      clock,
    };

    const first = await completeInstall(deps, 'salesforce', grant, account);
    expect(first.outboundSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await store.endpointSecrets.hash(first.tenant.id, OUTBOUND_SECRET);
    expect(stored).toBe(hashEndpointSecret(first.outboundSecret!));
    expect(stored).not.toContain(first.outboundSecret!);
    expect(endpointSecretMatches(first.outboundSecret!, stored)).toBe(true);
    expect(endpointSecretMatches(`${first.outboundSecret!}x`, stored)).toBe(false);

    const again = await completeInstall(deps, 'salesforce', grant, account);
    expect(again.reinstall).toBe(true);
    expect(again.outboundSecret).toBeUndefined();
    expect(await store.endpointSecrets.hash(first.tenant.id, OUTBOUND_SECRET)).toBe(stored);

    const rotated = await rotateOutboundSecret(store, first.tenant.id);
    const after = await store.endpointSecrets.hash(first.tenant.id, OUTBOUND_SECRET);
    expect(endpointSecretMatches(rotated, after)).toBe(true);
    expect(endpointSecretMatches(first.outboundSecret!, after)).toBe(false);

    const hubspot = await completeInstall(deps, 'hubspot', grant, { ...account, externalId: '620001' });
    expect(hubspot.outboundSecret).toBeUndefined();
    expect(await store.endpointSecrets.hash(hubspot.tenant.id, OUTBOUND_SECRET)).toBeUndefined();

    await purgeTenant(store, first.tenant.id, 'test');
    expect(await store.endpointSecrets.hash(first.tenant.id, OUTBOUND_SECRET)).toBeUndefined();
  }, 60_000);
});
