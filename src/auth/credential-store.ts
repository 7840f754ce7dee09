import type { TokenSet } from '../domain/tokens.js';
import type { CredentialRepository } from '../store/repositories/credentials.js';
import type { TokenVault } from './token-vault.js';

/** Tenants' tokens, encrypted on the way into the store and decrypted on the way out. */
export class CredentialStore {
  constructor(
    private readonly repo: CredentialRepository,
    private readonly vault: TokenVault,
  ) {}

  /** The same store writing through another repository, e.g. one bound to a transaction. */
  using(repo: CredentialRepository): CredentialStore {
    return new CredentialStore(repo, this.vault);
  }

  async save(tenantId: string, tokens: TokenSet): Promise<void> {
    const existing = await this.repo.get(tenantId);
    const { dataKey, wrappedKey, keyId } = existing
      ? {
          dataKey: this.vault.unwrap(tenantId, existing.wrappedKey, existing.keyId),
          wrappedKey: existing.wrappedKey,
          keyId: existing.keyId,
        }
      : this.vault.newDataKey(tenantId);
    await this.repo.put({
      tenantId,
      kind: tokens.kind,
      accessTokenCt: this.vault.encrypt(dataKey, tenantId, 'access_token', tokens.accessToken),
      refreshTokenCt:
        tokens.refreshToken === null
          ? null
          : this.vault.encrypt(dataKey, tenantId, 'refresh_token', tokens.refreshToken),
      expiresAt: tokens.expiresAt,
      scopes: tokens.scopes.join(' '),
      wrappedKey,
      keyId,
    });
  }

  async load(tenantId: string): Promise<TokenSet | undefined> {
    const row = await this.repo.get(tenantId);
    if (!row) return undefined;
    const dataKey = this.vault.unwrap(tenantId, row.wrappedKey, row.keyId);
    return {
      kind: row.kind,
      accessToken: this.vault.decrypt(dataKey, tenantId, 'access_token', row.accessTokenCt),
      refreshToken:
        row.refreshTokenCt === null ? null : this.vault.decrypt(dataKey, tenantId, 'refresh_token', row.refreshTokenCt),
      expiresAt: row.expiresAt,
      scopes: row.scopes === '' ? [] : row.scopes.split(' '),
    };
  }

  /** Re-wraps every tenant's data key under the vault's current master key; returns how many changed. */
  async rewrapAll(): Promise<number> {
    let changed = 0;
    for (const tenantId of await this.repo.listTenantIds()) {
      const row = await this.repo.get(tenantId);
      if (!row || row.keyId === this.vault.currentKeyId) continue;
      const dataKey = this.vault.unwrap(tenantId, row.wrappedKey, row.keyId);
      const { updatedAt: _u, ...rest } = row;
      await this.repo.put({ ...rest, wrappedKey: this.vault.wrap(tenantId, dataKey), keyId: this.vault.currentKeyId });
      changed += 1;
    }
    return changed;
  }
}
