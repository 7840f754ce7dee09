import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import BetterSqlite3 from 'better-sqlite3';
import { openStore } from '../../../src/store/open-store.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('SQLite shared with another process', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('waits for another connection’s write lock without failing, and says STORE_BUSY in one line when it stays', async () => {
    const path = join(dir.path, 'shared.db');
    const store = await openStore({ kind: 'sqlite', path }, { busyRetryMs: 300 });
    await store.migrate();
    const other = new BetterSqlite3(path);
    try {
      await store.tenants.upsert({ crm: 'hubspot', externalId: '1', name: 'a', apiBaseUrl: 'x' });
      other.exec('begin immediate');
      const waiting = store.transaction((tx) =>
        tx.tenants.upsert({ crm: 'hubspot', externalId: '2', name: 'b', apiBaseUrl: 'x' }),
      );
      const error = await waiting.catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'STORE_BUSY' });
      expect((error as Error).message).toMatch(/^the database sqlite:.*shared\.db stayed locked by another process/);
      other.exec('rollback');

      other.exec('begin immediate');
      let ticks = 0;
      const timer = setInterval(() => {
        ticks++;
      }, 1);
      const later = store.tenants.upsert({ crm: 'hubspot', externalId: '3', name: 'c', apiBaseUrl: 'x' });
      // While the other connection holds the lock, this process's event loop keeps turning (the wait is async).
      while (ticks < 5) await new Promise((resolve) => setImmediate(resolve));
      other.exec('commit');
      clearInterval(timer);
      expect((await later).externalId).toBe('3');
      expect((await store.tenants.list()).map((t) => t.externalId).sort()).toEqual(['1', '3']);
    } finally {
      other.close();
      await store.close();
    }
  }, 60_000);

  it('lets the event loop turn during a long run of statements', async () => {
    const store = await openStore({ kind: 'sqlite', path: join(dir.path, 'long.db') });
    await store.migrate();
    let ticks = 0;
    const timer = setInterval(() => {
      ticks++;
    }, 1);
    try {
      // Kysely chains these through microtasks; without a yield no timer could fire until the last one.
      await store.transaction(async (tx) => {
        for (let i = 0; i < 3000; i++) {
          await tx.tenants.upsert({ crm: 'hubspot', externalId: String(i), name: 'n', apiBaseUrl: 'x' });
        }
      });
      expect(ticks).toBeGreaterThan(0);
    } finally {
      clearInterval(timer);
      await store.close();
    }
  }, 120_000);
});
