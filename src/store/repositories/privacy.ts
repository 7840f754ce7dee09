import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { ObjectType } from '../../domain/records.js';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database } from '../schema.js';
import type { StoreDialect } from '../store-dialect.js';
import { AuditLogRepository } from './audit-log.js';
import { chunk } from './chunk.js';
import { RECORD_TABLES, RecordRepository } from './records.js';

/** Tables holding rows about one record, keyed by (tenantId, objectType, recordId). */
const KEYED = [
  'scores',
  'segmentMembers',
  'actions',
  'recommendations',
  'resultHistory',
  'actionHistory',
  'holdoutHistory',
  'writebackLedger',
  'outbox',
  'workflowCallbacks',
] as const;

/**
 * JSON payloads that may quote the record inside rows about other things: the keys under which each names a
 * record (crm-agent's own CrmChangeEvent and task payloads), beside the record's email and full name.
 */
function mentions(objectType: ObjectType, recordId: string): Array<[table: string, needles: string[]]> {
  const q = JSON.stringify(recordId);
  const own = { contact: 'contactId', deal: 'dealId', company: 'companyId' } as Record<string, string | undefined>;
  const key = own[objectType];
  return [
    [
      'outbox',
      [`"recordId":${q}`, `"record":${JSON.stringify(`${objectType}:${recordId}`)}`, ...(key ? [`"${key}":${q}`] : [])],
    ],
    // A webhook event names its record in objectId, a merge's survivor in survivorId and the rest in mergedIds.
    ['webhook_inbox', [`"objectId":${q}`, `"survivorId":${q}`, `[${q}`, `,${q}`]],
  ];
}

/** What an erasure removed, per table: the audit row's detail (counts only, never values). */
export type ErasureCounts = Record<string, number>;

/**
 * The tombstone keeps a hash of the erased id, not the id: the store must not keep the erased person's CRM id,
 * yet sync must still recognise the record when a stale page or a late webhook brings it back.
 */
export function tombstoneHash(tenantId: string, objectType: string, recordId: string): string {
  return `sha256:${createHash('sha256').update(`${tenantId}\u0000${objectType}\u0000${recordId}`).digest('hex')}`;
}

/**
 * Privacy erasure: a record, every row about it (results, ledger, outbox, webhook events, workflow callbacks,
 * stage history) and every JSON payload quoting its id, email or name go; run summaries keep their counts with
 * the id replaced; a tombstone (hashed id) keeps sync from restoring it; an audit row says what was done
 * without naming the record. On SQLite the caller then runs `store.scrub()` so the bytes leave the files too.
 */
