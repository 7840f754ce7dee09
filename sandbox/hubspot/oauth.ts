import { createHash, randomBytes } from 'node:crypto';
import { expiredAuthentication, invalidAuthentication, oauthError } from './errors.js';

/** Who a bearer token speaks for: the portal, the app (the rate-limit budget is per portal and app), scopes. */
export interface TokenInfo {
  token: string;
  kind: 'oauth' | 'static';
  hubId: number;
  appId: number;
  userId: number;
  scopes: string[];
  /** Milliseconds since the epoch; null for static private-app tokens. */
  expiresAt: number | null;
  refreshToken: string | null;
}

interface AuthCode {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | 'plain';
  expiresAt: number;
}

interface RefreshTokenInfo {
  token: string;
  clientId: string;
  hubId: number;
  appId: number;
  userId: number;
  scopes: string[];
  revoked: boolean;
}

export interface OAuthApp {
  appId: number;
  clientId: string;
  clientSecret: string;
}

export interface TokenStoreOptions {
  hubId: number;
  userId: number;
  hubDomain: string;
  app: OAuthApp;
  /** The private app that static tokens belong to. */
  privateAppId: number;
  staticTokens: string[];
  accessTokenTtlMs: number;
  now: () => number;
}

export type TokenResponse = Record<string, unknown>;

/**
 * HubSpot's OAuth 2.0 server for one portal: authorization codes (with optional PKCE), access tokens that expire
 * (30 minutes by default), refresh tokens that do not expire but can be revoked, and static private-app tokens.
 */
export class TokenStore {
  private readonly codes = new Map<string, AuthCode>();
  private readonly access = new Map<string, TokenInfo>();
  private readonly refresh = new Map<string, RefreshTokenInfo>();
  /** Token-endpoint calls that issued tokens, per grant type (tests count refreshes). */
  readonly grants = { authorization_code: 0, refresh_token: 0 };

  constructor(private readonly options: TokenStoreOptions) {
    for (const token of options.staticTokens) {
      this.access.set(token, {
        token,
        kind: 'static',
        hubId: options.hubId,
        appId: options.privateAppId,
        userId: options.userId,
        scopes: ['*'],
        expiresAt: null,
        refreshToken: null,
      });
    }
  }

  get app(): OAuthApp {
    return this.options.app;
  }

  get hubDomain(): string {
    return this.options.hubDomain;
  }

  setAccessTokenTtl(ms: number): void {
    this.options.accessTokenTtlMs = ms;
  }

  /** The authorize page approves at once: a code bound to the client, redirect URI, scopes and PKCE challenge. */
  authorize(query: Record<string, unknown>): { redirect: string } {
    const clientId = String(query.client_id ?? '');
    const redirectUri = String(query.redirect_uri ?? '');
    if (clientId !== this.options.app.clientId) {
      throw oauthError(400, 'invalid_client', 'BAD_CLIENT_ID', 'The client_id does not belong to a known app.');
    }
    if (!URL.canParse(redirectUri)) {
      throw oauthError(400, 'invalid_request', 'BAD_REDIRECT_URI', 'redirect_uri must be an absolute URL.');
    }
    const method = query.code_challenge_method === 'plain' ? 'plain' : 'S256';
    const code = randomBytes(24).toString('hex');
    // Optional scopes are granted where the account has the feature; the sandbox portal has every one.
    const scopes = [String(query.scope ?? ''), String(query.optional_scope ?? '')]
      .join(' ')
      .split(/[\s+]+/)
      .filter(Boolean);
    this.codes.set(code, {
      clientId,
      redirectUri,
      scopes,
      codeChallenge: typeof query.code_challenge === 'string' ? query.code_challenge : null,
      codeChallengeMethod: method,
      expiresAt: this.options.now() + 10 * 60_000,
    });
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    if (typeof query.state === 'string') target.searchParams.set('state', query.state);
    return { redirect: target.toString() };
  }

  /** `POST /oauth/v1/token` and `/oauth/2026-03/token`: authorization_code or refresh_token grants. */
  token(body: Record<string, unknown>, version: 'v1' | '2026-03'): TokenResponse {
    const app = this.options.app;
    if (body.client_id !== app.clientId || body.client_secret !== app.clientSecret) {
      throw oauthError(400, 'invalid_client', 'BAD_CLIENT_ID', 'missing or unknown client_id / client_secret');
    }
    let refreshInfo: RefreshTokenInfo;
    if (body.grant_type === 'authorization_code') {
      const code = this.codes.get(String(body.code ?? ''));
      this.codes.delete(String(body.code ?? ''));
      if (!code || code.expiresAt <= this.options.now() || code.clientId !== body.client_id) {
        throw oauthError(400, 'invalid_grant', 'BAD_AUTH_CODE', 'missing or unknown auth code');
      }
      if (code.redirectUri !== body.redirect_uri) {
        throw oauthError(400, 'invalid_grant', 'BAD_REDIRECT_URI', 'redirect_uri does not match the authorize call');
      }
      if (code.codeChallenge !== null) {
        const verifier = typeof body.code_verifier === 'string' ? body.code_verifier : '';
        const derived =
          code.codeChallengeMethod === 'plain' ? verifier : createHash('sha256').update(verifier).digest('base64url');
        if (verifier === '' || derived !== code.codeChallenge) {
          throw oauthError(
            400,
            'invalid_grant',
            'BAD_CODE_VERIFIER',
            'code_verifier does not match the code_challenge',
          );
        }
      }
      refreshInfo = {
        token: `na1-${randomBytes(18)
          .toString('hex')
          .replace(/(.{4})(.{4})(.{4})/, '$1-$2-$3-')}`,
        clientId: app.clientId,
        hubId: this.options.hubId,
        appId: app.appId,
        userId: this.options.userId,
        scopes: code.scopes,
        revoked: false,
      };
      this.refresh.set(refreshInfo.token, refreshInfo);
      this.grants.authorization_code++;
    } else if (body.grant_type === 'refresh_token') {
      const found = this.refresh.get(String(body.refresh_token ?? ''));
      if (!found || found.revoked || found.clientId !== body.client_id) {
        throw oauthError(400, 'invalid_grant', 'BAD_REFRESH_TOKEN', 'missing or unknown refresh token');
      }
      refreshInfo = found;
      this.grants.refresh_token++;
    } else {
      throw oauthError(
        400,
        'unsupported_grant_type',
        'BAD_GRANT_TYPE',
        'grant_type must be authorization_code or refresh_token',
      );
    }
    const info = this.issueAccessToken(refreshInfo);
    const expiresIn = Math.round(this.options.accessTokenTtlMs / 1000);
    // `token_use` is required in both OAuth specs' AccessTokenResponse (HubSpot's Auth_Oauth-v1 and -2026-03 files).
    const response: TokenResponse = {
      token_type: 'bearer',
      token_use: 'access_token',
      access_token: info.token,
      refresh_token: refreshInfo.token,
      expires_in: expiresIn,
    };
    if (version === '2026-03') {
      response.hubId = info.hubId;
      response.userId = info.userId;
      response.scopes = info.scopes;
    }
    return response;
  }

