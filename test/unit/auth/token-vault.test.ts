import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { CredentialStore } from '../../../src/auth/credential-store.js';
import { TokenVault } from '../../../src/auth/token-vault.js';
import { openStore } from '../../../src/store/open-store.js';
import { tempDir } from '../../helpers/temp-dir.js';

const key = (n: number) => Buffer.alloc(32, n);

describe('TokenVault', () => {
  const vault = new TokenVault(key(1));

  it('round-trips a token through a tenant data key', () => {
    const { dataKey, wrappedKey, keyId } = vault.newDataKey('t1');
    const ct = vault.encrypt(dataKey, 't1', 'access_token', 'pat-na1-secret');
    expect(ct).not.toContain('pat-na1-secret');
    expect(vault.decrypt(vault.unwrap('t1', wrappedKey, keyId), 't1', 'access_token', ct)).toBe('pat-na1-secret');
  });

  it('uses a fresh nonce each time', () => {
    const { dataKey } = vault.newDataKey('t1');
    expect(vault.encrypt(dataKey, 't1', 'f', 'same')).not.toBe(vault.encrypt(dataKey, 't1', 'f', 'same'));
  });

  it('refuses ciphertext moved to another tenant or field, or tampered with', () => {
    const { dataKey, wrappedKey, keyId } = vault.newDataKey('t1');
    const ct = vault.encrypt(dataKey, 't1', 'access_token', 'x');
    expect(() => vault.decrypt(dataKey, 't2', 'access_token', ct)).toThrow(
      expect.objectContaining({ code: 'CRYPTO_ERROR' }),
    );
    expect(() => vault.decrypt(dataKey, 't1', 'refresh_token', ct)).toThrow(/does not decrypt/);
    expect(() => vault.unwrap('t2', wrappedKey, keyId)).toThrow(/does not decrypt/);
    const raw = Buffer.from(ct.slice(3), 'base64');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    expect(() => vault.decrypt(dataKey, 't1', 'access_token', `v1:${raw.toString('base64')}`)).toThrow(
      /does not decrypt/,
    );
    expect(() => new TokenVault(key(9)).unwrap('t1', wrappedKey, keyId)).toThrow(/unknown master key/);
  });
});

describe('CredentialStore', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('keeps only ciphertext in the database, and re-wraps every tenant under a new master key', async () => {
    const store = await openStore({ kind: 'sqlite', path: join(dir.path, 'c.db') });
    await store.migrate();
    const old = new CredentialStore(store.credentials, new TokenVault(key(1)));
    const tokens = {
      kind: 'oauth' as const,
      accessToken: 'AT-123',
      refreshToken: 'RT-456',
      expiresAt: '2026-12-01T00:00:00.000Z',
      scopes: ['a', 'b'],
    };
    await old.save('t1', tokens);
    await old.save('t2', { ...tokens, refreshToken: null, kind: 'static' });
    const row = await store.credentials.get('t1');
    expect(JSON.stringify(row)).not.toMatch(/AT-123|RT-456/);
    expect(await old.load('t1')).toEqual(tokens);

    const rotated = new CredentialStore(store.credentials, new TokenVault(key(2), [key(1)]));
    expect(await rotated.rewrapAll()).toBe(2);
    expect(await rotated.rewrapAll()).toBe(0);
    const onlyNew = new CredentialStore(store.credentials, new TokenVault(key(2)));
    expect(await onlyNew.load('t1')).toEqual(tokens);
    expect((await onlyNew.load('t2'))?.refreshToken).toBeNull();
    await store.close();
  });
});
