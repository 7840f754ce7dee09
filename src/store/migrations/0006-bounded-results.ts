import { type CreateTableBuilder, type Kysely, sql } from 'kysely';
import type { StoreDialect } from '../store-dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not the current types
type Db = Kysely<any>;
// biome-ignore lint/suspicious/noExplicitAny: builder over an untyped table
type Table = CreateTableBuilder<any, any>;

/**
 * Bounded results: scores, segment membership, actions and recommendations become one current row per
 * (tenant, record[, kind]) instead of a copy per run; what changed goes to `result_history`, every action key ever
 * planned (with its outcome, for learning) to `action_history`. Existing data: the latest run of each tenant
 * becomes the current state; every action key keeps its first planning time and its outcome. Run-level results
 * (segments, forecasts, artifacts) keep their per-run tables and are pruned to the last runs by retention.
 * `audit_log_anchors` lets retention drop the oldest part of an audit chain while `verify()` still checks the rest.
 */
export async function up(db: Db, dialect: StoreDialect): Promise<void> {
  const autoId = (t: Table) =>
    dialect === 'postgres'
      ? t.addColumn('id', 'bigserial', (c) => c.primaryKey())
      : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

  // The latest run with results per tenant (the one `latestRunId` picks).
  const latest = sql`(select ra.run_id from run_artifacts ra join runs r on r.id = ra.run_id
      where ra.tenant_id = t.tenant_id and ra.name = 'health'
      order by r.started_at desc, r.id desc limit 1)`;

  await db.schema
    .createTable('action_history')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('action_key', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('segment_key', 'text')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text')
    .addPrimaryKeyConstraint('action_history_pk', ['tenant_id', 'action_key'])
    .execute();
  // One row per action key: its first planning, with the outcome any of its rows learnt.
  await sql`insert into action_history
      (tenant_id, action_key, object_type, record_id, action, segment_key, run_id, created_at, outcome)
    select a.tenant_id, a.action_key, a.object_type, a.record_id, a.action, a.segment_key, a.run_id, a.created_at,
      (select max(o.outcome) from actions o where o.tenant_id = a.tenant_id and o.action_key = a.action_key)
    from actions a
    where not exists (select 1 from actions e where e.tenant_id = a.tenant_id and e.action_key = a.action_key
      and (e.created_at < a.created_at or (e.created_at = a.created_at and e.run_id < a.run_id)))`.execute(db);

  const current: Array<{ table: string; key: string[]; build: (t: Table) => Table; columns: string }> = [
    {
      table: 'scores',
      key: ['tenant_id', 'object_type', 'record_id', 'kind'],
      build: (t) =>
        t
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('probability', 'double precision', (c) => c.notNull())
          .addColumn('reasons', 'text', (c) => c.notNull())
          .addColumn('model_version', 'text', (c) => c.notNull()),
      columns: 'kind, probability, reasons, model_version',
    },
    {
      table: 'segment_members',
      key: ['tenant_id', 'object_type', 'record_id'],
      build: (t) => t.addColumn('segment_key', 'text', (c) => c.notNull()),
      columns: 'segment_key',
    },
    {
      table: 'actions',
      key: ['tenant_id', 'object_type', 'record_id'],
      build: (t) =>
        t
          .addColumn('action_key', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('priority', 'text', (c) => c.notNull())
          .addColumn('due_date', 'text')
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('outcome', 'text')
          .addColumn('segment_key', 'text')
          .addColumn('value', 'double precision', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull()),
      columns: 'action_key, action, priority, due_date, reason, status, outcome, segment_key, value, created_at',
    },
    {
      table: 'recommendations',
      key: ['tenant_id', 'object_type', 'record_id'],
      build: (t) => t.addColumn('items', 'text', (c) => c.notNull()),
      columns: 'items',
    },
  ];
  for (const { table, key, build, columns } of current) {
    const next = `${table}_current`;
    await build(
      db.schema
        .createTable(next)
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        // The run that last changed the row.
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('object_type', 'text', (c) => c.notNull())
        .addColumn('record_id', 'text', (c) => c.notNull()),
    )
      .addPrimaryKeyConstraint(`${table}_current_pk`, key)
      .execute();
    await sql`insert into ${sql.table(next)} (tenant_id, run_id, object_type, record_id, ${sql.raw(columns)})
      select t.tenant_id, t.run_id, t.object_type, t.record_id, ${sql.raw(columns.replace(/(\w+)/g, 't.$1'))}
      from ${sql.table(table)} t where t.run_id = ${latest}`.execute(db);
    await db.schema.dropTable(table).execute();
    await db.schema.alterTable(next).renameTo(table).execute();
  }
  // The action keys' own rows carry the learnt outcome.
  await sql`update actions set outcome = (select h.outcome from action_history h
      where h.tenant_id = actions.tenant_id and h.action_key = actions.action_key)`.execute(db);

  await autoId(db.schema.createTable('result_history'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('previous', 'text')
    .addColumn('value', 'text')
    .execute();

  await db.schema
    .createTable('audit_log_anchors')
    .addColumn('chain', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text')
    .addColumn('through_id', 'bigint', (c) => c.notNull())
    .addColumn('head_hash', 'text', (c) => c.notNull())
    .addColumn('pruned_at', 'text', (c) => c.notNull())
    .execute();

  const indexes: Array<[string, string, string[]]> = [
    ['action_history_created', 'action_history', ['tenant_id', 'created_at']],
    ['action_history_record', 'action_history', ['tenant_id', 'object_type', 'record_id']],
    ['actions_key_current', 'actions', ['tenant_id', 'action_key']],
    ['result_history_at', 'result_history', ['tenant_id', 'at']],
    ['result_history_record', 'result_history', ['tenant_id', 'object_type', 'record_id']],
    // The current-state tables replaced those migration 5 indexed: the lookups by run and record again (a record
    // card, the workflow callbacks a run can complete). Segments, forecasts and artifacts keep migration 5's.
    ['scores_run_record', 'scores', ['run_id', 'object_type', 'record_id']],
    ['actions_run_record', 'actions', ['run_id', 'object_type', 'record_id']],
    ['recommendations_run_record', 'recommendations', ['run_id', 'object_type', 'record_id']],
    ['segment_members_run_record', 'segment_members', ['run_id', 'object_type', 'record_id']],
    ['outbox_retention', 'outbox', ['status', 'updated_at']],
    ['webhook_inbox_retention', 'webhook_inbox', ['status', 'processed_at']],
    ['api_usage_retention', 'api_usage', ['bucket_start']],
  ];
  for (const [name, table, columns] of indexes) {
    await db.schema.createIndex(name).on(table).columns(columns).execute();
  }

  await anchoredAuditDeletes(db, dialect);
}

/**
 * The audit log still refuses UPDATE; DELETE is allowed for a purging tenant (as before) and now also for rows at or
 * before their chain's anchor: retention first records the hash the rest of the chain starts from, then deletes.
 */
async function anchoredAuditDeletes(db: Db, dialect: StoreDialect): Promise<void> {
  const anchored = `EXISTS (SELECT 1 FROM audit_log_anchors a
      WHERE a.chain = COALESCE(OLD.tenant_id, '') AND OLD.id <= a.through_id)`;
  if (dialect === 'postgres') {
    await sql`
      CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND (EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id AND status = 'purging')
            OR ${sql.raw(anchored)}) THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only';
      END;
      $$ LANGUAGE plpgsql`.execute(db);
    return;
  }
  await sql`DROP TRIGGER audit_log_no_delete`.execute(db);
  await sql`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    WHEN NOT EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id AND status = 'purging')
      AND NOT ${sql.raw(anchored)}
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(db);
}
