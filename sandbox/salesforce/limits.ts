import type { Clock } from '../../src/lib/clock.js';
import { SalesforceError } from './errors.js';

const MINUTE = 60_000;
const WINDOW = 24 * 60 * MINUTE;

/**
 * The org's daily API allocation: every API request of every client counts over a rolling 24 hours, each
 * response reports `Sforce-Limit-Info: api-usage=<used>/<max>`, and past the allocation the org answers
 * 403 REQUEST_LIMIT_EXCEEDED to everyone. `enabled: false` (`--limits off`) still counts but never refuses.
 */
export class ApiLimits {
  /** Requests per minute, oldest first, over the last 24 hours. */
  private readonly buckets: Array<{ minute: number; count: number }> = [];
  private total = 0;
  /** Requests refused because the allocation was used up. */
  refused = 0;

  constructor(
    private readonly clock: Clock,
    public dailyLimit: number,
    public enabled: boolean,
  ) {}

  used(): number {
    const oldest = Math.floor((this.clock.now() - WINDOW) / MINUTE);
    while (this.buckets.length > 0 && this.buckets[0]!.minute <= oldest) this.total -= this.buckets.shift()!.count;
    return this.total;
  }

  /** Counts one request (or refuses it); returns the header value to send. */
  take(n = 1): string {
    const used = this.used();
    if (this.enabled && used + n > this.dailyLimit) {
      this.refused++;
      throw new SalesforceError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
    }
    this.add(n);
    return this.header();
  }

  /** Other integrations of the org using the allocation (a control endpoint plays them). */
  add(n: number): void {
    const minute = Math.floor(this.clock.now() / MINUTE);
    const last = this.buckets.at(-1);
    if (last && last.minute === minute) last.count += n;
    else this.buckets.push({ minute, count: n });
    this.total += n;
  }

  header(): string {
    return `api-usage=${this.used()}/${this.dailyLimit}`;
  }

  /** The `/limits` resource. */
  describe(): Record<string, { Max: number; Remaining: number }> {
    const remaining = Math.max(0, this.dailyLimit - this.used());
    return {
      DailyApiRequests: { Max: this.dailyLimit, Remaining: remaining },
      DailyBulkApiBatches: { Max: 15000, Remaining: 15000 },
      DailyBulkV2QueryFileStorageMB: { Max: 976562, Remaining: 976562 },
      DailyBulkV2QueryJobs: { Max: 10000, Remaining: 10000 },
      DailyAsyncApexExecutions: { Max: 250000, Remaining: 250000 },
      ConcurrentAsyncGetReportInstances: { Max: 200, Remaining: 200 },
      DataStorageMB: { Max: 1024, Remaining: 1000 },
      FileStorageMB: { Max: 1024, Remaining: 1024 },
      HourlyPublishedPlatformEvents: { Max: 50000, Remaining: 50000 },
      DailyDeliveredPlatformEvents: { Max: 25000, Remaining: 25000 },
      SingleEmail: { Max: 5000, Remaining: 5000 },
    };
  }
}
