import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not the current types
type Db = Kysely<any>;

/**
 * Named locks shared by every process on one SQLite file (a CLI `run` beside a running `serve`): a row is a lease
 * held by one process, renewed while it works. PostgreSQL keeps using advisory locks and never writes here.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('process_locks')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}
