import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { classifyThrottle, HubSpotClient, type RequestSpec } from '../../../connectors/hubspot/client.js';
import { LocalRateLimiter } from '../../../src/budget/local-rate-limiter.js';
import type { Tenant } from '../../../src/domain/tenant.js';
import { CrmApiError, NeedsReauthError } from '../../../src/lib/errors.js';
import { createLogger } from '../../../src/lib/logger.js';
import type { RateLimiter, RatePolicy } from '../../../src/ports/rate-limiter.js';
import { FixedClock } from '../../helpers/fixed-clock.js';

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'drop';

/** A client against a scripted HubSpot: answers in turn, records every request, budget takes and sleeps. */
function scripted(answers: Answer[], options: { refresh?: () => Promise<string> } = {}) {
  const clock = new FixedClock();
  const sleeps: number[] = [];
  const sleep = clock.sleep.bind(clock);
  clock.sleep = async (ms: number, signal?: AbortSignal) => {
    sleeps.push(ms);
    await sleep(ms, signal);
  };
  const sent: Array<{ method: string; url: string; authorization: string }> = [];
  const taken: string[] = [];
  const local = new LocalRateLimiter(clock);
  const limiter: RateLimiter = {
    take: (key: string, policy: RatePolicy, signal?: AbortSignal) => {
      taken.push(key);
      return local.take(key, policy, signal);
    },
  };
  let token = 'token-1';
  let refreshes = 0;
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    sent.push({
      method: String(init?.method),
      url: String(input),
      authorization: String((init?.headers as Record<string, string> | undefined)?.Authorization),
    });
    const answer = answers.shift() ?? { status: 200, body: {} };
    if (answer === 'drop') throw new TypeError('fetch failed');
    return new Response(answer.status === 204 ? null : JSON.stringify(answer.body ?? {}), {
      status: answer.status,
      headers: { 'Content-Type': 'application/json', ...answer.headers },
    });
  }) as typeof fetch;
  const client = new HubSpotClient({
    context: {
      tenant: { id: 't1', externalId: '42' } as Tenant,
      tokens: {
        accessToken: async () => token,
        refreshAfterRejection: async () => {
          refreshes++;
          token = options.refresh ? await options.refresh() : `token-${refreshes + 1}`;
          return token;
        },
      },
      limiter,
      fetch: fetchImpl,
      clock,
      logger: createLogger({ level: 'silent', format: 'json' }),
      settings: {},
    },
    baseUrl: 'https://api.hubapi.test',
    portalId: '42',
    budgets: { burst: { limit: 105, windowMs: 10_000 }, search: { limit: 5, windowMs: 1100 } },
    random: () => 0.5,
  });
  return { client, sent, taken, sleeps, refreshes: () => refreshes };
}

const read: RequestSpec = { method: 'GET', path: '/crm/v3/objects/contacts', budget: 'burst', idempotent: true };
const create: RequestSpec = {
  method: 'POST',
  path: '/crm/v3/objects/tasks',
  body: {},
  budget: 'burst',
  idempotent: false,
};
const any = z.unknown();
const tenSecondly = {
  status: 429,
  body: {
    status: 'error',
    errorType: 'RATE_LIMIT',
    policyName: 'TEN_SECONDLY_ROLLING',
    message: 'You have reached your ten_secondly_rolling limit.',
  },
};

