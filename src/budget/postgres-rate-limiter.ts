import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Clock } from '../lib/clock.js';
import type { RateLease, RateLimiter, RatePolicy } from '../ports/rate-limiter.js';
import type { Database } from '../store/schema.js';
import { KeyQueue } from './key-queue.js';

/**
 * A rolling-window limiter shared by every process on one PostgreSQL store: each request taken is a row
 * (`rate_limit_events`), and a take counts the key's rows inside the window under a transaction-scoped advisory
 * lock on the key, so two processes never both take the last free request. Settling a lease moves its row to
 * the time the request finished. Rows that left the window are
 * dropped as it goes. Inside a process, takes of one key queue in order (one of them asks the database at a
 * time). Waiting goes through the clock; the processes' clocks must agree (NTP), as they do for token expiry.
 */
export class PostgresRateLimiter implements RateLimiter {
  private readonly queue = new KeyQueue();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  take(key: string, policy: RatePolicy, signal?: AbortSignal): Promise<RateLease> {
    return this.queue.run(key, () => this.takeInTurn(key, policy, signal));
  }

  private async takeInTurn(key: string, policy: RatePolicy, signal?: AbortSignal): Promise<RateLease> {
    const lease = randomUUID();
    for (;;) {
      signal?.throwIfAborted();
      const waitMs = await this.db.transaction().execute(async (tx) => {
        await sql`select pg_advisory_xact_lock(hashtext(${`rate-limit:${key}`}))`.execute(tx);
        const now = Math.floor(this.clock.now());
        await tx
          .deleteFrom('rateLimitEvents')
          .where('key', '=', key)
          .where('takenAt', '<=', now - policy.windowMs)
          .execute();
        const row = await tx
          .selectFrom('rateLimitEvents')
          .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min<number | null>('takenAt').as('oldest')])
          .where('key', '=', key)
          .executeTakeFirstOrThrow();
        if (Number(row.n) < policy.limit) {
          await tx.insertInto('rateLimitEvents').values({ key, takenAt: now, lease }).execute();
          return 0;
        }
        return Number(row.oldest) + policy.windowMs - now;
      });
      if (waitMs <= 0) {
        return {
          settle: async () => {
            await this.db
              .updateTable('rateLimitEvents')
              .set({ takenAt: Math.floor(this.clock.now()) })
              .where('lease', '=', lease)
              .execute();
          },
        };
      }
      await this.clock.sleep(waitMs, signal);
    }
  }
}
