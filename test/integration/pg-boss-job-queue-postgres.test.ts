import { afterAll, describe, expect, it } from '@jest/globals';
import { PgBossJobQueue } from '../../src/jobs/pg-boss-job-queue.js';
import { silentLogger } from '../../src/lib/logger.js';
import type { Job } from '../../src/ports/job-queue.js';
import { openStore } from '../../src/store/open-store.js';
import { sqlExecutor } from '../../src/store/sql-executor.js';
import { createTestDatabase } from '../helpers/postgres.js';

describe('PgBossJobQueue', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function queues(n: number) {
    const database = await createTestDatabase();
    cleanups.push(database.drop);
    const list = Array.from(
      { length: n },
      () =>
        new PgBossJobQueue(
          { connectionString: database.url, pollingIntervalSeconds: 0.5, concurrency: 1 },
          silentLogger(),
        ),
    );
    cleanups.push(async () => {
      await Promise.all(list.map((q) => q.stop()));
    });
    lastUrl = database.url;
    return list;
  }
  let lastUrl = '';

  it('keeps one waiting job per singleton key across processes, and hands each job to one worker', async () => {
    const [a, b] = await queues(2);
    const first = await a!.send('tenant.run', 't1', { mode: 'incremental' }, { singletonKey: 't1:incremental' });
    const again = await b!.send('tenant.run', 't1', { mode: 'incremental' }, { singletonKey: 't1:incremental' });
    const other = await b!.send('tenant.run', 't2', { mode: 'incremental' }, { singletonKey: 't2:incremental' });
    expect(first).not.toBeNull();
    expect(again).toBeNull();
    expect(other).not.toBeNull();
    const seen: Array<Job & { by: string }> = [];
    const done = new Promise<void>((resolve) => {
      for (const [queue, by] of [
        [a!, 'a'],
        [b!, 'b'],
      ] as const) {
        queue.work('tenant.run', async (job) => {
          seen.push({ ...job, by });
          if (seen.length === 2) resolve();
        });
      }
    });
    await done;
    await a!.idle();
    expect(seen.map((j) => [j.tenantId, j.data.mode]).sort()).toEqual([
      ['t1', 'incremental'],
      ['t2', 'incremental'],
    ]);
    expect(new Set(seen.map((j) => j.id)).size).toBe(2);
  });

  it('cancels the waiting jobs of a tenant', async () => {
    const [queue] = await queues(1);
    await queue!.send('tenant.run', 'gone', { mode: 'full' }, { singletonKey: 'gone:full' });
    await queue!.send('tenant.run', 'stays', { mode: 'full' }, { singletonKey: 'stays:full' });
    await queue!.cancel('gone');
    const seen: string[] = [];
    await new Promise<void>((resolve) =>
      queue!.work('tenant.run', async (job) => {
        seen.push(job.tenantId);
        resolve();
      }),
    );
    await queue!.idle();
    expect(seen).toEqual(['stays']);
  });

  it('queues a job inside the caller’s transaction: it exists only if that transaction commits', async () => {
    const [queue] = await queues(1);
    const store = await openStore({ kind: 'postgres', url: lastUrl });
    cleanups.push(() => store.close());
    await expect(
      store.transaction(async (_tx, db) => {
        await queue!.sendWithin!(sqlExecutor(db), 'writeback.send', 'rolled-back', {}, { singletonKey: 'send:a' });
        throw new Error('the plan could not be stored');
      }),
    ).rejects.toThrow('the plan could not be stored');
    await store.transaction(async (_tx, db) => {
      await queue!.sendWithin!(sqlExecutor(db), 'writeback.send', 'committed', {}, { singletonKey: 'send:b' });
    });
    const seen: string[] = [];
    await new Promise<void>((resolve) =>
      queue!.work('writeback.send', async (job) => {
        seen.push(job.tenantId);
        resolve();
      }),
    );
    await queue!.idle();
    expect(seen).toEqual(['committed']);
  });

  it('lets several processes create the same queues at once (pg-boss DDL may deadlock; it is retried)', async () => {
    const list = await queues(4);
    const names = ['a.one', 'a.two', 'a.three'];
    const sent = await Promise.all(
      list.flatMap((queue, i) => names.map((name) => queue.send(name, `t${i}`, {}, { singletonKey: `${name}:${i}` }))),
    );
    expect(sent.every((id) => typeof id === 'string')).toBe(true);
  });
});