export class PrivacyRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly dialect: StoreDialect = 'sqlite',
  ) {}

  async erase(tenantId: string, objectType: ObjectType, recordId: string): Promise<ErasureCounts> {
    const counts: ErasureCounts = {};
    const count = (table: string, n: bigint | number | undefined) => {
      const rows = Number(n ?? 0);
      if (rows > 0) counts[table] = (counts[table] ?? 0) + rows;
    };
    const values = await this.identifyingValues(tenantId, objectType, recordId);

    // Tasks planned for the record: the ledger keeps them under the task key, with the record in `record`.
    const taskKeys = await this.db
      .selectFrom('writebackLedger')
      .select('recordId')
      .where('tenantId', '=', tenantId)
      .where('value', '=', `${objectType}:${recordId}`)
      .where('objectType', '=', 'task')
      .execute();
    for (const part of chunk(
      taskKeys.map((t) => t.recordId),
      500,
    )) {
      const result = await this.db
        .deleteFrom('writebackLedger')
        .where('tenantId', '=', tenantId)
        .where('objectType', '=', 'task')
        .where('recordId', 'in', part)
        .executeTakeFirst();
      count('writeback_ledger', result.numDeletedRows);
    }
    for (const table of KEYED) {
      const result = await this.db
        .deleteFrom(table)
        .where('tenantId', '=', tenantId)
        .where('objectType', '=', objectType)
        .where('recordId', '=', recordId)
        .executeTakeFirst();
      count(snake(table), result.numDeletedRows);
    }
    if (objectType === 'deal') {
      const result = await this.db
        .deleteFrom('dealStageHistory')
        .where('tenantId', '=', tenantId)
        .where('dealId', '=', recordId)
        .executeTakeFirst();
      count('deal_stage_history', result.numDeletedRows);
    }
    count(RECORD_TABLES[objectType].table, await this.countRecord(tenantId, objectType, recordId));
    await new RecordRepository(this.db, this.clock, this.dialect).remove(tenantId, objectType, [recordId]);

    for (const [table, keyed] of mentions(objectType, recordId)) {
      const matches = sql.join(
        [...keyed, ...values].map((n) => sql`payload like ${likePattern(n)} escape '!'`),
        sql` or `,
      );
      const result = await sql`delete from ${sql.table(table)} where tenant_id = ${tenantId} and (${matches})`.execute(
        this.db,
      );
      count(table, result.numAffectedRows);
    }
    // Run summaries (per-record errors) keep their counts; the id in them is replaced.
    const quoted = JSON.stringify(recordId);
    const summaries = await sql`update runs set summary = replace(summary, ${quoted}, ${'"[erased]"'})
      where tenant_id = ${tenantId} and summary like ${likePattern(quoted)} escape '!'`.execute(this.db);
    count('runs', summaries.numAffectedRows);

    await this.db
      .insertInto('privacyTombstones')
      .values({
        tenantId,
        objectType,
        recordId: tombstoneHash(tenantId, objectType, recordId),
        erasedAt: isoAt(this.clock),
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    await new AuditLogRepository(this.db, this.clock, this.dialect).append({
      tenantId,
      actor: 'crm',
      action: 'record.erased',
      detail: {
        reason: 'privacy deletion requested by the CRM',
        objectType,
        // The tombstone's hash: links the audit row to the tombstone without naming the record.
        subject: tombstoneHash(tenantId, objectType, recordId),
        rows: counts,
      },
    });
    return counts;
  }

  /** Which of `ids` were erased for privacy. */
  async tombstoned(tenantId: string, objectType: ObjectType, ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const byHash = new Map(ids.map((id) => [tombstoneHash(tenantId, objectType, id), id]));
    for (const part of chunk([...byHash.keys()], 1000)) {
      const rows = await this.db
        .selectFrom('privacyTombstones')
        .select('recordId')
        .where('tenantId', '=', tenantId)
        .where('objectType', '=', objectType)
        .where('recordId', 'in', part)
        .execute();
      for (const r of rows) found.add(byHash.get(r.recordId)!);
    }
    return found;
  }

  /** The values that identify the person behind the record in free text: email and full name (contacts, owners). */
  private async identifyingValues(tenantId: string, objectType: ObjectType, recordId: string): Promise<string[]> {
    const needles = new Set<string>();
    const record = (await new RecordRepository(this.db, this.clock, this.dialect).get(
      tenantId,
      objectType,
      recordId,
    )) as Record<string, unknown> | undefined;
    if (record) {
      const text = (v: unknown) => (typeof v === 'string' && v.trim().length >= 3 ? v.trim() : undefined);
      const fullName = [record.firstName, record.lastName].filter((v) => typeof v === 'string' && v).join(' ');
      const values = objectType === 'contact' || objectType === 'owner' ? [record.email, fullName] : [];
      if (objectType === 'owner') values.push(record.name);
      for (const value of values) {
        const found = text(value);
        if (found) needles.add(found);
      }
    }
    return [...needles];
  }

  private async countRecord(tenantId: string, objectType: ObjectType, recordId: string): Promise<number> {
    const { table } = RECORD_TABLES[objectType];
    const row = await this.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenantId', '=', tenantId)
      .where('id', '=', recordId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}

/** A LIKE pattern matching `value` anywhere, with `!` escaping the wildcards (same on SQLite and PostgreSQL). */
function likePattern(value: string): string {
  return `%${value.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
