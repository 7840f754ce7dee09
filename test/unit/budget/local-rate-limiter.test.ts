import { describe, expect, it } from '@jest/globals';
import { LocalRateLimiter } from '../../../src/budget/local-rate-limiter.js';
import { FixedClock } from '../../helpers/fixed-clock.js';

/** A limiter on a virtual clock: waiting advances time instead of sleeping. */
function virtualLimiter() {
  const clock = new FixedClock(0);
  return { clock, limiter: new LocalRateLimiter(clock) };
}

describe('LocalRateLimiter', () => {
  it('never lets more than `limit` requests into any rolling window', async () => {
    const { clock, limiter } = virtualLimiter();
    const times: number[] = [];
    for (let i = 0; i < 330; i++) {
      await limiter.take('hubspot:1:burst', { limit: 110, windowMs: 10_000 });
      times.push(clock.now());
    }
    for (let i = 110; i < times.length; i++) expect(times[i]! - times[i - 110]!).toBeGreaterThanOrEqual(10_000);
    expect(clock.now()).toBe(20_000); // 330 requests need exactly two full windows after the first burst
  });

  it('times a settled slot from when its request finished, so late answers cannot pack the window', async () => {
    const { clock, limiter } = virtualLimiter();
    const first = await limiter.take('k', { limit: 2, windowMs: 1000 });
    await limiter.take('k', { limit: 2, windowMs: 1000 });
    clock.advance(300);
    await first!.settle(); // the first answer came back 300 ms after it was sent
    await limiter.take('k', { limit: 2, windowMs: 1000 });
    // The second (unsettled, taken at 0) frees at 1000; the first then counts from 300, not 0.
    expect(clock.now()).toBe(1000);
    await limiter.take('k', { limit: 2, windowMs: 1000 });
    expect(clock.now()).toBe(1300);
  });

  it('keeps separate keys separate', async () => {
    const { clock, limiter } = virtualLimiter();
    for (let i = 0; i < 5; i++) await limiter.take('search', { limit: 5, windowMs: 1000 });
    for (let i = 0; i < 100; i++) await limiter.take('burst', { limit: 110, windowMs: 10_000 });
    expect(clock.now()).toBe(0);
  });

  it('serves concurrent waiters in order and stops on abort', async () => {
    const { limiter } = virtualLimiter();
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => limiter.take('k', { limit: 2, windowMs: 100 }).then(() => order.push(i))),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    const controller = new AbortController();
    controller.abort();
    await expect(limiter.take('k', { limit: 2, windowMs: 100 }, controller.signal)).rejects.toThrow();
  });
});
