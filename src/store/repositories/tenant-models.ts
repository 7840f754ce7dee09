import type { Kysely } from 'kysely';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database } from '../schema.js';

/** A tenant's current stored models as read back: the body is parsed JSON, checked by the engine before use. */
export interface StoredTenantModels {
  schemaVersion: number;
  runId: string;
  createdAt: string;
  body: unknown;
}

/** Each tenant's current stored models (what its last full run learned): one row per tenant, replaced. */
export class TenantModelRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** Replaces the tenant's models with a run's (`models` must carry a numeric `schemaVersion`). */
  async save(tenantId: string, runId: string, models: { schemaVersion: number }): Promise<void> {
    const row = {
      schemaVersion: models.schemaVersion,
      runId,
      createdAt: isoAt(this.clock),
      body: JSON.stringify(models),
    };
    await this.db
      .insertInto('tenantModels')
      .values({ tenantId, ...row })
      .onConflict((c) => c.column('tenantId').doUpdateSet(row))
      .execute();
  }

  /** Which models the tenant has now (their run and schema version), without reading their body. */
  async currentKey(tenantId: string): Promise<{ runId: string; schemaVersion: number } | undefined> {
    const row = await this.db
      .selectFrom('tenantModels')
      .select(['schemaVersion', 'runId'])
      .where('tenantId', '=', tenantId)
      .executeTakeFirst();
    return row ? { runId: row.runId, schemaVersion: Number(row.schemaVersion) } : undefined;
  }

  /** The tenant's current models, or undefined when no full run stored any. */
  async current(tenantId: string): Promise<StoredTenantModels | undefined> {
    const row = await this.db
      .selectFrom('tenantModels')
      .select(['schemaVersion', 'runId', 'createdAt', 'body'])
      .where('tenantId', '=', tenantId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      schemaVersion: Number(row.schemaVersion),
      runId: row.runId,
      createdAt: row.createdAt,
      body: JSON.parse(row.body),
    };
  }
}
