import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HubSpotClient } from '../../connectors/hubspot/client.js';
import { ListPage } from '../../connectors/hubspot/schemas.js';
import { LocalRateLimiter } from '../../src/budget/local-rate-limiter.js';
import { PostgresRateLimiter } from '../../src/budget/postgres-rate-limiter.js';
import { ScaledClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import type { RateLimiter } from '../../src/ports/rate-limiter.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { compareWithPortal, connectHarness, type Harness, nonZero, startSandbox } from '../helpers/hubspot.js';
import { UiUser } from '../helpers/hubspot-editor.js';
import { createTestDatabase } from '../helpers/postgres.js';

/**
 * With PostgreSQL, every process shares one request budget per portal (HubSpot counts per app and account, not
 * per process): two processes hammering one portal stay under 110 per 10 s together, where two in-process
 * budgets would each take 105 and draw 429s.
 */
describe('HubSpot on a PostgreSQL store: one budget for every process', () => {
  let database: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('waits as one budget: 7 takes of 3 per second span at least 2 seconds', async () => {
    const clock = new FixedClock();
    const { sb, url } = await startSandbox({ seed: 31, contacts: 10, companies: 2, deals: 2, clock });
    const harness = await connectHarness(sb, url, { clock, databaseUrl: database.url });
    try {
      expect(harness.runtime.limiter).toBeInstanceOf(PostgresRateLimiter);
      const start = clock.now();
      for (let i = 0; i < 7; i++) await harness.runtime.limiter.take('unit', { limit: 3, windowMs: 1000 });
      expect(clock.now() - start).toBeGreaterThanOrEqual(2000);
    } finally {
      await harness.close();
      await sb.close();
    }
  });

  it('syncs a portal while a user merges and deletes records, ending equal (merges remapped in PostgreSQL too)', async () => {
    const clock = new ScaledClock(20);
    const { sb, url } = await startSandbox({ seed: 32, contacts: 2000, companies: 200, deals: 400, clock });
    const harness = await connectHarness(sb, url, { clock, databaseUrl: database.url });
    try {
      const user = new UiUser(sb, 5);
      let pages = 0;
      const summary = await harness.sync('full', {
        onPage: ({ stream }) => {
          // While it lists (about 40 pages here): the catch-up that follows must see every change.
          if (stream === 'crm-objects' && ++pages <= 30) for (let k = 0; k < 3; k++) user.act();
        },
      });
      expect(summary.status).toBe('succeeded');
      expect(user.done.merges).toBeGreaterThan(3);
      expect(nonZero(await compareWithPortal(sb, harness))).toEqual({});
    } finally {
      await harness.close();
      await sb.close();
    }
  });

  it('keeps two processes together under the portal limit, where separate budgets draw 429s', async () => {
    // Virtual time: the requests of a burst arrive at one instant however slowly a busy machine serves them, so the
    // separate budgets overrun the portal every time (on a 20x wall clock a slow machine spread them out).
    const clock = new FixedClock();
    const { sb, url } = await startSandbox({ seed: 33, contacts: 10, companies: 2, deals: 2, clock });
    const processes: Harness[] = [];
    for (let p = 0; p < 2; p++) processes.push(await connectHarness(sb, url, { clock, databaseUrl: database.url }));
    const logger = createLogger({ level: 'silent', format: 'json' });
    const hammer = (harness: Harness, limiter: RateLimiter) => {
      const client = new HubSpotClient({
        context: {
          tenant: processes[0]!.tenant,
          tokens: { accessToken: async () => sb.token, refreshAfterRejection: async () => sb.token },
          limiter,
          fetch,
          clock,
          logger,
          settings: {},
        },
        baseUrl: url,
        portalId: harness.tenant.externalId,
        budgets: { burst: { limit: 105, windowMs: 10_000 }, search: { limit: 5, windowMs: 1100 } },
        throttleBudgetMs: 0,
      });
      const calls = Array.from({ length: 150 }, () =>
        client
          .request(
            { method: 'GET', path: '/crm/v3/objects/contacts', query: { limit: 1 }, budget: 'burst', idempotent: true },
            ListPage,
          )
          .then(
            () => 'ok',
            () => 'refused',
          ),
      );
      return Promise.all(calls);
    };
    try {
      const shared = await Promise.all(processes.map((h) => hammer(h, h.runtime.limiter)));
      expect(shared.flat().filter((r) => r === 'refused')).toHaveLength(0);
      const stats = sb.control.stats().limits.burst;
      expect(stats.refused).toBe(0);
      expect(stats.maxArrivalsInWindow).toBeLessThanOrEqual(110);

      // The same two processes, each with only its own in-process budget: together they overrun the portal.
      const separate = await Promise.all(processes.map((h) => hammer(h, new LocalRateLimiter(clock))));
      expect(separate.flat().filter((r) => r === 'refused').length).toBeGreaterThan(0);
    } finally {
      for (const h of processes) await h.close();
      await sb.close();
    }
  });
});
