import { type Kysely, sql } from 'kysely';
import type { Association, DealStageChange, ObjectType, RecordByType } from '../../domain/records.js';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database } from '../schema.js';
import type { StoreDialect } from '../store-dialect.js';
import { chunk, rowsPerStatement } from './chunk.js';
import { fromJson, toJson } from './json.js';

type RecordTable = 'contacts' | 'companies' | 'deals' | 'lineItems' | 'products' | 'owners';

/** Which table holds each object type, and which of its columns are booleans stored as 0/1. */
export const RECORD_TABLES: Record<ObjectType, { table: RecordTable; booleans: readonly string[] }> = {
  contact: { table: 'contacts', booleans: [] },
  company: { table: 'companies', booleans: [] },
  deal: { table: 'deals', booleans: ['isClosed', 'isWon'] },
  line_item: { table: 'lineItems', booleans: [] },
  product: { table: 'products', booleans: [] },
  owner: { table: 'owners', booleans: ['active'] },
};

type Row = Record<string, unknown>;

/** The local copy of the CRM: canonical records per tenant, upserted by the CRM's id. */
export class RecordRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly dialect: StoreDialect = 'sqlite',
  ) {}

  /** Inserts or replaces records by (tenant, CRM id). */
  async upsert<T extends ObjectType>(tenantId: string, type: T, records: readonly RecordByType[T][]): Promise<void> {
    if (records.length === 0) return;
    const { table, booleans } = RECORD_TABLES[type];
    const syncedAt = isoAt(this.clock);
    const rows = records.map((record) => toRow(tenantId, record as unknown as Row, booleans, syncedAt));
    const columns = Object.keys(rows[0]!);
    const updatable = columns.filter((c) => c !== 'tenantId' && c !== 'id');
    for (const part of chunk(rows, rowsPerStatement(columns.length))) {
      await this.db
        .insertInto(table)
        .values(part as never)
        .onConflict((oc) =>
          oc
            .columns(['tenantId', 'id'])
            .doUpdateSet(Object.fromEntries(updatable.map((c) => [c, sql.ref(`excluded.${toSnake(c)}`)])) as never),
        )
        .execute();
    }
  }

  async get<T extends ObjectType>(tenantId: string, type: T, id: string): Promise<RecordByType[T] | undefined> {
    const { table, booleans } = RECORD_TABLES[type];
    const row = await this.db
      .selectFrom(table)
      .selectAll()
      .where('tenantId', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && (fromRow(row as Row, booleans) as unknown as RecordByType[T]);
  }

  /** The local copies of some records by id (those the store has). */
  async getMany<T extends ObjectType>(
    tenantId: string,
    type: T,
    ids: readonly string[],
  ): Promise<Map<string, RecordByType[T]>> {
    const { table, booleans } = RECORD_TABLES[type];
    const out = new Map<string, RecordByType[T]>();
    for (const part of chunk(ids, 500)) {
      const rows = await this.db
        .selectFrom(table)
        .selectAll()
        .where('tenantId', '=', tenantId)
        .where('id', 'in', part)
        .execute();
      for (const row of rows) out.set(String(row.id), fromRow(row as Row, booleans) as unknown as RecordByType[T]);
    }
    return out;
  }

  /**
   * Sets some raw properties of records already in the store (crm-agent's own values, once the CRM took them), leaving
   * everything else, the sync time included, as it was. Records the store does not have are left out.
   */
  async setProperties(
    tenantId: string,
    type: ObjectType,
    updates: ReadonlyArray<{ id: string; properties: Record<string, string | null> }>,
  ): Promise<void> {
    const { table } = RECORD_TABLES[type];
    const held = new Map<string, string>();
    for (const part of chunk(
      updates.map((u) => u.id),
      500,
    )) {
      const rows = await this.db
        .selectFrom(table)
        .select(['id', 'properties'])
        .where('tenantId', '=', tenantId)
        .where('id', 'in', part)
        .execute();
      for (const row of rows) held.set(String(row.id), String(row.properties));
    }
    for (const update of updates) {
      const current = held.get(update.id);
      if (current === undefined) continue;
      const properties = { ...fromJson<Record<string, string | null>>(current, {}), ...update.properties };
      await this.db
        .updateTable(table)
        .set({ properties: toJson(properties) } as never)
        .where('tenantId', '=', tenantId)
        .where('id', '=', update.id)
        .execute();
    }
  }

  /** Every record of a type for a tenant, archived ones only when asked, in id order. */
  async list<T extends ObjectType>(
    tenantId: string,
    type: T,
    options: { includeArchived?: boolean } = {},
  ): Promise<RecordByType[T][]> {
    const { table, booleans } = RECORD_TABLES[type];
    let query = this.db.selectFrom(table).selectAll().where('tenantId', '=', tenantId);
    if (!options.includeArchived) query = query.where('archived', '=', 0);
    const rows = await query.orderBy('id').execute();
    return rows.map((row) => fromRow(row as Row, booleans) as unknown as RecordByType[T]);
  }

  /** The records of a type with these ids (archived ones only when asked), in id order. */
  async listByIds<T extends ObjectType>(
    tenantId: string,
    type: T,
    ids: readonly string[],
    options: { includeArchived?: boolean } = {},
  ): Promise<RecordByType[T][]> {
    const { table, booleans } = RECORD_TABLES[type];
    const out: RecordByType[T][] = [];
    for (const part of chunk([...new Set(ids)], 1000)) {
      let query = this.db.selectFrom(table).selectAll().where('tenantId', '=', tenantId).where('id', 'in', part);
      if (!options.includeArchived) query = query.where('archived', '=', 0);
      const rows = await query.execute();
      for (const row of rows) out.push(fromRow(row as Row, booleans) as unknown as RecordByType[T]);
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async count(tenantId: string, type: ObjectType, options: { includeArchived?: boolean } = {}): Promise<number> {
    const { table } = RECORD_TABLES[type];
    let query = this.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenantId', '=', tenantId);
    if (!options.includeArchived) query = query.where('archived', '=', 0);
    const row = await query.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Marks records archived (deleted in the CRM); `mergedInto` names the survivor of a merge. */
  async archive(
    tenantId: string,
    type: ObjectType,
    ids: readonly string[],
    at: string,
    mergedInto: string | null = null,
  ): Promise<void> {
    const { table } = RECORD_TABLES[type];
    for (const part of chunk(ids, 1000)) {
      await this.db
        .updateTable(table)
        .set({ archived: 1, archivedAt: at, mergedInto, syncedAt: isoAt(this.clock) })
        .where('tenantId', '=', tenantId)
        .where('id', 'in', part)
        .execute();
    }
  }

  /**
   * After `mergedId` was merged into `survivorId`: links pointing at the merged record and the company/deal
   * references to it now point at the survivor (as they do in the CRM).
   */
  async remapMerged(tenantId: string, type: ObjectType, mergedId: string, survivorId: string): Promise<void> {
    // SQLite, without statistics, would scan the tenant's links by primary key instead of the target index.
    const byTarget =
      this.dialect === 'sqlite' ? sql.raw('associations indexed by associations_to_covering') : sql.raw('associations');
    await sql`insert into associations (tenant_id, from_type, from_id, to_type, to_id, label)
      select tenant_id, from_type, from_id, to_type, ${survivorId}, label from ${byTarget}
      where tenant_id = ${tenantId} and to_type = ${type} and to_id = ${mergedId}
      on conflict do nothing`.execute(this.db);
    await sql`delete from ${byTarget}
      where tenant_id = ${tenantId} and to_type = ${type} and to_id = ${mergedId}`.execute(this.db);
    const references: Array<['contacts' | 'deals' | 'lineItems', 'companyId' | 'dealId']> =
      type === 'company'
        ? [
            ['contacts', 'companyId'],
            ['deals', 'companyId'],
          ]
        : type === 'deal'
          ? [['lineItems', 'dealId']]
          : [];
    for (const [table, column] of references) {
      await this.db
        .updateTable(table)
        .set({ [column]: survivorId } as never)
        .where('tenantId', '=', tenantId)
        .where(column as never, '=', mergedId as never)
        .execute();
    }
  }

  /** For ids of `type` that were merged away locally, the record each now lives on (following chains of merges). */
  async survivors(tenantId: string, type: ObjectType, ids: readonly string[]): Promise<Map<string, string>> {
    const { table } = RECORD_TABLES[type];
    const out = new Map<string, string>();
    let pending = [...new Set(ids)];
    for (let hop = 0; hop < 10 && pending.length > 0; hop++) {
      const found = new Map<string, string>();
      for (const part of chunk(pending, 1000)) {
        const rows = await this.db
          .selectFrom(table)
          .select(['id', 'mergedInto'])
          .where('tenantId', '=', tenantId)
          .where('id', 'in', part)
          .where('mergedInto', 'is not', null)
          .execute();
        for (const row of rows) found.set(row.id, row.mergedInto!);
      }
      for (const [from, to] of found) {
        for (const [origin, current] of out) if (current === from) out.set(origin, to);
        if (!out.has(from)) out.set(from, to);
      }
      pending = [...new Set(found.values())];
    }
    return out;
  }

  /** Archives every live record of `type` last written before `notSyncedSince`; returns how many. */
  async archiveNotSyncedSince(tenantId: string, type: ObjectType, notSyncedSince: string, at: string): Promise<number> {
    const { table } = RECORD_TABLES[type];
    const result = await this.db
      .updateTable(table)
      .set({ archived: 1, archivedAt: at })
      .where('tenantId', '=', tenantId)
      .where('archived', '=', 0)
      .where('syncedAt', '<', notSyncedSince)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Removes records outright (privacy deletion): they and their associations are gone. */
  async remove(tenantId: string, type: ObjectType, ids: readonly string[]): Promise<void> {
    const { table } = RECORD_TABLES[type];
    for (const part of chunk(ids, 1000)) {
      await this.db.deleteFrom(table).where('tenantId', '=', tenantId).where('id', 'in', part).execute();
      await this.db
        .deleteFrom('associations')
        .where('tenantId', '=', tenantId)
        .where((eb) =>
          eb.or([
            eb.and([eb('fromType', '=', type), eb('fromId', 'in', part)]),
            eb.and([eb('toType', '=', type), eb('toId', 'in', part)]),
          ]),
        )
        .execute();
    }
  }

  /** Sets the associations from each given record to `toType` to exactly `links` (others of that pair are removed). */
  async replaceAssociations(
    tenantId: string,
    fromType: ObjectType,
    fromIds: readonly string[],
    toType: ObjectType,
    links: readonly Association[],
  ): Promise<void> {
    for (const part of chunk(fromIds, 1000)) {
      await this.db
        .deleteFrom('associations')
        .where('tenantId', '=', tenantId)
        .where('fromType', '=', fromType)
        .where('toType', '=', toType)
        .where('fromId', 'in', part)
        .execute();
    }
    const rows = links.map((link) => ({ tenantId, ...link }));
    for (const part of chunk(rows, rowsPerStatement(6))) {
      await this.db
        .insertInto('associations')
        .values(part)
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }

  /**
   * The links from records of `fromType` into each of `toIds` (of `toType`), as seen from the target's side: a
   * local link into one of them whose source is not in `keep` is removed. Links are not added (the source's own
   * read writes them, with their labels). Returns how many were removed.
   */
  async pruneAssociationsTo(
    tenantId: string,
    fromType: ObjectType,
    toType: ObjectType,
    toIds: readonly string[],
    keep: ReadonlyArray<{ fromId: string; toId: string }>,
  ): Promise<number> {
    const kept = new Set(keep.map((k) => `${k.fromId}>${k.toId}`));
    let removed = 0;
    for (const part of chunk(toIds, 1000)) {
      const rows = await this.db
        .selectFrom('associations')
        .select(['fromId', 'toId'])
        .where('tenantId', '=', tenantId)
        .where('fromType', '=', fromType)
        .where('toType', '=', toType)
        .where('toId', 'in', part)
        .execute();
      const stale = rows.filter((r) => !kept.has(`${r.fromId}>${r.toId}`));
      const staleFrom = new Map<string, string[]>();
      for (const row of stale) {
        const fromIds = staleFrom.get(row.toId) ?? [];
        fromIds.push(row.fromId);
        staleFrom.set(row.toId, fromIds);
      }
      for (const [toId, fromIds] of staleFrom) {
        for (const some of chunk(fromIds)) {
          await this.db
            .deleteFrom('associations')
            .where('tenantId', '=', tenantId)
            .where('fromType', '=', fromType)
            .where('toType', '=', toType)
            .where('toId', '=', toId)
            .where('fromId', 'in', some)
            .execute();
        }
      }
      removed += stale.length;
    }
    return removed;
  }

  /** Every association of a tenant. */
  async allAssociations(tenantId: string): Promise<Association[]> {
    const rows = await this.db
      .selectFrom('associations')
      .select(['fromType', 'fromId', 'toType', 'toId', 'label'])
      .where('tenantId', '=', tenantId)
      .orderBy('fromType')
      .orderBy('fromId')
      .orderBy('toType')
      .orderBy('toId')
      .execute();
    return rows as Association[];
  }

  /** Ids of the live records of `type` (contacts or deals) that name one of these companies as theirs. */
  async idsOfCompanies(tenantId: string, type: 'contact' | 'deal', companyIds: readonly string[]): Promise<string[]> {
    const table = type === 'contact' ? 'contacts' : 'deals';
    const out: string[] = [];
    for (const part of chunk([...new Set(companyIds)])) {
      const rows = await this.db
        .selectFrom(table)
        .select('id')
        .where('tenantId', '=', tenantId)
        .where('companyId', 'in', part)
        .where('archived', '=', 0)
        .execute();
      for (const row of rows) out.push(String(row.id));
    }
    return out;
  }

  /** The links of these records of a type, in either direction. */
  async associationsOf(tenantId: string, type: ObjectType, ids: readonly string[]): Promise<Association[]> {
    const out = new Map<string, Association>();
    for (const part of chunk([...new Set(ids)], 500)) {
      for (const end of ['from', 'to'] as const) {
        const rows = await this.db
          .selectFrom('associations')
          .select(['fromType', 'fromId', 'toType', 'toId', 'label'])
          .where('tenantId', '=', tenantId)
          .where(end === 'from' ? 'fromType' : 'toType', '=', type)
          .where(end === 'from' ? 'fromId' : 'toId', 'in', part)
          .execute();
        for (const a of rows as Association[]) out.set(`${a.fromType}:${a.fromId}:${a.toType}:${a.toId}:${a.label}`, a);
      }
    }
    return [...out.values()];
  }

  async listAssociations(tenantId: string, fromType: ObjectType, toType: ObjectType): Promise<Association[]> {
    const rows = await this.db
      .selectFrom('associations')
      .select(['fromType', 'fromId', 'toType', 'toId', 'label'])
      .where('tenantId', '=', tenantId)
      .where('fromType', '=', fromType)
      .where('toType', '=', toType)
      .orderBy('fromId')
      .orderBy('toId')
      .orderBy('label')
      .execute();
    return rows as Association[];
  }

  async addStageHistory(tenantId: string, changes: readonly DealStageChange[]): Promise<void> {
    const rows = changes.map((change) => ({ tenantId, ...change }));
    for (const part of chunk(rows, rowsPerStatement(5))) {
      await this.db
        .insertInto('dealStageHistory')
        .values(part)
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }

  /** The (live) line items of these deals, in id order. */
  async lineItemsOfDeals(tenantId: string, dealIds: readonly string[]): Promise<RecordByType['line_item'][]> {
    const out: RecordByType['line_item'][] = [];
    for (const part of chunk([...new Set(dealIds)], 1000)) {
      const rows = await this.db
        .selectFrom('lineItems')
        .selectAll()
        .where('tenantId', '=', tenantId)
        .where('dealId', 'in', part)
        .where('archived', '=', 0)
        .execute();
      for (const row of rows) out.push(fromRow(row as Row, []) as unknown as RecordByType['line_item']);
    }
    // Sorted here: an `order by id` made SQLite walk the tenant's line items in primary-key order instead of
    // searching the (tenant, deal) index.
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The stage history of these deals. */
  async stageHistoryOf(tenantId: string, dealIds: readonly string[]): Promise<DealStageChange[]> {
    const out: DealStageChange[] = [];
    for (const part of chunk([...new Set(dealIds)], 1000)) {
      out.push(
        ...(await this.db
          .selectFrom('dealStageHistory')
          .select(['dealId', 'stage', 'enteredAt', 'amount'])
          .where('tenantId', '=', tenantId)
          .where('dealId', 'in', part)
          .orderBy('dealId')
          .orderBy('enteredAt')
          .execute()),
      );
    }
    return out;
  }

  async listStageHistory(tenantId: string): Promise<DealStageChange[]> {
    return this.db
      .selectFrom('dealStageHistory')
      .select(['dealId', 'stage', 'enteredAt', 'amount'])
      .where('tenantId', '=', tenantId)
      .orderBy('dealId')
      .orderBy('enteredAt')
      .execute();
  }
}

function toRow(tenantId: string, record: Row, booleans: readonly string[], syncedAt: string): Row {
  const row: Row = {
    tenantId,
    ...record,
    archived: record.archived ? 1 : 0,
    properties: toJson(record.properties),
    syncedAt,
  };
  for (const column of booleans) row[column] = record[column] ? 1 : 0;
  return row;
}

function fromRow(row: Row, booleans: readonly string[]): Row {
  const { tenantId: _tenant, syncedAt: _synced, ...rest } = row;
  const record: Row = { ...rest, archived: row.archived === 1, properties: fromJson(row.properties as string, {}) };
  for (const column of booleans) record[column] = row[column] === 1;
  return record;
}

function toSnake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
