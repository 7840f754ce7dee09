import { type Kysely, sql } from 'kysely';
import type { Clock } from '../../lib/clock.js';
import type { ApiUsage, ApiUsageLedger } from '../../ports/api-usage.js';
import type { Database } from '../schema.js';
import { pruneRows, tenantFilter } from './prune-rows.js';

const BUCKET_MS = 5 * 60_000;

/** crm-agent's own API requests per tenant and key, in 5-minute buckets (rolling-window budgets). */
export class ApiUsageRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /**
   * Requests in buckets that start within the window (whole buckets: errs on the side of counting more).
   * Buckets older than twice the window are dropped on the way.
   */
  async usage(tenantId: string, key: string, windowMs: number): Promise<ApiUsage> {
    const expired = new Date(this.clock.now() - 2 * windowMs).toISOString();
    await this.db
      .deleteFrom('apiUsage')
      .where('tenantId', '=', tenantId)
      .where('key', '=', key)
      .where('bucketStart', '<', expired)
      .execute();
    const since = new Date(Math.floor((this.clock.now() - windowMs) / BUCKET_MS) * BUCKET_MS).toISOString();
    const rows = await this.db
      .selectFrom('apiUsage')
      .select(['bucketStart', 'requests', 'allocation'])
      .where('tenantId', '=', tenantId)
      .where('key', '=', key)
      .where('bucketStart', '>=', since)
      .orderBy('bucketStart')
      .execute();
    let allocation: number | null = null;
    for (const row of rows) if (row.allocation !== null) allocation = Number(row.allocation);
    return { requests: rows.reduce((n, r) => n + Number(r.requests), 0), allocation };
  }

  async record(tenantId: string, key: string, requests: number, allocation: number | null): Promise<void> {
    const bucketStart = new Date(Math.floor(this.clock.now() / BUCKET_MS) * BUCKET_MS).toISOString();
    await this.db
      .insertInto('apiUsage')
      .values({ tenantId, key, bucketStart, requests, allocation })
      .onConflict((oc) =>
        oc.columns(['tenantId', 'key', 'bucketStart']).doUpdateSet({
          requests: sql`api_usage.requests + excluded.requests`,
          allocation: sql`coalesce(excluded.allocation, api_usage.allocation)`,
        }),
      )
      .execute();
  }

  /** The ledger of one tenant, as connectors see it. */
  ledger(tenantId: string): ApiUsageLedger {
    return {
      usage: (key, windowMs) => this.usage(tenantId, key, windowMs),
      record: (key, requests, allocation) => this.record(tenantId, key, requests, allocation),
    };
  }

  /** Removes usage buckets that started before `before` (every key); returns how many. */
  async prune(options: { tenantId?: string | undefined; before: string; dryRun: boolean }): Promise<number> {
    return pruneRows(
      this.db,
      'api_usage',
      sql`bucket_start < ${options.before}${tenantFilter(options.tenantId)}`,
      options.dryRun,
    );
  }
}
