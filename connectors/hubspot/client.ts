import type { z } from 'zod';
import { CrmApiError, isCrmAgentError } from '../../src/lib/errors.js';
import { attemptSignal, backoffCeiling, equalJitter, parseRetryAfter } from '../../src/lib/http/backoff.js';
import { sendWithRetries } from '../../src/lib/http/send-with-retries.js';
import type { ConnectorContext } from '../../src/ports/crm-connector.js';
import type { RatePolicy } from '../../src/ports/rate-limiter.js';
import { parseErrorBody } from './error-body.js';
import { describeIssues, type ErrorBody } from './schemas.js';

export type Budget = 'burst' | 'search';

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Which of the portal's budgets the call takes from: the general burst budget or the search API's own. */
  budget: Budget;
  /**
   * Whether sending it again after an unknown outcome (5xx, dropped connection) is harmless: reads, searches and
   * batch reads are; creates are not, so they are never sent twice (a 429 is always safe: HubSpot refused it).
   */
  idempotent: boolean;
  signal?: AbortSignal;
}

export interface HubSpotClientOptions {
  context: ConnectorContext;
  baseUrl: string;
  /** Keys the shared budgets: one per portal, used by every piece of work for it. */
  portalId: string;
  budgets: Record<Budget, RatePolicy>;
  /** Attempts per logical call (first try included) after errors other than throttling. Default 7. */
  maxAttempts?: number;
  /**
   * How long one call keeps retrying 429s (they were refused, so retrying is always safe): a storm of other
   * callers' traffic can last a while. Default 2 minutes of waiting.
   */
  throttleBudgetMs?: number;
  /** Per-attempt timeout in real milliseconds. Default 30 s. */
  timeoutMs?: number;
  /**
   * Token refreshes one call may do after 401s (expired tokens). A call backing off on 429s can outlive several
   * tokens, so every expiry is answered with a refresh; the bound stops a token the CRM keeps refusing. Default 5.
   */
  maxRefreshes?: number;
  /** In [0, 1): jitter source (tests pass a seeded one). */
  random?: () => number;
}

/** A HubSpot call that failed, with HubSpot's error body (its `errors[]` and `context` name what was wrong). */
export class HubSpotApiError extends CrmApiError {
  constructor(
    message: string,
    details: CrmApiError['details'],
    readonly body: ErrorBody,
  ) {
    super(message, details);
  }
}

export interface ClientStats {
  /** HTTP requests sent (retries included). */
  requests: number;
  /** Of those, answered 429. */
  throttled: number;
  retries: number;
}

/** What a 429 says: HubSpot's policy names, classified by `status === 429 && RATE_LIMIT`, then `policyName`. */
export function classifyThrottle(status: number, body: ErrorBody): 'burst' | 'search' | 'daily' | 'other' | null {
  if (status !== 429) return null;
  const rateLimit = body.errorType === 'RATE_LIMIT' || body.category === 'RATE_LIMIT';
  if (!rateLimit) return 'other';
  const policy = (body.policyName ?? '').toUpperCase();
  if (policy === 'DAILY') return 'daily';
  if (policy === 'SECONDLY' || /secondly limit/i.test(body.message ?? '')) return 'search';
  return 'burst';
}

/**
 * HubSpot's REST API over fetch: every call takes a slot of the portal's shared budget first (so every worker
 * stays under the limits together), sends the tenant's current access token, and on every 401 refreshes it (one
 * refresh in flight per tenant, at most `maxRefreshes` per call) and tries again. 429s are retried after a jittered, growing wait; 5xx and
 * dropped connections only for calls that are safe to repeat. Failures surface as CrmApiError with HubSpot's
 * category; a refused token surfaces as NeedsReauthError.
 */
export class HubSpotClient {
  private readonly random: () => number;
  /** The burst limit HubSpot last reported for this app and portal. */
  private told: RatePolicy | undefined;

