import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not the current types
type Db = Kysely<any>;

/**
 * Schedule slots (each fires once across processes), OAuth install states, admin dashboard sessions, privacy
 * tombstones (records erased on a privacy request, which a later sync must not bring back), run artifacts (a run's
 * structured results that are not per record: data health, model quality, backtests, rules), cross-sell
 * recommendations per record, and HubSpot workflow-action executions waiting for a result (BLOCK, completed later).
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('schedule_slots')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('slot', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('claimed_by', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addPrimaryKeyConstraint('schedule_slots_pk', ['tenant_id', 'kind', 'slot'])
    .execute();

  await db.schema
    .createTable('oauth_states')
    .addColumn('state', 'text', (c) => c.primaryKey())
    .addColumn('crm', 'text', (c) => c.notNull())
    .addColumn('browser_hash', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();

  await db.schema
    .createTable('admin_sessions')
    .addColumn('id_hash', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('admin_sessions_pk', ['id_hash', 'tenant_id'])
    .execute();
  await db.schema.createIndex('admin_sessions_tenant').on('admin_sessions').column('tenant_id').execute();

  await db.schema
    .createTable('privacy_tombstones')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('erased_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('privacy_tombstones_pk', ['tenant_id', 'object_type', 'record_id'])
    .execute();

  await db.schema
    .createTable('run_artifacts')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_artifacts_pk', ['run_id', 'name'])
    .execute();

  await db.schema
    .createTable('recommendations')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('items', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('recommendations_pk', ['tenant_id', 'run_id', 'object_type', 'record_id'])
    .execute();
  await db.schema
    .createTable('workflow_callbacks')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('callback_id', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .addPrimaryKeyConstraint('workflow_callbacks_pk', ['tenant_id', 'callback_id'])
    .execute();
  await db.schema
    .createIndex('scores_record')
    .on('scores')
    .columns(['tenant_id', 'object_type', 'record_id'])
    .execute();
  await db.schema
    .createIndex('actions_record')
    .on('actions')
    .columns(['tenant_id', 'object_type', 'record_id'])
    .execute();
}
