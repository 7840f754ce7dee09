import { describe, expect, it } from '@jest/globals';
import { LocalJobQueue } from '../../../src/jobs/local-job-queue.js';
import { silentLogger } from '../../../src/lib/logger.js';

/** A job handler whose runs the test releases one by one. */
function gate() {
  const releases: Array<() => void> = [];
  const active = new Map<string, number>();
  let maxPerTenant = 0;
  let maxOverall = 0;
  const started: string[] = [];
  return {
    started,
    releases,
    get maxPerTenant() {
      return maxPerTenant;
    },
    get maxOverall() {
      return maxOverall;
    },
    handler: async (job: { tenantId: string; data: Record<string, unknown> }) => {
      started.push(`${job.tenantId}:${String(job.data.n)}`);
      active.set(job.tenantId, (active.get(job.tenantId) ?? 0) + 1);
      maxPerTenant = Math.max(maxPerTenant, active.get(job.tenantId)!);
      maxOverall = Math.max(
        maxOverall,
        [...active.values()].reduce((a, b) => a + b, 0),
      );
      await new Promise<void>((resolve) => releases.push(resolve));
      active.set(job.tenantId, active.get(job.tenantId)! - 1);
    },
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** Releases running jobs one at a time until the queue is idle. */
async function releaseUntilIdle(queue: LocalJobQueue, releases: Array<() => void>): Promise<void> {
  let idle = false;
  const done = queue.idle().then(() => {
    idle = true;
  });
  while (!idle) {
    await flush();
    releases.shift()?.();
  }
  await done;
}

describe('LocalJobQueue', () => {
  it('runs one job at a time per tenant, several tenants at once up to its concurrency, in order', async () => {
    const queue = new LocalJobQueue(silentLogger(), 2);
    const g = gate();
    queue.work('run', g.handler);
    for (const n of [1, 2, 3]) await queue.send('run', 'a', { n });
    for (const n of [1, 2]) await queue.send('run', 'b', { n });
    await queue.send('run', 'c', { n: 1 });
    await releaseUntilIdle(queue, g.releases);
    expect(g.started).toHaveLength(6);
    expect(g.maxPerTenant).toBe(1);
    expect(g.maxOverall).toBe(2);
    expect(g.started.filter((s) => s.startsWith('a:'))).toEqual(['a:1', 'a:2', 'a:3']);
  });

  it('queues one job per singleton key while it waits', async () => {
    const queue = new LocalJobQueue(silentLogger(), 1);
    const g = gate();
    queue.work('run', g.handler);
    expect(await queue.send('run', 't', { n: 0 }, { singletonKey: 'run:t' })).not.toBeNull();
    await flush(); // the first one is now running, no longer waiting
    const ids = await Promise.all([1, 2, 3].map((n) => queue.send('run', 't', { n }, { singletonKey: 'run:t' })));
    expect(ids.filter((id) => id !== null)).toHaveLength(1);
    await releaseUntilIdle(queue, g.releases);
    expect(g.started).toEqual(['t:0', 't:1']);
  });

  it('keeps going after a failing job', async () => {
    const queue = new LocalJobQueue(silentLogger(), 1);
    const done: number[] = [];
    queue.work('run', async (job) => {
      if (job.data.n === 1) throw new Error('boom');
      done.push(job.data.n as number);
    });
    for (const n of [1, 2]) await queue.send('run', 't', { n });
    await queue.idle();
    expect(done).toEqual([2]);
  });
});
