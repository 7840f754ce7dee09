import type { TokenGrant, TokenSet } from '../domain/tokens.js';
import type { Clock } from '../lib/clock.js';
import { NeedsReauthError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Store } from '../store/open-store.js';
import type { CredentialStore } from './credential-store.js';

/** What connectors get instead of tokens: a valid access token on demand. */
export interface TokenProvider {
  /** A valid access token, refreshed ahead of its expiry. */
  accessToken(): Promise<string>;
  /**
   * The CRM answered 401 to `rejected`: refresh once (one refresh in flight per tenant, across processes) and
   * return the new token; if another caller already refreshed, return that token without a second refresh.
   * Throws NeedsReauthError (and marks the tenant) when the tokens cannot be renewed.
   */
  refreshAfterRejection(rejected: string): Promise<string>;
}

export interface TenantTokenProviderOptions {
  tenantId: string;
  store: Store;
  credentials: CredentialStore;
  /** Trades a refresh token for new tokens; throws NeedsReauthError when the CRM refuses it. */
  refresh?: (refreshToken: string) => Promise<TokenGrant>;
  clock: Clock;
  logger: Logger;
  /** Refresh this long before expiry (HubSpot tokens live 30 min; refresh at 25). Default 5 minutes. */
  leewayMs?: number;
}

export class TenantTokenProvider implements TokenProvider {
  private current: TokenSet | undefined;
  private inflight: Promise<TokenSet> | undefined;
  /** How long the last token this provider obtained lives (from the grant's expires_in), when known. */
  private lifetimeMs: number | undefined;

  constructor(private readonly options: TenantTokenProviderOptions) {}

  async accessToken(): Promise<string> {
    const tokens = this.current ?? (await this.load());
    return this.expiresSoon(tokens) ? (await this.refreshOnce(tokens.accessToken)).accessToken : tokens.accessToken;
  }

  async refreshAfterRejection(rejected: string): Promise<string> {
    const tokens = this.current ?? (await this.load());
    if (tokens.accessToken !== rejected) return tokens.accessToken;
    return (await this.refreshOnce(rejected)).accessToken;
  }

  private async load(): Promise<TokenSet> {
    const tokens = await this.options.credentials.load(this.options.tenantId);
    if (!tokens) throw await this.needsReauth('no credentials stored');
    this.current = tokens;
    return tokens;
  }

  private expiresSoon(tokens: TokenSet): boolean {
    if (tokens.kind !== 'oauth' || tokens.expiresAt === null) return false;
    // Never more than half a token's lifetime ahead: a short-lived token is still used before it is renewed.
    const leeway = Math.min(this.options.leewayMs ?? 5 * 60_000, (this.lifetimeMs ?? Number.POSITIVE_INFINITY) / 2);
    return Date.parse(tokens.expiresAt) - leeway <= this.options.clock.now();
  }

  private refreshOnce(stale: string): Promise<TokenSet> {
    this.inflight ??= this.options.store
      .withLock(`token-refresh:${this.options.tenantId}`, () => this.refreshLocked(stale))
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  private async refreshLocked(stale: string): Promise<TokenSet> {
    const { tenantId, credentials, refresh, clock, logger } = this.options;
    // Another process may have refreshed while this one waited for the lock.
    const stored = await this.load();
    if (stored.accessToken !== stale && !this.expiresSoon(stored)) return stored;
    if (stored.refreshToken === null || refresh === undefined) {
      throw await this.needsReauth(stored.kind === 'static' ? 'the CRM rejected the token' : 'no refresh token');
    }
    let grant: TokenGrant;
    try {
      grant = await refresh(stored.refreshToken);
    } catch (error) {
      if (error instanceof NeedsReauthError) throw await this.needsReauth(error.message, error);
      throw error;
    }
    const next: TokenSet = {
      kind: 'oauth',
      accessToken: grant.accessToken,
      // Rotation: a new refresh token replaces the old one at once (the old one may already be dead).
      refreshToken: grant.refreshToken ?? stored.refreshToken,
      expiresAt:
        grant.expiresInSeconds === undefined
          ? null
          : new Date(clock.now() + grant.expiresInSeconds * 1000).toISOString(),
      scopes: grant.scopes ?? stored.scopes,
    };
    await credentials.save(tenantId, next);
    this.lifetimeMs = grant.expiresInSeconds === undefined ? undefined : grant.expiresInSeconds * 1000;
    if (grant.instanceUrl) await this.options.store.tenants.setApiBaseUrl(tenantId, grant.instanceUrl);
    logger.info(
      { tenantId, rotated: grant.refreshToken !== undefined, expiresAt: next.expiresAt },
      'access token refreshed',
    );
    this.current = next;
    return next;
  }

  private async needsReauth(reason: string, cause?: unknown): Promise<NeedsReauthError> {
    const { tenantId, store, logger } = this.options;
    await store.tenants.setStatus(tenantId, 'needs_reauth');
    await store.audit.append({ tenantId, actor: 'system', action: 'token.refresh_failed', detail: { reason } });
    logger.warn({ tenantId, reason }, 'tenant needs re-authorisation');
    return cause instanceof NeedsReauthError ? cause : new NeedsReauthError(tenantId, reason, { cause });
  }
}
