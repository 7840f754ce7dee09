import { afterEach, describe, expect, it } from '@jest/globals';
import { Rng } from '../../sandbox/world/rng.js';
import type { Tenant } from '../../src/domain/tenant.js';
import { connectWithToken } from '../../src/install/connect-with-token.js';
import { BudgetExhaustedError, NeedsReauthError } from '../../src/lib/errors.js';
import type { Runtime } from '../../src/main.js';
import { runSync, type SyncSummary } from '../../src/sync/run-sync.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { connectWithOAuth, salesforceRuntime, startSandbox } from '../helpers/salesforce.js';
import { differencesFromSandbox } from '../helpers/salesforce-oracle.js';
import { tempDir } from '../helpers/temp-dir.js';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
const TOKEN = 'sandbox-salesforce-token';
/** Small pages and a low Bulk threshold: many checkpoints, and contacts read through a Bulk API job. */
const SETTINGS = { salesforce: { batchSize: 200, bulkThreshold: 1500, bulkPageSize: 1000 } };

/** One org, one local store, a shared virtual clock; each run is a fresh runtime, as a new process would be. */
class Harness {
  readonly clock = new FixedClock(Date.parse('2026-11-24T09:00:00.000Z'));
  readonly dir = tempDir();
  sandbox!: Sandbox;
  tenant!: Tenant;
  private runtimes: Runtime[] = [];

  async start(
    options: Parameters<typeof startSandbox>[0] = {},
    settings: Record<string, unknown> = SETTINGS,
  ): Promise<this> {
    this.sandbox = await startSandbox({
      clock: this.clock,
      seed: 31,
      accounts: 300,
      contacts: 3000,
      opportunities: 600,
      ...options,
    });
    const runtime = await this.runtime();
    this.tenant = await connectWithToken(runtime, {
      crm: 'salesforce',
      token: TOKEN,
      apiBaseUrl: this.sandbox.baseUrl,
    });
    await runtime.store.tenants.updateSettings(this.tenant.id, settings);
    this.tenant = (await runtime.store.tenants.get(this.tenant.id))!;
    return this;
  }

  async runtime(fetchImpl?: typeof fetch): Promise<Runtime> {
    const runtime = await salesforceRuntime(this.dir.path, this.sandbox, {
      clock: this.clock,
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    });
    this.runtimes.push(runtime);
    return runtime;
  }

  async sync(
    mode: 'full' | 'incremental',
    options: { fetch?: typeof fetch; onPage?: (page: number) => void; streamConcurrency?: number } = {},
  ): Promise<SyncSummary> {
    const runtime = await this.runtime(options.fetch);
    const tenant = (await runtime.store.tenants.get(this.tenant.id))!;
    let pages = 0;
    try {
      return await runSync(runtime, {
        tenantId: tenant.id,
        connector: runtime.connectorFor(tenant),
        mode,
        trigger: 'test',
        ...(options.streamConcurrency ? { streamConcurrency: options.streamConcurrency } : {}),
        onPage: () => {
          pages += 1;
          this.clock.advance(1000);
          options.onPage?.(pages);
        },
      });
    } finally {
      await runtime.close();
    }
  }

  /** Lets a minute pass (getDeleted covers whole minutes) and syncs once more, then compares with the org. */
  async settledDifferences(): Promise<string[]> {
    this.clock.advance(120_000);
    const summary = await this.sync('incremental');
    expect(summary.status).toBe('succeeded');
    const runtime = await this.runtime();
    try {
      return await differencesFromSandbox(runtime.store, this.tenant.id, this.sandbox);
    } finally {
      await runtime.close();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.runtimes.map((r) => r.close().catch(() => undefined)));
    await this.sandbox?.close();
    this.dir.remove();
  }
}

/** A fetch that works until its `n`-th call and fails from then on, as if the process had died there. */
function dyingFetch(n: number): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    fetch: (async (input: string | URL | Request, init?: RequestInit) => {
      calls += 1;
      if (calls >= n) throw new TypeError('fetch failed: the process died');
      return globalThis.fetch(input, init);
    }) as typeof fetch,
  };
}

