import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Store } from '../store/open-store.js';

/** Every table that holds tenant data, read from the live schema (so a new table can't be forgotten). */
export async function tenantTables(store: Store): Promise<string[]> {
  const tables = await store.db.introspection.getTables();
  return tables
    .filter((t) => t.columns.some((c) => c.name === 'tenant_id' || c.name === 'tenantId'))
    .map((t) => t.name)
    .sort();
}

/**
 * Deletes every row of a tenant, in every table that has a tenant id (its audit chain included, which the
 * schema allows only while the tenant is `purging`), then the tenant itself. One transaction: all or nothing.
 * The system audit chain keeps a record of the purge that names no tenant data (the account id is hashed).
 * Then `store.scrub()` makes the deleted bytes unreadable from the database files too (SQLite's WAL).
 */
export async function purgeTenant(store: Store, tenantId: string, reason: string): Promise<Record<string, number>> {
  const tenant = await store.tenants.get(tenantId);
  if (!tenant) return {};
  const tables = await tenantTables(store);
  const counts = await store.transaction(async (tx, db) => {
    await tx.tenants.setStatus(tenantId, 'purging');
    const counts: Record<string, number> = {};
    for (const table of tables) {
      const result = await sql`delete from ${sql.table(table)} where tenant_id = ${tenantId}`.execute(db);
      counts[table] = Number(result.numAffectedRows ?? 0);
    }
    await db.deleteFrom('tenants').where('id', '=', tenantId).execute();
    await tx.audit.append({
      tenantId: null,
      actor: 'system',
      action: 'tenant.purged',
      detail: {
        crm: tenant.crm,
        account: createHash('sha256').update(tenant.externalId).digest('hex').slice(0, 16),
        reason,
        rows: counts,
      },
    });
    return counts;
  });
  await store.scrub();
  return counts;
}
