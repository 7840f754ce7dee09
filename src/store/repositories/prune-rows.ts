import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../schema.js';

/** Deletes the rows of `table` matching `where` and returns how many; with `dryRun`, only counts them. */
export async function pruneRows(
  db: Kysely<Database>,
  table: string,
  where: RawBuilder<unknown>,
  dryRun: boolean,
): Promise<number> {
  if (dryRun) {
    const result = await sql<{
      n: number | string;
    }>`select count(*) as n from ${sql.table(table)} where ${where}`.execute(db);
    return Number(result.rows[0]?.n ?? 0);
  }
  const result = await sql`delete from ${sql.table(table)} where ${where}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** `and tenant_id = …` when a tenant is given, nothing otherwise. */
export function tenantFilter(tenantId: string | undefined, column = 'tenant_id'): RawBuilder<unknown> {
  return tenantId === undefined ? sql`` : sql` and ${sql.ref(column)} = ${tenantId}`;
}