describe('Salesforce sync resilience', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('killed at random requests and resumed, it loses nothing and does not start over', async () => {
    h = await new Harness().start();
    const rng = new Rng(7);
    const churn = (round: number) => {
      h.sandbox.control.edit({ object: 'Contact', count: 30, seed: round });
      h.sandbox.control.massUpdate({ object: 'Contact', count: 400, seed: round });
      h.sandbox.control.remove({ object: 'Opportunity', count: 3, seed: round });
      h.sandbox.control.edit({ object: 'Opportunity', count: 10, seed: round });
    };
    const clean = await new Harness().start();
    const reference = await clean.sync('full');
    await clean.close();

    let failures = 0;
    let requests = 0;
    for (let round = 0; round < 8; round++) {
      const dying = dyingFetch(rng.int(2, Math.max(3, reference.requests)));
      const run = h.sync(round === 0 ? 'full' : 'incremental', {
        fetch: dying.fetch,
        onPage: (p) => p === 2 && churn(round),
      });
      const outcome = await run.then(
        () => 'ok',
        () => 'killed',
      );
      if (outcome === 'killed') failures += 1;
      requests += dying.calls();
    }
    expect(failures).toBeGreaterThanOrEqual(6);
    // Resuming from checkpoints, eight interrupted runs cost a few clean syncs' worth of requests, not eight.
    expect(requests).toBeLessThan(reference.requests * 5);
    expect((await h.settledDifferences()).slice(0, 10)).toEqual([]);
  });

  it('resumes a Bulk API read from its checkpointed job and results locator', async () => {
    h = await new Harness().start();
    const seen: string[] = [];
    h.sandbox.events.on('request', (e: { method: string; path: string }) => {
      if (e.path.includes('/jobs/query')) seen.push(`${e.method} ${e.path.replace(/750\w+/, 'JOB')}`);
    });
    let results = 0;
    const dieAfterFirstResults = (async (input: string | URL | Request, init?: RequestInit) => {
      if (results >= 1) throw new TypeError('fetch failed: the process died');
      const response = await globalThis.fetch(input, init);
      if (String(input).includes('/results')) results += 1;
      return response;
    }) as typeof fetch;
    await expect(h.sync('full', { fetch: dieAfterFirstResults })).rejects.toThrow('could not be reached');
    const before = seen.length;
    const resumed = await h.sync('full');
    expect(resumed.status).toBe('succeeded');
    // The resumed run reads the same job's next results page: no new query job first.
    expect(seen[before]).toBe('GET /services/data/v62.0/jobs/query/JOB/results');
    expect((await h.settledDifferences()).slice(0, 10)).toEqual([]);
  });

  it('finds rows committed late into the watermark second or the overlap before it', async () => {
    h = await new Harness().start({}, { salesforce: { batchSize: 200, bulkThreshold: 1_000_000 } });
    await h.sync('full');
    const contacts = h.sandbox.control.records('Contact');
    const byId = [...contacts].sort((a, b) => (String(a.Id) < String(b.Id) ? -1 : 1));
    const [last] = h.sandbox.control.edit({
      object: 'Contact',
      ids: [String(byId.at(-1)!.Id)],
      fields: { Title: 'First edit' },
    });
    const stamp = h.sandbox.state.get('Contact', last!)!.SystemModstamp as number;
    await h.sync('incremental');
    // Two transactions that began before that sync read and committed after it: one in the watermark's own second with a
    // lower Id, one a minute earlier (SystemModstamp is when a transaction began, not when it committed).
    const late = (id: unknown, at: number, title: string) =>
      h.sandbox.state.patch('Contact', String(id), { Title: title, SystemModstamp: at, LastModifiedDate: at });
    late(byId[0]!.Id, stamp, 'Committed late, same second');
    late(byId[1]!.Id, stamp - 60_000, 'Committed late, a minute before');
    await h.sync('incremental');
    const runtime = await h.runtime();
    expect((await runtime.store.records.get(h.tenant.id, 'contact', String(byId[0]!.Id)))?.jobTitle).toBe(
      'Committed late, same second',
    );
    expect((await runtime.store.records.get(h.tenant.id, 'contact', String(byId[1]!.Id)))?.jobTitle).toBe(
      'Committed late, a minute before',
    );
  });

  it('runs one query chain at a time, and restarts from its keyset when Salesforce drops the cursor', async () => {
    h = await new Harness().start({}, { salesforce: { batchSize: 200, bulkThreshold: 1_000_000 } });
    let maxOpen = 0;
    h.sandbox.events.on('request', () => {
      maxOpen = Math.max(maxOpen, h.sandbox.context.cursors.openCount(h.sandbox.ids.apiUserId));
    });
    const first = await h.sync('full');
    expect(first.status).toBe('succeeded');
    expect(maxOpen).toBe(1);

    // Another integration of the same user opens ten cursors mid-chain: the connector's cursor is invalidated.
    const crowd = async () => {
      for (let i = 0; i < 10; i++) {
        await fetch(
          `${h.sandbox.baseUrl}/services/data/v62.0/query?q=${encodeURIComponent('SELECT Id FROM Contact')}`,
          {
            headers: { authorization: `Bearer ${TOKEN}`, 'sforce-query-options': 'batchSize=200' },
          },
        );
      }
    };
    let crowded: Promise<void> | undefined;
    h.sandbox.control.massUpdate({ object: 'Contact', count: 1500, seed: 3 });
    const evictedBefore = h.sandbox.context.cursors.evicted;
    const second = await h.sync('full', {
      onPage: (page) => {
        if (page === 8) crowded = crowd();
      },
    });
    await crowded;
    expect(second.status).toBe('succeeded');
    expect(h.sandbox.context.cursors.evicted).toBeGreaterThan(evictedBefore);
    expect((await h.settledDifferences()).slice(0, 10)).toEqual([]);
  });

  it('stops cleanly at its share of the daily allocation, says so, and picks up from the checkpoint a day later', async () => {
    h = await new Harness().start({ dailyLimit: 400 });
    const before = h.sandbox.stats.apiCalls;
    const error = await h.sync('full').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExhaustedError);
    expect((error as Error).message).toMatch(/its 10 % share \(40\) of the org's daily allocation of 400/);
    expect(h.sandbox.stats.apiCalls - before).toBe(40);
    const runtime = await h.runtime();
    const [run] = await runtime.store.runs.list(h.tenant.id);
    expect(run).toMatchObject({ status: 'failed', error: expect.stringContaining('share') });
    const progress = async () => {
      let n = 0;
      for (const type of ['owner', 'product', 'company', 'contact', 'deal', 'line_item'] as const) {
        n += await runtime.store.records.count(h.tenant.id, type);
      }
      n += (await runtime.store.records.listAssociations(h.tenant.id, 'deal', 'contact')).length;
      return n + (await runtime.store.records.listStageHistory(h.tenant.id)).length;
    };
    const synced = await progress();
    expect(synced).toBeGreaterThan(0);

    // Again at once: not one more request, the same clean stop.
    const again = await h.sync('incremental').catch((e: unknown) => e);
    expect(again).toBeInstanceOf(BudgetExhaustedError);
    expect(h.sandbox.stats.apiCalls - before).toBe(40);

    h.clock.advance(24 * 3_600_000 + 10 * 60_000);
    await h.sync('incremental').catch((e: unknown) => e);
    expect(h.sandbox.stats.apiCalls - before).toBe(80);
    expect(await progress()).toBeGreaterThan(synced);
    expect(h.sandbox.context.limits.refused).toBe(0);
  });

  it('stops at once, without retrying, when the whole org is out of requests (403 REQUEST_LIMIT_EXCEEDED)', async () => {
    h = await new Harness().start({ dailyLimit: 2000 });
    h.sandbox.control.useApi(2000 - h.sandbox.context.limits.used());
    const error = await h.sync('full').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExhaustedError);
    expect((error as Error).message).toContain('REQUEST_LIMIT_EXCEEDED');
    expect(h.sandbox.context.limits.refused).toBe(1);
  });

  it('refreshes an expired session once, keeps the rotated refresh token, and follows the org to a new instance', async () => {
    h = await new Harness().start({ rotateRefreshTokens: true });
    const runtime = await h.runtime();
    h.tenant = await connectWithOAuth(runtime, h.sandbox, SETTINGS);
    const initial = (await runtime.credentials().load(h.tenant.id))!.refreshToken;
    const moved = h.sandbox.baseUrl.replace('127.0.0.1', 'localhost');
    const summary = await h.sync('full', {
      onPage: (page) => {
        if (page === 3) h.sandbox.control.expireSessions();
        if (page === 9) h.sandbox.control.moveInstance(moved);
      },
    });
    expect(summary.status).toBe('succeeded');
    expect(h.sandbox.context.oauth.grants.refresh_token).toBe(2);
    const stored = (await runtime.credentials().load(h.tenant.id))!;
    expect(stored.refreshToken).not.toBe(initial);
    expect((await runtime.store.tenants.get(h.tenant.id))!.apiBaseUrl).toBe(moved);
    expect((await h.settledDifferences()).slice(0, 10)).toEqual([]);
    expect(h.sandbox.context.oauth.grants.refused).toBe(0);
  });

  it('a request retrying through busy answers that outlives several sessions refreshes on every expiry', async () => {
    // Sessions end after 0.1 s idle (orgs set 15 min to 24 h) and the org answers some reads 503 twice in a row:
    // each backoff outlives the session, so one request sees 401 INVALID_SESSION_ID several times.
    h = await new Harness().start({ sessionTimeoutMs: 100, contacts: 1000, accounts: 100, opportunities: 200 });
    const runtime = await h.runtime();
    h.tenant = await connectWithOAuth(runtime, h.sandbox, SETTINGS);
    let reads = 0;
    let busy = 0;
    const flaky = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input));
      if ((init?.method ?? 'GET') === 'GET' && url.pathname.startsWith('/services/data/')) {
        reads += 1;
        if (reads % 9 === 3 || reads % 9 === 5) {
          busy += 1;
          const body = JSON.stringify([{ message: 'Server busy', errorCode: 'SERVER_UNAVAILABLE' }]);
          return new Response(body, { status: 503, headers: { 'content-type': 'application/json' } });
        }
      }
      return globalThis.fetch(input, init);
    }) as typeof fetch;
    const summary = await h.sync('full', { fetch: flaky });
    expect(summary.status).toBe('succeeded');
    expect(busy).toBeGreaterThan(10);
    expect(h.sandbox.context.oauth.grants.refresh_token).toBeGreaterThan(busy / 2);
    expect((await h.settledDifferences()).slice(0, 10)).toEqual([]);
  }, 120_000);

  it('with three streams at once, still one query chain open and one refresh for an expired session', async () => {
    h = await new Harness().start({ rotateRefreshTokens: true });
    const runtime = await h.runtime();
    h.tenant = await connectWithOAuth(runtime, h.sandbox, SETTINGS);
    let maxOpen = 0;
    h.sandbox.events.on('request', () => {
      maxOpen = Math.max(maxOpen, h.sandbox.context.cursors.openCount(h.sandbox.ids.apiUserId));
    });
    const summary = await h.sync('full', {
      streamConcurrency: 3,
      onPage: (page) => {
        if (page === 4) h.sandbox.control.expireSessions();
      },
    });
    expect(summary.status).toBe('succeeded');
    expect(maxOpen).toBe(1);
    expect(h.sandbox.context.oauth.grants.refresh_token).toBe(1);
    expect((await h.settledDifferences()).slice(0, 10)).toEqual([]);
  });

  it('marks the tenant as needing re-authorisation when its refresh token was revoked, after one refused refresh', async () => {
    h = await new Harness().start();
    const runtime = await h.runtime();
    h.tenant = await connectWithOAuth(runtime, h.sandbox, SETTINGS);
    const tokens = (await runtime.credentials().load(h.tenant.id))!;
    h.sandbox.context.oauth.revoke(tokens.refreshToken);
    h.sandbox.control.expireSessions();
    const error = await h.sync('full').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NeedsReauthError);
    expect((error as Error).message).toContain('invalid_grant');
    expect((await runtime.store.tenants.get(h.tenant.id))!.status).toBe('needs_reauth');
    expect(h.sandbox.context.oauth.grants).toMatchObject({ refresh_token: 1, refused: 1 });
  });

  it('reports a record it cannot map and syncs the rest', async () => {
    h = await new Harness().start({}, { salesforce: { batchSize: 200, bulkThreshold: 1_000_000 } });
    const victim = h.sandbox.control.records('Account')[5]!.Id as string;
    const corrupting = (async (input: string | URL | Request, init?: RequestInit) => {
      const response = await globalThis.fetch(input, init);
      const text = await response.text();
      const body =
        text.includes(victim) && String(input).includes('/query')
          ? text.replace(new RegExp(`("Id":"${victim}".*?"NumberOfEmployees":)[^,}]+`), '$1"many"')
          : text;
      return new Response(body, { status: response.status, headers: response.headers });
    }) as typeof fetch;
    const summary = await h.sync('full', { fetch: corrupting });
    expect(summary.status).toBe('succeeded');
    expect(summary.counts.rejected).toBe(1);
    const runtime = await h.runtime();
    expect(await runtime.store.records.get(h.tenant.id, 'company', victim)).toBeUndefined();
    expect(await runtime.store.records.count(h.tenant.id, 'company')).toBe(
      h.sandbox.control.records('Account').length - 1,
    );
  });
});
