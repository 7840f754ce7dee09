import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openStore, type Store } from '../../src/store/open-store.js';
import { createProcessLocks } from '../../src/store/process-lock.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Two stores on one SQLite file stand for two processes (a CLI beside a server): each holds its own leases. */
describe('named locks across processes sharing a SQLite file', () => {
  const dir = tempDir();
  const path = join(dir.path, 'shared.db');
  let server: Store;
  let cli: Store;

  beforeAll(async () => {
    server = await openStore({ kind: 'sqlite', path });
    await server.migrate();
    cli = await openStore({ kind: 'sqlite', path });
  });
  afterAll(async () => {
    await server.close();
    await cli.close();
    dir.remove();
  });

  it('makes the second holder wait until the first releases, then runs it', async () => {
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let waiting!: () => void;
    const cliWaits = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const first = server.withLock('tenant-run:t1', async () => {
      order.push('server starts');
      await held;
      order.push('server ends');
    });
    // Wait until the server holds the lease before the CLI asks.
    while ((await server.db.selectFrom('processLocks').select('name').execute()).length === 0) await Promise.resolve();
    const locks = createProcessLocks(cli.db, { onWait: () => waiting() }).withLock;
    const second = locks('tenant-run:t1', async () => {
      order.push('cli runs');
    });
    await cliWaits;
    expect(order).toEqual(['server starts']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['server starts', 'server ends', 'cli runs']);
    expect(await server.db.selectFrom('processLocks').selectAll().execute()).toEqual([]);
  });

  it('takes a lease at once when its holder on this host is gone or its lease expired elsewhere', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
    await server.db
      .insertInto('processLocks')
      .values([
        { name: 'crashed', owner: 'x', host: hostname(), pid: gone, expiresAt: Date.now() + 3_600_000 },
        { name: 'expired', owner: 'y', host: 'another-host', pid: 1, expiresAt: Date.now() - 1 },
      ])
      .execute();
    const waits: string[] = [];
    const locks = createProcessLocks(cli.db, { onWait: (name) => waits.push(name) }).withLock;
    expect(await locks('crashed', async () => 'ran')).toBe('ran');
    expect(await locks('expired', async () => 'ran')).toBe('ran');
    expect(waits).toEqual([]);
  });

  it('waits for a live holder on another host until its lease runs out', async () => {
    await server.db
      .insertInto('processLocks')
      .values({ name: 'remote', owner: 'z', host: 'another-host', pid: 1, expiresAt: Date.now() + 200 })
      .execute();
    const waits: string[] = [];
    const locks = createProcessLocks(cli.db, { onWait: (name) => waits.push(name), maxPollMs: 50 }).withLock;
    expect(await locks('remote', async () => 'ran')).toBe('ran');
    expect(waits).toEqual(['remote']);
  });

  it('a store closed in the middle of work gives its leases up at once; a waiter of a closed store stops', async () => {
    const worker = await openStore({ kind: 'sqlite', path });
    // Work that never ends, as in a worker whose CRM call hangs when its process is killed.
    void worker.withLock('tenant-send:t1', () => new Promise<never>(() => {}));
    while ((await server.db.selectFrom('processLocks').select('name').execute()).length === 0) await Promise.resolve();
    await worker.close();
    expect(await server.db.selectFrom('processLocks').selectAll().execute()).toEqual([]);

    const waiter = await openStore({ kind: 'sqlite', path });
    let waiting!: () => void;
    const waits = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const outcome = server.withLock('tenant-send:t1', async () => {
      const blocked = createProcessLocks(waiter.db, { onWait: () => waiting() });
      const attempt = blocked.withLock('tenant-send:t1', async () => 'ran').catch((e: { code?: string }) => e.code);
      await waits;
      await blocked.release();
      return attempt;
    });
    expect(await outcome).toBe('STORE_CLOSED');
    await waiter.close();
  });
});