  /** Resolves a bearer token, or throws HubSpot's 401 (unknown token; expired OAuth token). */
  authenticate(header: string | undefined): TokenInfo {
    const token = header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    const info = token === undefined ? undefined : this.access.get(token);
    if (!info) throw invalidAuthentication();
    const now = this.options.now();
    if (info.expiresAt !== null && info.expiresAt <= now) throw expiredAuthentication(info.expiresAt, now);
    if (info.refreshToken !== null && this.refresh.get(info.refreshToken)?.revoked) throw invalidAuthentication();
    return info;
  }

  /** `GET /oauth/v1/access-tokens/:token`: metadata of an OAuth access token (hub_id is the tenant key). */
  describeAccessToken(token: string): Record<string, unknown> | undefined {
    const info = this.access.get(token);
    if (info?.kind !== 'oauth') return undefined;
    const now = this.options.now();
    if (info.expiresAt !== null && info.expiresAt <= now) return undefined;
    return {
      token,
      user: `user${info.userId}@${this.options.hubDomain}`,
      hub_domain: this.options.hubDomain,
      scopes: info.scopes,
      scope_to_scope_group_pks: [],
      trial_scopes: [],
      trial_scope_to_scope_group_pks: [],
      hub_id: info.hubId,
      app_id: info.appId,
      expires_in: Math.max(0, Math.round(((info.expiresAt ?? now) - now) / 1000)),
      user_id: info.userId,
      token_type: 'access',
    };
  }

  describeRefreshToken(token: string): Record<string, unknown> | undefined {
    const info = this.refresh.get(token);
    if (!info || info.revoked) return undefined;
    return {
      token,
      user: `user${info.userId}@${this.options.hubDomain}`,
      hub_domain: this.options.hubDomain,
      scopes: info.scopes,
      hub_id: info.hubId,
      client_id: info.clientId,
      user_id: info.userId,
      token_type: 'refresh',
    };
  }

  /** Revokes a refresh token: it can no longer be exchanged, and the access tokens it issued stop working. */
  revokeRefreshToken(token: string): boolean {
    const info = this.refresh.get(token);
    if (!info || info.revoked) return false;
    info.revoked = true;
    return true;
  }

  revokeAccessToken(token: string): boolean {
    return this.access.delete(token);
  }

  /** Makes every OAuth access token expire now (plays "the sync outlived its token"). */
  expireAccessTokens(): number {
    let n = 0;
    const now = this.options.now();
    for (const info of this.access.values()) {
      if (info.kind === 'oauth' && (info.expiresAt === null || info.expiresAt > now)) {
        info.expiresAt = now;
        n++;
      }
    }
    return n;
  }

  /** Issues tokens for the portal without the browser step (tests and scripts). */
  issueForTests(scopes: string[] = []): { accessToken: string; refreshToken: string; expiresIn: number } {
    const refreshInfo: RefreshTokenInfo = {
      token: `na1-${randomBytes(16).toString('hex')}`,
      clientId: this.options.app.clientId,
      hubId: this.options.hubId,
      appId: this.options.app.appId,
      userId: this.options.userId,
      scopes,
      revoked: false,
    };
    this.refresh.set(refreshInfo.token, refreshInfo);
    const info = this.issueAccessToken(refreshInfo);
    return {
      accessToken: info.token,
      refreshToken: refreshInfo.token,
      expiresIn: Math.round(this.options.accessTokenTtlMs / 1000),
    };
  }

  private issueAccessToken(refreshInfo: RefreshTokenInfo): TokenInfo {
    const info: TokenInfo = {
      token: `C${randomBytes(96).toString('base64url')}`,
      kind: 'oauth',
      hubId: refreshInfo.hubId,
      appId: refreshInfo.appId,
      userId: refreshInfo.userId,
      scopes: refreshInfo.scopes,
      expiresAt: this.options.now() + this.options.accessTokenTtlMs,
      refreshToken: refreshInfo.token,
    };
    this.access.set(info.token, info);
    return info;
  }
}