  constructor(
    private readonly options: HubSpotClientOptions,
    /** Totals over every caller of this client. */
    readonly stats: ClientStats = { requests: 0, throttled: 0, retries: 0 },
    private readonly tally?: ClientStats,
  ) {
    this.random = options.random ?? Math.random;
  }

  /** The same client (same budgets, same totals) also counting its calls into `tally`: each stream's own count. */
  counting(tally: ClientStats): HubSpotClient {
    return new HubSpotClient(this.options, this.stats, tally);
  }

  async request<S extends z.ZodType>(spec: RequestSpec, schema: S): Promise<z.output<S>> {
    const raw = await this.send(spec);
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      throw new CrmApiError(
        `HubSpot sent an unexpected response to ${spec.method} ${spec.path}: ${describeIssues(parsed.error)}`,
        {
          crm: 'hubspot',
          status: 200,
          crmCode: 'MALFORMED_RESPONSE',
          retryable: false,
        },
      );
    }
    return parsed.data;
  }

  /** Sends one logical call; resolves with the parsed JSON body (undefined for 204). */
  send(spec: RequestSpec): Promise<unknown> {
    const { context } = this.options;
    const maxAttempts = this.options.maxAttempts ?? 7;
    const throttleBudgetMs = this.options.throttleBudgetMs ?? 120_000;
    const url = this.url(spec);
    let failures = 0;
    let throttles = 0;
    let throttledWaitMs = 0;
    return sendWithRetries<unknown>({
      tokens: context.tokens,
      clock: context.clock,
      maxRefreshes: this.options.maxRefreshes ?? 5,
      signal: spec.signal,
      attempt: async ({ token, canRefresh }) => {
        const lease = await context.limiter.take(
          `hubspot:${this.options.portalId}:${spec.budget}`,
          this.policy(spec.budget),
          spec.signal,
        );
        this.stats.requests++;
        if (this.tally) this.tally.requests++;
        let response: Response;
        try {
          response = await context.fetch(url, {
            method: spec.method,
            headers: {
              Authorization: `Bearer ${token}`,
              Accept: 'application/json',
              ...(spec.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
            },
            ...(spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {}),
            signal: attemptSignal(this.options.timeoutMs ?? 30_000, spec.signal),
          });
        } catch (error) {
          await lease?.settle();
          if (spec.signal?.aborted) return { kind: 'fail', error };
          // The request may or may not have reached HubSpot: only a call safe to repeat goes again.
          failures++;
          if (!spec.idempotent || failures >= maxAttempts) {
            const failure = new CrmApiError(
              `HubSpot did not answer ${spec.method} ${spec.path}: ${describe(error)}`,
              { crm: 'hubspot', status: 0, retryable: true },
              { cause: error },
            );
            return { kind: 'fail', error: failure };
          }
          return { kind: 'retry', waitMs: this.backoff(failures, 500, 16_000) };
        }
        // The answer is here, so HubSpot counted the request before now: time its slot from now.
        await lease?.settle();
        this.observe(spec.budget, response.headers);
        if (response.ok) {
          return { kind: 'done', value: response.status === 204 ? undefined : await this.json(response, spec) };
        }
        const body = parseErrorBody(await response.text().catch(() => ''));
        // Expired (401 EXPIRED_AUTHENTICATION) or revoked: renew (single flight per tenant) and send again; a call
        // that outlives several tokens while backing off renews each time. A refusal marks the tenant needs_reauth.
        if (response.status === 401 && canRefresh) return { kind: 'refresh' };
        const throttle = classifyThrottle(response.status, body);
        if (throttle !== null) {
          this.stats.throttled++;
          if (this.tally) this.tally.throttled++;
        }
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), context.clock.now());
        const throttled = throttle !== null && throttle !== 'daily';
        const retryable =
          throttled ||
          response.status === 423 ||
          response.status === 477 ||
          (spec.idempotent && response.status >= 500);
        if (!throttled) failures++;
        const exhausted = throttled ? throttledWaitMs >= throttleBudgetMs : failures >= maxAttempts;
        if (!retryable || exhausted) {
          return { kind: 'fail', error: this.failure(spec, response.status, body, retryable, retryAfterMs) };
        }
        context.logger.debug(
          { status: response.status, policy: body.policyName, path: spec.path },
          'hubspot call refused; retrying',
        );
        if (!throttled) {
          const floor = retryAfterMs ?? (response.status === 423 ? 2000 : undefined);
          return { kind: 'retry', waitMs: this.backoff(failures, 500, 16_000, floor) };
        }
        // Refused, so never executed: safe to send again whatever the method, for as long as the budget allows.
        throttles++;
        const waitMs =
          throttle === 'search'
            ? this.backoff(throttles, 1000, 4000, retryAfterMs)
            : this.backoff(throttles, 2000, 16_000, retryAfterMs);
        throttledWaitMs += waitMs;
        return { kind: 'retry', waitMs };
      },
    });
  }

  /** The budget a call takes from: the configured one, or tighter when HubSpot says the app's limit is lower. */
  private policy(budget: Budget): RatePolicy {
    const configured = this.options.budgets[budget];
    const told = budget === 'burst' ? this.told : undefined;
    if (!told) return configured;
    // The same headroom below the app's own limit as below the default one.
    const headroom = Math.max(0, 110 - configured.limit);
    return {
      limit: Math.max(1, Math.min(configured.limit, told.limit - headroom)),
      windowMs: Math.max(configured.windowMs, told.windowMs),
    };
  }

  /**
   * HubSpot sends the app's burst limit with every non-search answer (`X-HubSpot-RateLimit-Max` per
   * `-Interval-Milliseconds`): 110 for marketplace apps, 100 to 250 for private apps by tier.
   */
  private observe(budget: Budget, headers: Headers): void {
    if (budget !== 'burst') return;
    const limit = Number(headers.get('x-hubspot-ratelimit-max'));
    const windowMs = Number(headers.get('x-hubspot-ratelimit-interval-milliseconds'));
    if (Number.isInteger(limit) && limit > 0 && Number.isInteger(windowMs) && windowMs > 0)
      this.told = { limit, windowMs };
  }

  private url(spec: RequestSpec): string {
    const url = new URL(spec.path, `${this.options.baseUrl}/`);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  private async json(response: Response, spec: RequestSpec): Promise<unknown> {
    const text = await response.text();
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new CrmApiError(
        `HubSpot answered ${spec.method} ${spec.path} with a body that is not JSON`,
        {
          crm: 'hubspot',
          status: response.status,
          crmCode: 'MALFORMED_RESPONSE',
          retryable: false,
        },
        { cause: error },
      );
    }
  }

  private failure(spec: RequestSpec, status: number, body: ErrorBody, retryable: boolean, retryAfterMs?: number) {
    const code = body.category ?? body.errorType ?? body.status;
    const policy = body.policyName ? ` (${body.policyName})` : '';
    return new HubSpotApiError(
      `HubSpot answered ${spec.method} ${spec.path} with ${status}${code ? ` ${code}` : ''}${policy}: ${body.message ?? 'no message'}`,
      {
        crm: 'hubspot',
        status,
        ...(code ? { crmCode: code } : {}),
        retryable,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      },
      body,
    );
  }

  /** A retry's wait: equal jitter under min(cap, base·2^(attempt−1)), never less than Retry-After. */
  private backoff(attempt: number, baseMs: number, capMs: number, atLeastMs?: number): number {
    this.stats.retries++;
    return Math.max(equalJitter(backoffCeiling(attempt, baseMs, capMs), this.random), atLeastMs ?? 0);
  }
}

function describe(error: unknown): string {
  if (isCrmAgentError(error)) return error.message;
  const cause = (error as { cause?: { code?: string } } | null)?.cause?.code;
  return cause ?? (error instanceof Error ? error.message : String(error));
}
