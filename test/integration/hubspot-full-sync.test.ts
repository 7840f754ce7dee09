import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { HubSpotSandbox } from '../../sandbox/hubspot/create-hubspot-sandbox.js';
import { ScaledClock } from '../../src/lib/clock.js';
import { compareWithPortal, connectHarness, type Harness, nonZero, startSandbox } from '../helpers/hubspot.js';
import { UiUser } from '../helpers/hubspot-editor.js';

/**
 * The measured claim: against HubSpot's real limits (110 requests per rolling 10 s, search 5 per second, a search
 * index that trails the records), a full sync of 50,000 contacts and 10,000 deals while a user edits, creates,
 * deletes, restores and merges records ends with the local copy equal to the portal's; so does the incremental
 * sync after more such changes. Time runs 5× faster for sandbox and connector alike (faster, and a stall on a busy machine becomes seconds of virtual time).
 */
describe('HubSpot full and incremental sync at 50,000 contacts under real limits', () => {
  const clock = new ScaledClock(5);
  const searchLagMs = 2000;
  let sb: HubSpotSandbox;
  let harness: Harness;

  beforeAll(async () => {
    const started = await startSandbox({
      seed: 50,
      contacts: 50_000,
      companies: 5000,
      deals: 10_000,
      clock,
      limits: 'real',
      searchLagMs,
    });
    sb = started.sb;
    harness = await connectHarness(sb, started.url, {
      clock,
      settings: { hubspot: { searchOverlapMs: 10_000 } },
    });
  });
  afterAll(async () => {
    await harness?.close();
    await sb?.close();
  });

  it('a full sync with a user changing records throughout its listing ends equal to the portal', async () => {
    const user = new UiUser(sb, 7);
    const before = sb.control.stats().limits;
    let pages = 0;
    const summary = await harness.sync('full', {
      onPage: ({ stream }) => {
        // Three UI changes per page written, over the listing (about 1,020 pages here) but its last ~70 pages.
        if (stream === 'crm-objects' && ++pages <= 950) for (let k = 0; k < 3; k++) user.act();
      },
    });
    expect(summary.status).toBe('succeeded');
    expect(user.done.edits).toBeGreaterThan(1000);
    expect(user.done.deletes).toBeGreaterThan(200);
    expect(user.done.merges).toBeGreaterThan(200);
    expect(user.done.creates).toBeGreaterThan(200);

    expect(nonZero(await compareWithPortal(sb, harness))).toEqual({});
    expect(summary.counts.contact).toBeGreaterThanOrEqual(50_000);
    expect(summary.counts.deal).toBeGreaterThanOrEqual(10_000);

    // Within the limits: never more than 110 requests in any 10 s at the portal, and whatever was refused was retried.
    const { limits } = sb.control.stats();
    expect(limits.burst.maxArrivalsInWindow).toBeLessThanOrEqual(110);
    expect(limits.search.maxArrivalsInWindow).toBeLessThanOrEqual(5);
    const refused = limits.burst.refused + limits.search.refused - before.burst.refused - before.search.refused;
    const arrived =
      limits.burst.accepted + limits.search.accepted - before.burst.accepted - before.search.accepted + refused;
    expect(summary.throttled).toBe(refused);
    expect(summary.requests).toBe(arrived);
  });

  it('an incremental sync after more changes (once the search index has them) brings the copy level again, by search', async () => {
    const user = new UiUser(sb, 8);
    for (let k = 0; k < 1500; k++) user.act();
    sb.control.catchUpSearchIndex();
    const before = sb.control.stats().requests.search ?? 0;
    const summary = await harness.sync('incremental');
    expect(summary.status).toBe('succeeded');
    expect(nonZero(await compareWithPortal(sb, harness))).toEqual({});
    expect((sb.control.stats().requests.search ?? 0) - before).toBeGreaterThan(5);
    expect(summary.requests).toBeLessThan(300);
  });
});
