import { existsSync, readFileSync } from 'node:fs';
import { sql } from 'kysely';
import type { Store } from '../../src/store/open-store.js';

/**
 * Where any of `needles` (an erased record's id, email, name) can still be found: every row of every table the
 * live schema has (listed from the database, so a table added later is searched too), and on SQLite the raw
 * bytes of the database file and its WAL. Returns one line per hit, e.g. `table outbox: <needle>`.
 */
export async function erasedTraces(store: Store, needles: readonly string[]): Promise<string[]> {
  const hits: string[] = [];
  const tables = await store.db.introspection.getTables();
  for (const table of tables) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table.name)}`.execute(store.db);
    const text = JSON.stringify(rows.rows);
    for (const needle of needles) if (text.includes(needle)) hits.push(`table ${table.name}: ${needle}`);
  }
  if (store.dialect === 'sqlite') {
    const path = store.location.replace(/^sqlite:/, '');
    for (const file of [path, `${path}-wal`]) {
      if (!existsSync(file)) continue;
      const bytes = readFileSync(file);
      for (const needle of needles)
        if (bytes.includes(Buffer.from(needle, 'utf8'))) hits.push(`file ${file}: ${needle}`);
    }
  }
  return hits;
}
