import type { Kysely } from 'kysely';
import type { Clock } from '../../lib/clock.js';
import type { Database } from '../schema.js';

/** The API usage key under which every request crm-agent makes to a tenant's CRM is counted (reads and writes). */
export const API_CALLS_KEY = 'calls';

/** How long the per-request counts are kept: today's and yesterday's, whatever the time zone. */
const CALLS_KEPT_MS = 2 * 86_400_000;

/** What the dashboard's overview reads, each answer independent of how many runs came since. */
export class OverviewRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** The id of the tenant's latest run that synced (a whole cycle or a sync of its own), however old. */
  async lastSyncRunId(tenantId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('runs')
      .select('id')
      .where('tenantId', '=', tenantId)
      .where((eb) => eb.or([eb('kind', '=', 'cycle'), eb('kind', 'like', 'sync%')]))
      .orderBy('startedAt', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.id;
  }

  /**
   * Requests made to the tenant's CRM since `since` (ISO time), counted as they were answered under
   * `API_CALLS_KEY`: syncs, webhook recomputes' reads, write-backs, provisioning. Older counts are dropped on the way.
   */
  async callsSince(tenantId: string, since: string): Promise<number> {
    await this.db
      .deleteFrom('apiUsage')
      .where('tenantId', '=', tenantId)
      .where('key', '=', API_CALLS_KEY)
      .where('bucketStart', '<', new Date(this.clock.now() - CALLS_KEPT_MS).toISOString())
      .execute();
    const row = await this.db
      .selectFrom('apiUsage')
      .select((eb) => eb.fn.sum<number | string | null>('requests').as('requests'))
      .where('tenantId', '=', tenantId)
      .where('key', '=', API_CALLS_KEY)
      .where('bucketStart', '>=', since)
      .executeTakeFirst();
    return Number(row?.requests ?? 0);
  }
}