describe('HubSpot HTTP client', () => {
  it('classifies 429s by status and RATE_LIMIT, then policyName (old and new bodies alike)', () => {
    expect(classifyThrottle(429, { errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' })).toBe('burst');
    expect(classifyThrottle(429, { errorType: 'RATE_LIMIT', policyName: 'SECONDLY' })).toBe('search');
    expect(classifyThrottle(429, { category: 'RATE_LIMIT', message: 'You have reached your secondly limit.' })).toBe(
      'search',
    );
    expect(classifyThrottle(429, { errorType: 'RATE_LIMIT', policyName: 'DAILY' })).toBe('daily');
    expect(classifyThrottle(429, { message: 'slow down' })).toBe('other');
    expect(classifyThrottle(400, { errorType: 'RATE_LIMIT' })).toBeNull();
  });

  it('takes each attempt from the portal budget the call belongs to (burst or search)', async () => {
    const { client, taken } = scripted([tenSecondly]);
    await client.request(read, any);
    await client.request(
      { method: 'POST', path: '/crm/v3/objects/contacts/search', body: {}, budget: 'search', idempotent: true },
      any,
    );
    expect(taken).toEqual(['hubspot:42:burst', 'hubspot:42:burst', 'hubspot:42:search']);
    expect(client.stats).toMatchObject({ requests: 3, throttled: 1 });
  });

  it('retries a 429 after growing, jittered waits, for a create too (HubSpot refused it, so it never ran)', async () => {
    const { client, sent, sleeps } = scripted([
      tenSecondly,
      tenSecondly,
      tenSecondly,
      { status: 201, body: { id: '1' } },
    ]);
    expect(await client.request(create, any)).toEqual({ id: '1' });
    expect(sent).toHaveLength(4);
    // Equal jitter with random 0.5: 3/4 of 2 s, 4 s, 8 s.
    expect(sleeps).toEqual([1500, 3000, 6000]);
  });

  it('never sends a create twice when the outcome is unknown (5xx, dropped connection); retries reads', async () => {
    const failed = scripted([{ status: 502, body: { message: 'timeout' } }]);
    await expect(failed.client.request(create, any)).rejects.toMatchObject({ details: { status: 502 } });
    expect(failed.sent).toHaveLength(1);
    const dropped = scripted(['drop']);
    await expect(dropped.client.request(create, any)).rejects.toBeInstanceOf(CrmApiError);
    expect(dropped.sent).toHaveLength(1);
    const reads = scripted([{ status: 503 }, 'drop', { status: 200, body: { results: [] } }]);
    expect(await reads.client.request(read, any)).toEqual({ results: [] });
    expect(reads.sent).toHaveLength(3);
  });

  it('honours Retry-After and gives up on a daily limit at once', async () => {
    const locked = scripted([
      { status: 477, headers: { 'Retry-After': '30' } },
      { status: 200, body: {} },
    ]);
    await locked.client.request(create, any);
    expect(locked.sleeps[0]).toBe(30_000);
    const daily = scripted([
      {
        status: 429,
        body: { errorType: 'RATE_LIMIT', policyName: 'DAILY', message: 'You have reached your daily limit.' },
      },
    ]);
    await expect(daily.client.request(read, any)).rejects.toMatchObject({ details: { status: 429, retryable: false } });
    expect(daily.sent).toHaveLength(1);
  });

  it('gives up on a storm after its time budget, with the 429 in the error', async () => {
    const { client, sleeps } = scripted(Array.from({ length: 40 }, () => tenSecondly));
    await expect(client.request(read, any)).rejects.toThrow(/429 RATE_LIMIT \(TEN_SECONDLY_ROLLING\)/);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(120_000);
  });

  it('on a 401 refreshes the token once and sends again with the new one; a refusal surfaces as is', async () => {
    const expired = {
      status: 401,
      body: {
        status: 'error',
        category: 'EXPIRED_AUTHENTICATION',
        message: 'The OAuth token used to make this call expired 1 minute(s) ago.',
      },
    };
    const renewed = scripted([expired, { status: 200, body: { ok: true } }]);
    expect(await renewed.client.request(read, any)).toEqual({ ok: true });
    expect(renewed.sent.map((s) => s.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(renewed.refreshes()).toBe(1);
    const endless = scripted(Array.from({ length: 7 }, () => expired));
    await expect(endless.client.request(read, any)).rejects.toMatchObject({
      details: { status: 401, crmCode: 'EXPIRED_AUTHENTICATION' },
    });
    expect(endless.refreshes()).toBe(5);
    expect(endless.sent).toHaveLength(6);
    const refused = scripted([expired], {
      refresh: async () => {
        throw new NeedsReauthError('t1', 'HubSpot refused the refresh token');
      },
    });
    await expect(refused.client.request(read, any)).rejects.toBeInstanceOf(NeedsReauthError);
  });

  it('a call backing off on 429s that outlives several tokens refreshes on every expiry and succeeds', async () => {
    const expired = { status: 401, body: { status: 'error', category: 'EXPIRED_AUTHENTICATION', message: 'expired' } };
    const { client, sent, refreshes } = scripted([
      expired,
      tenSecondly,
      tenSecondly,
      expired,
      tenSecondly,
      expired,
      { status: 200, body: { ok: true } },
    ]);
    expect(await client.request(read, any)).toEqual({ ok: true });
    expect(refreshes()).toBe(3);
    expect(sent.map((s) => s.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-2',
      'Bearer token-2',
      'Bearer token-2',
      'Bearer token-3',
      'Bearer token-3',
      'Bearer token-4',
    ]);
  });

  it('reports an answer that does not fit the expected shape, naming what is wrong', async () => {
    const { client } = scripted([{ status: 200, body: { results: 'nope' } }]);
    await expect(client.request(read, z.object({ results: z.array(z.unknown()) }))).rejects.toThrow(
      /unexpected response to GET \/crm\/v3\/objects\/contacts: results:/,
    );
  });
});
