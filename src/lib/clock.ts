import { setTimeout as delay } from 'node:timers/promises';

/**
 * Time, injected everywhere so tests can control it: `now()` in milliseconds since the epoch, and `sleep()`,
 * the only way crm-agent waits (rate-limit budgets, retry backoff, webhook redelivery).
 */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(Math.max(0, ms), undefined, signal ? { signal } : {}),
};

/**
 * Real time running `factor` times faster: a 10-second rate-limit window passes in 10/factor real seconds.
 * Lets tests and benchmarks run a CRM's real limits (sandbox and connector sharing one clock) in less time,
 * with every ratio between elapsed time and the limits unchanged.
 */
export class ScaledClock implements Clock {
  private readonly startReal = performance.now();

  constructor(
    private readonly factor: number,
    private readonly startAt: number = Date.now(),
  ) {}

  now(): number {
    return this.startAt + (performance.now() - this.startReal) * this.factor;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return delay(Math.max(0, ms) / this.factor, undefined, signal ? { signal } : {});
  }
}

/** ISO-8601 UTC with milliseconds: the one timestamp format crm-agent stores. */
export function isoAt(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
