import type { Clock } from '../../src/lib/clock.js';

/** Default: notifications accepted per org per minute (an org's mass update sends 100 per message). */
export const DEFAULT_EVENTS_PER_MINUTE = 2000;

/**
 * A per-org cap on accepted outbound-message notifications per minute (a fixed one-minute window per org, in this
 * process). Beyond it messages are answered 429 without storing anything; Salesforce retries a message it got no
 * Ack for, with growing intervals, so nothing is lost, only delayed, while forged or runaway traffic cannot spend
 * the org's API budget on re-reads.
 */
export class OrgEventCap {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly clock: Clock,
    readonly perMinute: number = DEFAULT_EVENTS_PER_MINUTE,
  ) {}

  /** Takes `n` events from the org's minute; false (and nothing taken) when they do not fit. */
  take(orgId: string, n: number): boolean {
    const now = this.clock.now();
    const key = orgId.slice(0, 15);
    let window = this.windows.get(key);
    if (!window || now - window.start >= 60_000) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    if (window.count + n > this.perMinute) return false;
    window.count += n;
    return true;
  }

  /** Seconds until the org's current window ends. */
  retryAfterSeconds(orgId: string): number {
    const window = this.windows.get(orgId.slice(0, 15));
    return window ? Math.max(1, Math.ceil((window.start + 60_000 - this.clock.now()) / 1000)) : 1;
  }
}
