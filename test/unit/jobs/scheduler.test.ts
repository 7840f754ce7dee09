import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Tenant } from '../../../src/domain/tenant.js';
import { previousSlot, RUN_JOB, Scheduler } from '../../../src/jobs/scheduler.js';
import { silentLogger } from '../../../src/lib/logger.js';
import type { Job, JobQueue } from '../../../src/ports/job-queue.js';
import { openStore, type Store } from '../../../src/store/open-store.js';
import { FixedClock } from '../../helpers/fixed-clock.js';
import { createTestDatabase } from '../../helpers/postgres.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** A queue that only records what was sent. */
function recordingQueue(): JobQueue & { sent: Array<Pick<Job, 'name' | 'tenantId' | 'data'>> } {
  const sent: Array<Pick<Job, 'name' | 'tenantId' | 'data'>> = [];
  return {
    sent,
    send: async (name, tenantId, data) => {
      sent.push({ name, tenantId, data });
      return String(sent.length);
    },
    work: () => undefined,
    cancel: async () => undefined,
    idle: async () => undefined,
    stop: async () => undefined,
  };
}

async function tenantCreatedAt(
  store: Store,
  clock: FixedClock,
  externalId: string,
  at: string,
  settings: Record<string, unknown> = {},
) {
  const now = clock.now();
  clock.advance(Date.parse(at) - now);
  const tenant = await store.tenants.upsert({
    crm: 'hubspot',
    externalId,
    name: externalId,
    apiBaseUrl: 'x',
    settings,
  });
  clock.advance(now - clock.now());
  return tenant;
}

