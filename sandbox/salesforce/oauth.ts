import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../../src/lib/clock.js';
import type { OrgState } from './state.js';

/** A connected app (External Client App) registered in the org. */
export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

interface Session {
  userId: string;
  lastUsed: number;
  /** Static sessions (`--token`) never time out on their own; every session dies on expireAll(). */
  timeout: boolean;
  revoked: boolean;
  refreshToken?: string;
}

interface RefreshGrant {
  userId: string;
  clientId: string;
  scope: string;
  revoked: boolean;
}

interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  scope: string;
  challenge?: string;
  expiresAt: number;
  used: boolean;
}

export interface OAuthOptions {
  clients: OAuthClient[];
  /** Idle time after which a session ends (the org's session timeout). Default 2 hours. */
  sessionTimeoutMs?: number;
  /** External Client Apps rotate refresh tokens: each refresh returns a new one and revokes the old. */
  rotateRefreshTokens?: boolean;
}

export type OAuthResult = { status: number; body: unknown; headers?: Record<string, string> };

const oauthError = (status: number, error: string, description: string): OAuthResult => ({
  status,
  body: { error, error_description: description },
});

/**
 * The org's OAuth 2.0 web-server flow: authorize (approves at once, with state and PKCE), the token endpoint
 * (authorization_code, refresh_token with optional rotation), revoke, and the identity and userinfo endpoints.
 * Access tokens are sessions that end after the session timeout or when revoked: 401 INVALID_SESSION_ID.
 */
export class OAuthServer {
  private readonly sessions = new Map<string, Session>();
  private readonly refreshGrants = new Map<string, RefreshGrant>();
  private readonly codes = new Map<string, AuthorizationCode>();
  readonly clients: Map<string, OAuthClient>;
  readonly sessionTimeoutMs: number;
  rotateRefreshTokens: boolean;
  /** Token endpoint calls by grant type, and refusals: what tests count. */
  readonly grants = { authorization_code: 0, refresh_token: 0, refused: 0 };

  constructor(
    private readonly state: OrgState,
    private readonly clock: Clock,
    private readonly apiUserId: () => string,
    private readonly urls: { login(): string; instance(): string },
    options: OAuthOptions,
  ) {
    this.clients = new Map(options.clients.map((c) => [c.clientId, c]));
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 2 * 3_600_000;
    this.rotateRefreshTokens = options.rotateRefreshTokens ?? false;
  }

  /** Registers a static access token (a pasted session) for the API user. */
  addStaticToken(token: string): void {
    this.sessions.set(token, { userId: this.apiUserId(), lastUsed: this.clock.now(), timeout: false, revoked: false });
  }

  /** The user of a live session, refreshing its idle timer; undefined for unknown, revoked or timed-out tokens. */
  authenticate(token: string | undefined): string | undefined {
    if (!token) return undefined;
    const session = this.sessions.get(token);
    if (!session || session.revoked) return undefined;
    const now = this.clock.now();
    if (session.timeout && now - session.lastUsed > this.sessionTimeoutMs) return undefined;
    session.lastUsed = now;
    return session.userId;
  }

  /** Ends every session now (an admin clearing sessions, or the timeout passing): refresh tokens still work. */
  expireAll(): number {
    let n = 0;
    for (const session of this.sessions.values()) {
      if (!session.revoked) n++;
      session.revoked = true;
    }
    return n;
  }

