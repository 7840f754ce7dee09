import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not the current types
type Db = Kysely<any>;

/**
 * Each tenant's current stored models (src/engine/models/): what its last full run learned, as JSON text, with
 * the schema version of that JSON, so webhook recomputes score a few records without refitting. One row per
 * tenant, replaced by every full run.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('tenant_models')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey())
    .addColumn('schema_version', 'integer', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .execute();
}
