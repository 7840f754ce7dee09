import { afterEach, describe, expect, it } from '@jest/globals';
import type { HubSpotSandbox, HubSpotSandboxOptions } from '../../sandbox/hubspot/create-hubspot-sandbox.js';
import { Rng } from '../../sandbox/world/rng.js';
import type { Clock } from '../../src/lib/clock.js';
import { ScaledClock } from '../../src/lib/clock.js';
import { NeedsReauthError } from '../../src/lib/errors.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { compareWithPortal, connectHarness, type Harness, nonZero, startSandbox } from '../helpers/hubspot.js';
import { UiUser } from '../helpers/hubspot-editor.js';

const SMALL = { contacts: 3000, companies: 300, deals: 600 };

describe('HubSpot sync resilience (small portals, real limits)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(
    clock: Clock,
    sandbox: HubSpotSandboxOptions,
    options: { fetch?: typeof fetch; oauth?: boolean; settings?: Record<string, unknown> } = {},
  ): Promise<{ sb: HubSpotSandbox; url: string; harness: Harness }> {
    const { sb, url } = await startSandbox({ ...SMALL, clock, limits: 'real', ...sandbox });
    cleanups.push(() => sb.close());
    const harness = await connectHarness(sb, url, { clock, ...options });
    cleanups.push(() => harness.close());
    return { sb, url, harness };
  }

  it('a sync killed at random requests resumes from its last page each time and ends equal, nothing lost or doubled', async () => {
    const clock = new FixedClock();
    const rng = new Rng(11);
    let sent = 0;
    let killAt = Number.POSITIVE_INFINITY;
    let run = new AbortController();
    const killing: typeof fetch = async (input, init) => {
      if (++sent === killAt) {
        run.abort(new Error('killed'));
        throw new Error('the process died');
      }
      return fetch(input, init);
    };
    const { sb, harness } = await setUp(clock, { seed: 21 }, { fetch: killing });
    const user = new UiUser(sb, 3);
    const phases = new Set<string>();
    let kills = 0;
    for (let attempt = 0; attempt < 60; attempt++) {
      run = new AbortController();
      killAt = attempt < 12 ? sent + rng.int(2, 25) : Number.POSITIVE_INFINITY;
      const outcome = await harness.sync('full', { signal: run.signal }).then(
        (summary) => summary.status,
        () => 'killed',
      );
      if (outcome === 'succeeded') break;
      kills++;
      const cursor = await harness.runtime.store.cursors.get(harness.tenant.id, 'crm-objects');
      phases.add(String(cursor?.state.phase ?? 'not started'));
      for (let k = 0; k < 10; k++) user.act();
    }
    expect(kills).toBeGreaterThanOrEqual(5);
    expect(phases.size).toBeGreaterThanOrEqual(2);
    // The users' last edits came while the pass was down: a pass that resumed past its changes phase leaves them to
    // the next pass, as any pass leaves edits made after its search window. The next scheduled pass, then: equal.
    expect((await harness.sync('incremental')).status).toBe('succeeded');
    expect(nonZero(await compareWithPortal(sb, harness))).toEqual({});
    // Stage history written once per stage entry, however many times its pages were read.
    const history = await harness.runtime.store.records.listStageHistory(harness.tenant.id);
    expect(new Set(history.map((h) => `${h.dealId}|${h.stage}|${h.enteredAt}`)).size).toBe(history.length);
  });

  it('rides out a 429 storm (30% at random, all for 20 s) and stays under the limits in every window', async () => {
    const clock = new ScaledClock(20);
    const { sb, harness } = await setUp(clock, { seed: 22 });
    const start = clock.now() + 2000;
    sb.control.setFaults({ throttle: [{ probability: 1, from: start, until: start + 20_000 }, { probability: 0.3 }] });
    const summary = await harness.sync('full');
    sb.control.clearFaults();
    expect(summary.status).toBe('succeeded');
    expect(summary.throttled).toBeGreaterThan(20);
    expect(nonZero(await compareWithPortal(sb, harness))).toEqual({});
    const { limits, requests } = sb.control.stats();
    expect(requests.injected429).toBe(summary.throttled);
    expect(limits.burst.maxArrivalsInWindow).toBeLessThanOrEqual(110);
    expect(limits.search.maxArrivalsInWindow).toBeLessThanOrEqual(5);
  });

  it('renews an OAuth token ahead of its expiry during a long sync, with no request refused', async () => {
    // Tokens live 10 minutes here (HubSpot: 30). Virtual time moves 10 s with every request the sandbox serves (and
    // with every wait), so the sync outlives several tokens however busy the machine is: real time plays no part.
    const clock = new FixedClock();
    const { sb, harness } = await setUp(
      clock,
      { seed: 23, accessTokenTtlMs: 10 * 60_000, onRequest: () => clock.advance(10_000) },
      { oauth: true },
    );
    const summary = await harness.sync('full');
    expect(summary.status).toBe('succeeded');
    expect(summary.seconds * 1000).toBeGreaterThan(10 * 60);
    expect(sb.control.stats().tokenGrants.refresh_token).toBeGreaterThanOrEqual(1);
    expect(sb.control.stats().requests['401']).toBeUndefined();
    expect(nonZero(await compareWithPortal(sb, harness))).toEqual({});
  });

  it('when HubSpot expires the token mid-sync, refreshes once for every request in flight and carries on', async () => {
    const clock = new FixedClock();
    let expireAt = 40;
    let sb!: HubSpotSandbox;
    const setup = await setUp(
      clock,
      { seed: 24, onRequest: ({ number }) => number === expireAt && sb.control.expireTokens() },
      { oauth: true },
    );
    sb = setup.sb;
    const summary = await setup.harness.sync('full');
    expect(summary.status).toBe('succeeded');
    expect(sb.control.stats().tokenGrants.refresh_token).toBe(1);
    expect(sb.control.stats().requests['401']).toBeGreaterThanOrEqual(1);
    expect(nonZero(await compareWithPortal(sb, setup.harness))).toEqual({});
    expireAt = -1;
  });

  it('a sync whose calls back off on 429s for longer than a token lives refreshes on every expiry and succeeds', async () => {
    // Tokens live 6 s; half the requests are refused with 429 and each wait (1–16 s of virtual time) lets them
    // expire, so single calls see several 401 EXPIRED_AUTHENTICATION answers in a row.
    const clock = new FixedClock();
    const { sb, harness } = await setUp(
      clock,
      { seed: 26, contacts: 600, companies: 60, deals: 120, accessTokenTtlMs: 6000 },
      { oauth: true },
    );
    sb.control.setFaults({ throttle: [{ probability: 0.5 }] });
    const summary = await harness.sync('full');
    sb.control.clearFaults();
    expect(summary.status).toBe('succeeded');
    expect(summary.throttled).toBeGreaterThan(20);
    expect(sb.control.stats().requests['401']).toBeGreaterThan(1);
    expect(nonZero(await compareWithPortal(sb, harness))).toEqual({});
  }, 120_000);

  it('a revoked refresh token stops the sync with a clear error, marks the tenant, and overwrites nothing', async () => {
    const clock = new FixedClock();
    let sb!: HubSpotSandbox;
    let revokeAt = -1;
    let refreshToken = '';
    const setup = await setUp(
      clock,
      {
        seed: 25,
        onRequest: ({ number }) => {
          if (number !== revokeAt) return;
          sb.control.revokeRefreshToken(refreshToken);
          sb.control.expireTokens();
        },
      },
      { oauth: true },
    );
    sb = setup.sb;
    const { harness } = setup;
    expect((await harness.sync('full')).status).toBe('succeeded');
    refreshToken = (await harness.runtime.credentials().load(harness.tenant.id))!.refreshToken!;
    const before = await harness.runtime.store.records.count(harness.tenant.id, 'contact');
    revokeAt = 30 + (sb.context.counters.api ?? 0);
    const failed = await harness.sync('full').catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(NeedsReauthError);
    expect((failed as Error).message).toMatch(
      /needs re-authorisation: HubSpot refused the refresh token \(BAD_REFRESH_TOKEN\)/,
    );
    expect((await harness.runtime.store.tenants.get(harness.tenant.id))?.status).toBe('needs_reauth');
    expect(await harness.runtime.store.records.count(harness.tenant.id, 'contact')).toBe(before);
    const audit = await harness.runtime.store.audit.list({ tenantId: harness.tenant.id });
    expect(audit.map((e) => e.action)).toContain('token.refresh_failed');
  });

  it('a deleted private-app token marks the tenant needs_reauth and leaves the local copy as it was', async () => {
    const clock = new FixedClock();
    const { sb, harness } = await setUp(clock, { seed: 26 });
    expect((await harness.sync('full')).status).toBe('succeeded');
    const before = await harness.runtime.store.records.count(harness.tenant.id, 'deal');
    sb.control.revokeAccessToken(sb.token);
    await expect(harness.sync('incremental')).rejects.toThrow(/needs re-authorisation: the CRM rejected the token/);
    expect((await harness.runtime.store.tenants.get(harness.tenant.id))?.status).toBe('needs_reauth');
    expect(await harness.runtime.store.records.count(harness.tenant.id, 'deal')).toBe(before);
  });

  it('reports a malformed record and syncs the rest (and does not archive the record it could not read)', async () => {
    const clock = new FixedClock();
    const { sb, harness } = await setUp(clock, { seed: 27 });
    expect((await harness.sync('full')).status).toBe('succeeded');
    const victim = sb.state.objects.contacts.ids[17]!;
    sb.control.setFaults({ malformed: [`contacts:${victim}`] });
    sb.control.edit('contacts', sb.state.objects.contacts.ids[18]!, { jobtitle: 'Edited' });
    const summary = await harness.sync('full');
    expect(summary.status).toBe('succeeded');
    expect(summary.counts.rejected).toBe(1);
    expect(summary.counts.contact).toBeGreaterThanOrEqual(SMALL.contacts - 1);
    const kept = await harness.runtime.store.records.get(harness.tenant.id, 'contact', String(victim));
    expect(kept?.archived).toBe(false);
    expect(
      (await harness.runtime.store.records.get(harness.tenant.id, 'contact', String(sb.state.objects.contacts.ids[18])))
        ?.jobTitle,
    ).toBe('Edited');
  });

  it("reaches back over the search index's lag: an edit search could not see yet is caught by the next window", async () => {
    const lag = 30_000;
    const results: Record<string, string | null | undefined> = {};
    for (const overlap of [0, 60_000]) {
      const clock = new FixedClock();
      const { sb, harness } = await setUp(
        clock,
        { seed: 28, searchLagMs: lag },
        { settings: { hubspot: { searchOverlapMs: overlap } } },
      );
      clock.advance(lag);
      expect((await harness.sync('full')).status).toBe('succeeded');
      const id = sb.state.objects.contacts.ids[5]!;
      sb.control.edit('contacts', id, { jobtitle: `Lagged ${overlap}` });
      clock.advance(1000);
      await harness.sync('incremental');
      const seenTooEarly = (await harness.runtime.store.records.get(harness.tenant.id, 'contact', String(id)))
        ?.jobTitle;
      expect(seenTooEarly).not.toBe(`Lagged ${overlap}`);
      clock.advance(lag);
      await harness.sync('incremental');
      results[overlap] = (await harness.runtime.store.records.get(harness.tenant.id, 'contact', String(id)))?.jobTitle;
    }
    // Without the overlap the edit falls between two windows and is lost; with it, it arrives.
    expect(results[0]).not.toBe('Lagged 0');
    expect(results[60_000]).toBe('Lagged 60000');
  });

  it('syncs 11,000 changes in one incremental pass past the 10,000-result cap, ties on one instant included', async () => {
    const clock = new FixedClock();
    const { sb, harness } = await setUp(clock, { seed: 29, contacts: 11_500, companies: 200, deals: 100 });
    expect((await harness.sync('full')).status).toBe('succeeded');
    const ids = sb.state.objects.contacts.ids;
    // 6,000 edits in one millisecond (a bulk import), then 5,000 one millisecond apart.
    for (let i = 0; i < 6000; i++) sb.control.edit('contacts', ids[i]!, { jobtitle: `Bulk ${i}` });
    for (let i = 6000; i < 11_000; i++) {
      clock.advance(1);
      sb.control.edit('contacts', ids[i]!, { jobtitle: `One by one ${i}` });
    }
    const summary = await harness.sync('incremental');
    expect(summary.status).toBe('succeeded');
    expect(summary.counts.contact).toBeGreaterThanOrEqual(11_000);
    expect(sb.control.stats().requests['400']).toBeUndefined();
    expect(nonZero(await compareWithPortal(sb, harness))).toEqual({});
  });
});