  authorize(query: URLSearchParams): OAuthResult {
    const clientId = query.get('client_id') ?? '';
    const redirectUri = query.get('redirect_uri') ?? '';
    if (!this.clients.has(clientId))
      return { status: 400, body: 'error=invalid_client_id&error_description=client identifier invalid' };
    if (!/^https?:\/\//.test(redirectUri))
      return {
        status: 400,
        body: 'error=redirect_uri_mismatch&error_description=redirect_uri must match configuration',
      };
    const target = new URL(redirectUri);
    const state = query.get('state');
    if (query.get('response_type') !== 'code') {
      target.searchParams.set('error', 'unsupported_response_type');
      target.searchParams.set('error_description', 'response type not supported');
    } else {
      const challenge = query.get('code_challenge') ?? undefined;
      if (challenge && (query.get('code_challenge_method') ?? 'S256') !== 'S256') {
        target.searchParams.set('error', 'invalid_request');
        target.searchParams.set('error_description', 'code_challenge_method must be S256');
      } else {
        const code = `aPrx${randomBytes(24).toString('base64url')}`;
        this.codes.set(code, {
          clientId,
          redirectUri,
          scope: query.get('scope') ?? 'api refresh_token id',
          ...(challenge ? { challenge } : {}),
          expiresAt: this.clock.now() + 15 * 60_000,
          used: false,
        });
        target.searchParams.set('code', code);
      }
    }
    if (state !== null) target.searchParams.set('state', state);
    return { status: 302, body: '', headers: { location: target.toString() } };
  }

  token(form: URLSearchParams, authorization: string | undefined): OAuthResult {
    const basic = authorization?.startsWith('Basic ')
      ? Buffer.from(authorization.slice(6), 'base64').toString().split(':')
      : undefined;
    const clientId = form.get('client_id') ?? decodeURIComponent(basic?.[0] ?? '');
    const secret = form.get('client_secret') ?? decodeURIComponent(basic?.[1] ?? '');
    const client = this.clients.get(clientId);
    const grantType = form.get('grant_type');
    const refuse = (r: OAuthResult) => {
      this.grants.refused++;
      return r;
    };
    if (!client) return refuse(oauthError(400, 'invalid_client_id', 'client identifier invalid'));
    if (secret !== client.clientSecret) return refuse(oauthError(400, 'invalid_client', 'invalid client credentials'));
    if (grantType === 'authorization_code') {
      this.grants.authorization_code++;
      const code = this.codes.get(form.get('code') ?? '');
      if (!code || code.used || code.clientId !== clientId || code.expiresAt < this.clock.now()) {
        return refuse(oauthError(400, 'invalid_grant', 'invalid authorization code'));
      }
      code.used = true;
      if (code.redirectUri !== form.get('redirect_uri'))
        return refuse(oauthError(400, 'redirect_uri_mismatch', 'redirect_uri must match configuration'));
      if (code.challenge) {
        const verifier = form.get('code_verifier') ?? '';
        if (createHash('sha256').update(verifier).digest('base64url') !== code.challenge) {
          return refuse(oauthError(400, 'invalid_grant', 'invalid code verifier'));
        }
      }
      const offline = /\b(refresh_token|offline_access|full)\b/.test(code.scope);
      let refreshToken: string | undefined;
      if (offline) {
        refreshToken = this.newRefreshToken();
        this.refreshGrants.set(refreshToken, { userId: this.apiUserId(), clientId, scope: code.scope, revoked: false });
      }
      return { status: 200, body: this.tokenResponse(client, code.scope, refreshToken, true) };
    }
    if (grantType === 'refresh_token') {
      this.grants.refresh_token++;
      const token = form.get('refresh_token') ?? '';
      const grant = this.refreshGrants.get(token);
      if (!grant || grant.revoked || grant.clientId !== clientId) {
        return refuse(oauthError(400, 'invalid_grant', 'expired access/refresh token'));
      }
      let rotated: string | undefined;
      if (this.rotateRefreshTokens) {
        grant.revoked = true;
        rotated = this.newRefreshToken();
        this.refreshGrants.set(rotated, { ...grant, revoked: false });
      }
      return { status: 200, body: this.tokenResponse(client, grant.scope, rotated ?? token, rotated !== undefined) };
    }
    return refuse(oauthError(400, 'unsupported_grant_type', 'grant type not supported'));
  }

  private newRefreshToken(): string {
    return `5Aep861${randomBytes(48).toString('base64url')}`;
  }

  private tokenResponse(client: OAuthClient, scope: string, refreshToken: string | undefined, includeRefresh: boolean) {
    const userId = this.apiUserId();
    const accessToken = `${this.state.orgId.slice(0, 15)}!${randomBytes(60).toString('base64url')}`;
    this.sessions.set(accessToken, {
      userId,
      lastUsed: this.clock.now(),
      timeout: true,
      revoked: false,
      ...(refreshToken ? { refreshToken } : {}),
    });
    const id = this.identityUrl(userId);
    const issuedAt = String(this.clock.now());
    return {
      access_token: accessToken,
      ...(includeRefresh && refreshToken ? { refresh_token: refreshToken } : {}),
      signature: createHmac('sha256', client.clientSecret)
        .update(id + issuedAt)
        .digest('base64'),
      scope,
      instance_url: this.urls.instance(),
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
    };
  }

  revoke(token: string | null): OAuthResult {
    if (!token) return oauthError(400, 'unsupported_token_type', 'this token type is not supported');
    const grant = this.refreshGrants.get(token);
    if (grant) {
      grant.revoked = true;
      for (const session of this.sessions.values()) if (session.refreshToken === token) session.revoked = true;
      return { status: 200, body: '' };
    }
    const session = this.sessions.get(token);
    if (session) {
      session.revoked = true;
      return { status: 200, body: '' };
    }
    return oauthError(400, 'invalid_token', 'invalid token');
  }

  identityUrl(userId: string): string {
    return `${this.urls.login()}/id/${this.state.orgId}/${userId}`;
  }

  /** GET {login}/id/{orgId}/{userId}: who the token belongs to, and where the org's APIs are. */
  identity(userId: string, version: string): Record<string, unknown> {
    const user = this.state.get('User', userId)!;
    const instance = this.urls.instance();
    const urls = (kind: string) => `${instance}/services/data/v${version}/${kind}`;
    return {
      id: this.identityUrl(userId),
      asserted_user: true,
      user_id: userId,
      organization_id: this.state.orgId,
      username: user.Username,
      nick_name: String(user.Alias),
      display_name: user.Name,
      email: user.Email,
      email_verified: true,
      first_name: user.FirstName,
      last_name: user.LastName,
      timezone: 'GMT',
      active: user.IsActive,
      user_type: 'STANDARD',
      language: 'en_US',
      locale: 'en_US',
      utcOffset: 0,
      last_modified_date: new Date(user.LastModifiedDate as number).toISOString().replace('Z', '+0000'),
      is_app_installed: true,
      urls: {
        enterprise: `${instance}/services/Soap/c/${version}/${this.state.orgId}`,
        metadata: `${instance}/services/Soap/m/${version}/${this.state.orgId}`,
        partner: `${instance}/services/Soap/u/${version}/${this.state.orgId}`,
        rest: `${instance}/services/data/v${version}/`,
        sobjects: urls('sobjects/'),
        search: urls('search/'),
        query: urls('query/'),
        recent: urls('recent/'),
        tooling_soap: `${instance}/services/Soap/T/${version}/${this.state.orgId}`,
        tooling_rest: urls('tooling/'),
        profile: `${instance}/${userId}`,
        feeds: urls('chatter/feeds'),
        groups: urls('chatter/groups'),
        users: urls('chatter/users'),
        feed_items: urls('chatter/feed-items'),
        feed_elements: urls('chatter/feed-elements'),
        custom_domain: instance,
      },
    };
  }

  /** GET /services/oauth2/userinfo: the OpenID Connect view of the same user. */
  userinfo(userId: string, version: string): Record<string, unknown> {
    const identity = this.identity(userId, version);
    return {
      sub: identity.id,
      user_id: userId,
      organization_id: this.state.orgId,
      preferred_username: identity.username,
      nickname: identity.nick_name,
      name: identity.display_name,
      email: identity.email,
      email_verified: true,
      given_name: identity.first_name,
      family_name: identity.last_name,
      zoneinfo: 'GMT',
      profile: `${this.urls.instance()}/${userId}`,
      locale: 'en_US',
      // The org user's language and offset from UTC in milliseconds, as userinfo carries them (REST API Developer
      // Guide / Salesforce Help "UserInfo Endpoint" response example).
      language: 'en_US',
      utcOffset: 0,
      user_type: 'STANDARD',
      active: true,
      urls: identity.urls,
      updated_at: identity.last_modified_date,
    };
  }
}
