import { type CreateTableBuilder, type Kysely, sql } from 'kysely';
import type { StoreDialect } from '../store-dialect.js';

// Migrations use `Kysely<any>`, as Kysely recommends: they describe the schema as it was then, not the current types.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Db = Kysely<any>;
// biome-ignore lint/suspicious/noExplicitAny: builder over an untyped table
type Table = CreateTableBuilder<any, any>;

/** The first schema: tenants, credentials, sync state, the canonical records, runs, results, write-back, inbox, audit. */
export async function up(db: Db, dialect: StoreDialect): Promise<void> {
  const autoId = (t: Table) =>
    dialect === 'postgres'
      ? t.addColumn('id', 'bigserial', (c) => c.primaryKey())
      : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('crm', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('api_base_url', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'text')
    .addUniqueConstraint('tenants_crm_external_id', ['crm', 'external_id'])
    .execute();

  await db.schema
    .createTable('credentials')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('access_token_ct', 'text', (c) => c.notNull())
    .addColumn('refresh_token_ct', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('scopes', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sync_cursors')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('watermark', 'text')
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_cursors_pk', ['tenant_id', 'stream'])
    .execute();

  await db.schema
    .createTable('run_checkpoints')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_checkpoints_pk', ['run_id', 'step'])
    .execute();

  const recordTable = (name: string, extra: (t: Table) => Table) =>
    extra(
      db.schema
        .createTable(name)
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text')
        .addColumn('updated_at', 'text')
        .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('archived_at', 'text')
        .addColumn('merged_into', 'text')
        .addColumn('properties', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('synced_at', 'text', (c) => c.notNull()),
    )
      .addPrimaryKeyConstraint(`${name}_pk`, ['tenant_id', 'id'])
      .execute();

  await recordTable('contacts', (t) =>
    t
      .addColumn('crm_object', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('first_name', 'text')
      .addColumn('last_name', 'text')
      .addColumn('company_id', 'text')
      .addColumn('owner_id', 'text')
      .addColumn('lifecycle_stage', 'text')
      .addColumn('lead_status', 'text')
      .addColumn('job_title', 'text')
      .addColumn('country', 'text')
      .addColumn('last_activity_at', 'text')
      .addColumn('email_opens', 'double precision')
      .addColumn('page_views', 'double precision'),
  );
  await recordTable('companies', (t) =>
    t
      .addColumn('name', 'text')
      .addColumn('domain', 'text')
      .addColumn('industry', 'text')
      .addColumn('employees', 'double precision')
      .addColumn('annual_revenue', 'double precision')
      .addColumn('country', 'text')
      .addColumn('owner_id', 'text'),
  );
  await recordTable('deals', (t) =>
    t
      .addColumn('name', 'text')
      .addColumn('amount', 'double precision')
      .addColumn('currency', 'text')
      .addColumn('pipeline', 'text')
      .addColumn('stage', 'text')
      .addColumn('is_closed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('is_won', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('close_date', 'text')
      .addColumn('owner_id', 'text')
      .addColumn('company_id', 'text')
      .addColumn('last_activity_at', 'text')
      .addColumn('activity_count', 'double precision'),
  );
  await recordTable('line_items', (t) =>
    t
      .addColumn('deal_id', 'text')
      .addColumn('product_id', 'text')
      .addColumn('name', 'text')
      .addColumn('quantity', 'double precision')
      .addColumn('unit_price', 'double precision')
      .addColumn('amount', 'double precision'),
  );
  await recordTable('products', (t) =>
    t.addColumn('name', 'text').addColumn('sku', 'text').addColumn('unit_price', 'double precision'),
  );
  await recordTable('owners', (t) =>
    t
      .addColumn('email', 'text')
      .addColumn('name', 'text')
      .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1)),
  );

  await db.schema
    .createTable('deal_stage_history')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('deal_id', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('entered_at', 'text', (c) => c.notNull())
    .addColumn('amount', 'double precision')
    .addPrimaryKeyConstraint('deal_stage_history_pk', ['tenant_id', 'deal_id', 'entered_at', 'stage'])
    .execute();

  await db.schema
    .createTable('associations')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('from_type', 'text', (c) => c.notNull())
    .addColumn('from_id', 'text', (c) => c.notNull())
    .addColumn('to_type', 'text', (c) => c.notNull())
    .addColumn('to_id', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull().defaultTo(''))
    .addPrimaryKeyConstraint('associations_pk', ['tenant_id', 'from_type', 'from_id', 'to_type', 'to_id', 'label'])
    .execute();

  await db.schema
    .createTable('runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('error', 'text')
    .addColumn('summary', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();

  await db.schema
    .createTable('run_stages')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('detail', 'text', (c) => c.notNull().defaultTo('{}'))
    .addPrimaryKeyConstraint('run_stages_pk', ['run_id', 'stage'])
    .execute();

  await db.schema
    .createTable('segments')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('segment_key', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('value_share', 'double precision', (c) => c.notNull())
    .addColumn('profile', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('segments_pk', ['tenant_id', 'run_id', 'segment_key'])
    .execute();

  await db.schema
    .createTable('segment_members')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('segment_key', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('segment_members_pk', ['tenant_id', 'run_id', 'object_type', 'record_id'])
    .execute();

  await db.schema
    .createTable('scores')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('probability', 'double precision', (c) => c.notNull())
    .addColumn('reasons', 'text', (c) => c.notNull())
    .addColumn('model_version', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('scores_pk', ['tenant_id', 'run_id', 'object_type', 'record_id', 'kind'])
    .execute();

  await db.schema
    .createTable('forecasts')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('series', 'text', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('lo80', 'double precision')
    .addColumn('hi80', 'double precision')
    .addColumn('lo95', 'double precision')
    .addColumn('hi95', 'double precision')
    .addColumn('model', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('forecasts_pk', ['tenant_id', 'run_id', 'series', 'period'])
    .execute();

  await db.schema
    .createTable('actions')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('action_key', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('priority', 'text', (c) => c.notNull())
    .addColumn('due_date', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text')
    .addColumn('segment_key', 'text')
    .addColumn('value', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('actions_pk', ['tenant_id', 'run_id', 'object_type', 'record_id'])
    .execute();

  await db.schema
    .createTable('writeback_ledger')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('value', 'text')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('written_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('writeback_ledger_pk', ['tenant_id', 'object_type', 'record_id', 'field'])
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('result', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('outbox_idempotency', ['tenant_id', 'idempotency_key'])
    .execute();

  await autoId(db.schema.createTable('webhook_inbox'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    .addColumn('event_key', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('processed_at', 'text')
    .addColumn('error', 'text')
    .addUniqueConstraint('webhook_inbox_event', ['provider', 'event_key'])
    .execute();

  await autoId(db.schema.createTable('audit_log'))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();

  const indexes: Array<[string, string, string[]]> = [
    ['contacts_email', 'contacts', ['tenant_id', 'email']],
    ['contacts_updated', 'contacts', ['tenant_id', 'updated_at']],
    ['companies_domain', 'companies', ['tenant_id', 'domain']],
    ['deals_updated', 'deals', ['tenant_id', 'updated_at']],
    ['line_items_deal', 'line_items', ['tenant_id', 'deal_id']],
    ['associations_to', 'associations', ['tenant_id', 'to_type', 'to_id']],
    ['runs_tenant', 'runs', ['tenant_id', 'started_at']],
    ['actions_key', 'actions', ['tenant_id', 'action_key']],
    ['outbox_pending', 'outbox', ['tenant_id', 'status']],
    ['webhook_inbox_pending', 'webhook_inbox', ['status', 'id']],
    ['audit_log_tenant', 'audit_log', ['tenant_id', 'id']],
  ];
  for (const [name, table, columns] of indexes) {
    await db.schema.createIndex(name).on(table).columns(columns).execute();
  }

  await appendOnlyAuditLog(db, dialect);
}

/**
 * The audit log refuses UPDATE always, and DELETE except for rows of a tenant whose status is `purging`
 * (uninstall + grace period: every row of the tenant goes, its audit rows included).
 */
async function appendOnlyAuditLog(db: Db, dialect: StoreDialect): Promise<void> {
  if (dialect === 'postgres') {
    await sql`
      CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id AND status = 'purging') THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only';
      END;
      $$ LANGUAGE plpgsql`.execute(db);
    await sql`CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`.execute(db);
    return;
  }
  await sql`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(db);
  await sql`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    WHEN NOT EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id AND status = 'purging')
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(db);
}
