import type { Clock } from '../lib/clock.js';
import type { RateLease, RateLimiter, RatePolicy } from '../ports/rate-limiter.js';
import { KeyQueue } from './key-queue.js';

/**
 * A rolling-window limiter inside one process (the embedded setup): it remembers when each of the last
 * `limit` requests of a key was taken (or, once settled, finished) and lets the next one through once the
 * oldest leaves the window. Waiters are served in order. Waiting goes through the clock, so tests can run on a
 * virtual or scaled clock.
 */
export class LocalRateLimiter implements RateLimiter {
  private readonly taken = new Map<string, Array<{ at: number }>>();
  private readonly queue = new KeyQueue();

  constructor(private readonly clock: Clock) {}

  take(key: string, policy: RatePolicy, signal?: AbortSignal): Promise<RateLease> {
    return this.queue.run(key, () => this.takeInTurn(key, policy, signal));
  }

  private async takeInTurn(key: string, policy: RatePolicy, signal?: AbortSignal): Promise<RateLease> {
    const slots = this.taken.get(key) ?? [];
    this.taken.set(key, slots);
    for (;;) {
      signal?.throwIfAborted();
      const now = this.clock.now();
      while (slots.length > 0 && slots[0]!.at <= now - policy.windowMs) slots.shift();
      if (slots.length < policy.limit) {
        const slot = { at: now };
        slots.push(slot);
        return {
          settle: async () => {
            // Later than every slot taken before it finished? Keep the list in time order either way.
            slot.at = Math.max(slot.at, this.clock.now());
            slots.sort((a, b) => a.at - b.at);
          },
        };
      }
      await this.clock.sleep(slots[0]!.at + policy.windowMs - now, signal);
    }
  }
}
