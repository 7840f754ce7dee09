import type { Kysely } from 'kysely';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database } from '../schema.js';

/** Hashes of per-tenant endpoint secrets, one per tenant and purpose. */
export class EndpointSecretRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** The stored hash, or undefined when the tenant has none for this purpose. */
  async hash(tenantId: string, purpose: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('endpointSecrets')
      .select('secretHash')
      .where('tenantId', '=', tenantId)
      .where('purpose', '=', purpose)
      .executeTakeFirst();
    return row?.secretHash;
  }

  /** Stores `secretHash` unless the tenant already has one for `purpose`; true when stored. */
  async addIfAbsent(tenantId: string, purpose: string, secretHash: string): Promise<boolean> {
    const result = await this.db
      .insertInto('endpointSecrets')
      .values({ tenantId, purpose, secretHash, createdAt: isoAt(this.clock) })
      .onConflict((c) => c.columns(['tenantId', 'purpose']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** Replaces the tenant's secret for `purpose` (a rotation): the old one stops working at once. */
  async replace(tenantId: string, purpose: string, secretHash: string): Promise<void> {
    await this.db
      .insertInto('endpointSecrets')
      .values({ tenantId, purpose, secretHash, createdAt: isoAt(this.clock) })
      .onConflict((c) => c.columns(['tenantId', 'purpose']).doUpdateSet({ secretHash, createdAt: isoAt(this.clock) }))
      .execute();
  }
}
