import type { Clock } from '../../src/lib/clock.js';

/** A clock that moves only when told to; sleeping moves it forward at once (virtual time). */
export class FixedClock implements Clock {
  constructor(private ms = Date.parse('2026-11-24T09:00:00.000Z')) {}

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.ms += Math.max(0, ms);
  }
}
