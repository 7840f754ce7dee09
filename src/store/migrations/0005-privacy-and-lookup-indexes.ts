import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not the current types
type Db = Kysely<any>;

/**
 * Indexes for the lookups a webhook burst or a record card makes (results of one run by run id and record, a
 * tenant's pending inbox events, pending workflow callbacks) and for erasing one record everywhere (by tenant,
 * object type and record id); and privacy tombstones that keep a hash of the erased id instead of the id itself.
 */
export async function up(db: Db): Promise<void> {
  const indexes: Array<[string, string, string[]]> = [
    ['scores_run_record', 'scores', ['run_id', 'object_type', 'record_id']],
    ['actions_run_record', 'actions', ['run_id', 'object_type', 'record_id']],
    ['recommendations_run_record', 'recommendations', ['run_id', 'object_type', 'record_id']],
    ['recommendations_record', 'recommendations', ['tenant_id', 'object_type', 'record_id']],
    ['segment_members_run_record', 'segment_members', ['run_id', 'object_type', 'record_id']],
    ['segment_members_record', 'segment_members', ['tenant_id', 'object_type', 'record_id']],
    ['segments_run', 'segments', ['run_id']],
    ['forecasts_run', 'forecasts', ['run_id', 'series', 'period']],
    ['run_artifacts_tenant_name', 'run_artifacts', ['tenant_id', 'name']],
    ['outbox_record', 'outbox', ['tenant_id', 'object_type', 'record_id']],
    ['writeback_ledger_value', 'writeback_ledger', ['tenant_id', 'value']],
    ['webhook_inbox_tenant_pending', 'webhook_inbox', ['tenant_id', 'status', 'id']],
    ['workflow_callbacks_pending', 'workflow_callbacks', ['tenant_id', 'completed_at', 'expires_at']],
    ['workflow_callbacks_record', 'workflow_callbacks', ['tenant_id', 'object_type', 'record_id']],
  ];
  for (const [name, table, columns] of indexes) {
    await db.schema.createIndex(name).on(table).columns(columns).execute();
  }

  // Tombstones written before this migration hold the erased id in clear: keep only its hash.
  const rows = await db.selectFrom('privacy_tombstones').select(['tenant_id', 'object_type', 'record_id']).execute();
  for (const row of rows) {
    await db
      .updateTable('privacy_tombstones')
      .set({ record_id: tombstoneHash(row.tenant_id, row.object_type, row.record_id) })
      .where('tenant_id', '=', row.tenant_id)
      .where('object_type', '=', row.object_type)
      .where('record_id', '=', row.record_id)
      .execute();
  }
}

/** Frozen copy of the hash privacy.ts writes (a shipped migration never changes, even if that code does). */
function tombstoneHash(tenantId: string, objectType: string, recordId: string): string {
  return `sha256:${createHash('sha256').update(`${tenantId}\u0000${objectType}\u0000${recordId}`).digest('hex')}`;
}
