import { sql } from 'kysely';
import type { Store } from './open-store.js';

export interface StoreSize {
  /** Per table holding the tenant's rows: its rows and an estimate of the bytes they take (indexes included). */
  tables: Array<{ table: string; rows: number; bytes: number }>;
  totalBytes: number;
  /** How bytes were estimated: `dbstat` (SQLite pages per table), `file` (SQLite file by rows), `relation` (PostgreSQL). */
  method: 'dbstat' | 'file' | 'relation';
}

/**
 * How much of the store one tenant takes. Rows are counted exactly; bytes are each table's size (SQLite: its pages
 * from `dbstat` when the build has it, else the file's size; PostgreSQL: `pg_total_relation_size`) apportioned by
 * the tenant's share of the rows, so shared tables split fairly between tenants.
 */
export async function measureStoreSize(store: Store, tenantId: string): Promise<StoreSize> {
  const tables = (await store.db.introspection.getTables())
    .filter((t) => t.columns.some((c) => c.name === 'tenant_id'))
    .map((t) => t.name)
    .sort();
  const counts = new Map<string, { rows: number; all: number }>();
  for (const table of tables) {
    const r = await sql<{ mine: number | string | null; total: number | string }>`select
        sum(case when tenant_id = ${tenantId} then 1 else 0 end) as mine, count(*) as total
      from ${sql.table(table)}`.execute(store.db);
    counts.set(table, { rows: Number(r.rows[0]?.mine ?? 0), all: Number(r.rows[0]?.total ?? 0) });
  }
  const { bytes, method } = await tableBytes(store, tables, counts);
  const out = tables
    .map((table) => {
      const { rows, all } = counts.get(table)!;
      return { table, rows, bytes: all === 0 ? 0 : Math.round(((bytes.get(table) ?? 0) * rows) / all) };
    })
    .filter((t) => t.rows > 0);
  return { tables: out, totalBytes: out.reduce((a, t) => a + t.bytes, 0), method };
}

async function tableBytes(
  store: Store,
  tables: string[],
  counts: Map<string, { rows: number; all: number }>,
): Promise<{ bytes: Map<string, number>; method: StoreSize['method'] }> {
  const bytes = new Map<string, number>();
  if (store.dialect === 'postgres') {
    for (const table of tables) {
      const r = await sql<{ n: number | string }>`select pg_total_relation_size(${table}::regclass) as n`.execute(
        store.db,
      );
      bytes.set(table, Number(r.rows[0]?.n ?? 0));
    }
    return { bytes, method: 'relation' };
  }
  try {
    const r = await sql<{ tbl: string; n: number }>`select m.tbl_name as tbl, sum(d.pgsize) as n
      from dbstat d join sqlite_master m on m.name = d.name group by m.tbl_name`.execute(store.db);
    for (const row of r.rows) bytes.set(row.tbl, Number(row.n));
    return { bytes, method: 'dbstat' };
  } catch {
    // A SQLite build without the dbstat table: the file's used pages, shared out by rows.
    const pragma = async (name: string) =>
      Number(Object.values((await sql.raw(`pragma ${name}`).execute(store.db)).rows[0] ?? {})[0] ?? 0);
    const used = ((await pragma('page_count')) - (await pragma('freelist_count'))) * (await pragma('page_size'));
    const allRows = [...counts.values()].reduce((a, c) => a + c.all, 0);
    for (const [table, c] of counts) bytes.set(table, allRows === 0 ? 0 : (used * c.all) / allRows);
    return { bytes, method: 'file' };
  }
}
