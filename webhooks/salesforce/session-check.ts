import { createHash } from 'node:crypto';
import type { Clock } from '../../src/lib/clock.js';

/** How long a session's verdict is remembered (Salesforce sends the same session id with every message of a burst). */
export const SESSION_CACHE_MS = 5 * 60_000;
/** Cache no more sessions than this; the oldest verdicts go first. */
const MAX_CACHED = 10_000;

export type SessionVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Checks the `SessionId` an outbound message carries ("Send Session ID" on) against the org it names, before any
 * work: `GET <the tenant's own instance URL>/services/oauth2/userinfo` with the session as bearer token must answer
 * the same organization id (Salesforce's OpenID Connect UserInfo endpoint:
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_using_userinfo_endpoint.htm). The instance URL is the
 * one stored at install, never the message's EnterpriseUrl/PartnerUrl, which a forger controls. Verdicts are cached
 * per session (keyed by its SHA-256, so no session id is kept) for 5 minutes; a failure to reach Salesforce throws,
 * so the caller answers 5xx and Salesforce retries.
 */
export class SalesforceSessionCheck {
  private readonly cache = new Map<string, { until: number; verdict: SessionVerdict }>();

  constructor(private readonly deps: { fetch: typeof fetch; clock: Clock; ttlMs?: number }) {}

  async verify(instanceUrl: string, organizationId: string, sessionId: string): Promise<SessionVerdict> {
    const now = this.deps.clock.now();
    const key = createHash('sha256')
      .update(`${instanceUrl}\n${organizationId.slice(0, 15)}\n${sessionId}`)
      .digest('hex');
    const cached = this.cache.get(key);
    if (cached && cached.until > now) return cached.verdict;
    const verdict = await this.ask(instanceUrl, organizationId, sessionId);
    if (this.cache.size >= MAX_CACHED) {
      for (const [k, v] of this.cache) if (v.until <= now || this.cache.size >= MAX_CACHED) this.cache.delete(k);
    }
    this.cache.set(key, { until: now + (this.deps.ttlMs ?? SESSION_CACHE_MS), verdict });
    return verdict;
  }

  private async ask(instanceUrl: string, organizationId: string, sessionId: string): Promise<SessionVerdict> {
    const response = await this.deps.fetch(`${instanceUrl.replace(/\/+$/, '')}/services/oauth2/userinfo`, {
      headers: { authorization: `Bearer ${sessionId}`, accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      return { ok: false, reason: 'SessionId is not a live session' };
    }
    if (!response.ok) throw new Error(`Salesforce userinfo answered ${response.status}`);
    const body = (await response.json()) as { organization_id?: unknown };
    const org = typeof body.organization_id === 'string' ? body.organization_id : '';
    return org.length >= 15 && org.slice(0, 15) === organizationId.slice(0, 15)
      ? { ok: true }
      : { ok: false, reason: 'SessionId belongs to another organization' };
  }
}