describe('Scheduler', () => {
  const dir = tempDir();
  const databases: Array<{ drop: () => Promise<void> }> = [];
  afterAll(async () => {
    dir.remove();
    await Promise.all(databases.map((d) => d.drop()));
  });

  it('fires each slot exactly once across processes sharing a PostgreSQL store', async () => {
    const database = await createTestDatabase();
    databases.push(database);
    const clock = new FixedClock(Date.parse('2026-11-24T09:17:00Z'));
    const stores = await Promise.all(
      [0, 1, 2].map(() => openStore({ kind: 'postgres', url: database.url }, { clock, poolSize: 2 })),
    );
    await stores[0]!.migrate();
    const tenant = await stores[0]!.tenants.upsert({ crm: 'hubspot', externalId: '1', name: 'a', apiBaseUrl: 'x' });
    const queues = stores.map(() => recordingQueue());
    const schedulers = stores.map(
      (store, i) => new Scheduler({ store, queue: queues[i]!, clock, logger: silentLogger(), instanceId: `p${i}` }),
    );
    const slots = ['2026-11-24T10:00:00Z', '2026-11-24T11:00:00Z', '2026-11-24T12:00:00Z'];
    for (const slot of slots) {
      const results = await Promise.all(schedulers.map((s) => s.fire(tenant.id, 'incremental', new Date(slot))));
      expect(results.filter(Boolean)).toHaveLength(1);
    }
    expect(queues.reduce((n, q) => n + q.sent.length, 0)).toBe(3);
    expect((await stores[0]!.slots.list(tenant.id)).map((s) => s.slot)).toEqual(
      slots.map((s) => new Date(s).toISOString()),
    );
    await Promise.all(stores.map((s) => s.close()));
  });

  it('runs each schedule’s missed slot once at start-up, and not again after a restart', async () => {
    const clock = new FixedClock(Date.parse('2026-11-24T09:17:00Z'));
    const store = await openStore({ kind: 'sqlite', path: join(dir.path, 's.db') }, { clock });
    await store.migrate();
    const old = await tenantCreatedAt(store, clock, 'old', '2026-11-20T00:00:00Z');
    const fresh = await tenantCreatedAt(store, clock, 'fresh', '2026-11-24T09:05:00Z');
    const custom = await tenantCreatedAt(store, clock, 'custom', '2026-11-01T00:00:00Z', {
      schedule: { incremental: '*/15 * * * *', full: 'not a cron' },
    });
    const paused = await tenantCreatedAt(store, clock, 'paused', '2026-11-01T00:00:00Z');
    await store.tenants.setStatus(paused.id, 'needs_reauth');

    const queue = recordingQueue();
    const scheduler = new Scheduler({ store, queue, clock, logger: silentLogger(), instanceId: 'p0' });
    await scheduler.start();
    const fired = (t: Tenant) =>
      queue.sent.filter((j) => j.tenantId === t.id).map((j) => `${String(j.data.kind)}@${String(j.data.slot)}`);
    expect(fired(old)).toEqual(['incremental@2026-11-24T09:00:00.000Z', 'full@2026-11-24T02:30:00.000Z']);
    expect(fired(fresh)).toEqual([]); // its last slots came before it was installed
    expect(fired(custom)).toEqual(['incremental@2026-11-24T09:15:00.000Z', 'full@2026-11-24T02:30:00.000Z']);
    expect(fired(paused)).toEqual([]);
    expect(queue.sent.every((j) => j.name === RUN_JOB)).toBe(true);
    expect(scheduler.scheduledPatterns(custom.id)).toEqual(['*/15 * * * *', '30 2 * * *']);
    expect(scheduler.scheduledPatterns(paused.id)).toEqual([]);
    scheduler.stop();

    const restarted = new Scheduler({ store, queue, clock, logger: silentLogger(), instanceId: 'p1' });
    const before = queue.sent.length;
    await restarted.start();
    expect(queue.sent.length).toBe(before);
    restarted.stop();
    await store.close();
  });

  it('fires every due slot once after a blocked event loop, each tenant on its own, catching up only the latest', async () => {
    const clock = new FixedClock(Date.parse('2026-11-24T09:59:00Z'));
    const store = await openStore({ kind: 'sqlite', path: join(dir.path, 'late.db') }, { clock });
    await store.migrate();
    const schedule = { incremental: '0 * * * *', full: '0 3 1 1 *' };
    const slow = await tenantCreatedAt(store, clock, 'slow', '2026-11-24T09:00:30Z', { schedule });
    const quick = await tenantCreatedAt(store, clock, 'quick', '2026-11-24T09:00:30Z', { schedule });
    // The slow tenant's queue never answers (a long run ahead of it): the quick tenant's slots must not wait.
    const sent: Array<{ tenantId: string; slot: string }> = [];
    const queue: JobQueue = {
      ...recordingQueue(),
      send: (_name, tenantId, data) => {
        sent.push({ tenantId, slot: String(data.slot) });
        return tenantId === slow.id ? new Promise<never>(() => undefined) : Promise.resolve('1');
      },
    };
    let purges = 0;
    const scheduler = new Scheduler({ store, queue, clock, logger: silentLogger(), instanceId: 'p0', tickMs: 20 });
    scheduler.addGlobal('purge', '30 * * * *', async () => {
      purges++;
    });
    await scheduler.start();
    expect(sent).toEqual([]);
    // The event loop was blocked past 10:00 (no tick happened at 10:00): the slot is still due.
    const spin = Date.now();
    while (Date.now() - spin < 100) {
      // a busy loop standing in for a long synchronous task
    }
    clock.advance(3 * 60_000);
    const until = async (condition: () => boolean) => {
      while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    await until(() => sent.length === 2);
    expect(sent).toEqual(
      expect.arrayContaining([
        { tenantId: slow.id, slot: '2026-11-24T10:00:00.000Z' },
        { tenantId: quick.id, slot: '2026-11-24T10:00:00.000Z' },
      ]),
    );
    // Three hours pass unseen: each schedule catches up its latest slot once, not every one it missed; the
    // slow tenant's first slot is still being queued, so it does not fire again meanwhile.
    clock.advance(3 * 60 * 60_000);
    await until(() => sent.length === 3 && purges === 1);
    await scheduler.tick();
    await scheduler.tick();
    expect(sent[2]).toEqual({ tenantId: quick.id, slot: '2026-11-24T13:00:00.000Z' });
    expect(sent).toHaveLength(3);
    expect(purges).toBe(1);
    expect((await store.slots.list('*')).map((s) => s.slot)).toEqual(['2026-11-24T12:30:00.000Z']);
    scheduler.stop();
    await store.close();
  }, 60_000);

  it('finds the previous slot of a pattern', () => {
    const match = (pattern: (d: Date) => boolean) => ({ match: pattern });
    const now = Date.parse('2026-11-24T09:17:30Z');
    expect(
      previousSlot(
        match((d) => d.getUTCMinutes() === 0),
        now,
        0,
      )?.toISOString(),
    ).toBe('2026-11-24T09:00:00.000Z');
    expect(
      previousSlot(
        match(() => false),
        now,
        0,
      ),
    ).toBeUndefined();
  });
});
