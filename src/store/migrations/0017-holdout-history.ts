import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not the current types
type Db = Kysely<any>;

/**
 * The control group's exposures: each (record, action) a run would have planned for a record of the tenant's
 * holdout, with when it first would have (src/engine/lift/). One row per record and action, like `action_history`
 * for the treated ones, so it grows with the records, not the runs; pruned past the learning window.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('holdout_history')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('segment_key', 'text')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('holdout_history_pk', ['tenant_id', 'object_type', 'record_id', 'action'])
    .execute();
  await db.schema
    .createIndex('holdout_history_created')
    .on('holdout_history')
    .columns(['tenant_id', 'created_at'])
    .execute();
}
