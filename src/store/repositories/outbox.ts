import { randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database, OutboxTable } from '../schema.js';
import { chunk, rowsPerStatement } from './chunk.js';
import { fromJson, toJson } from './json.js';
import { pruneRows, tenantFilter } from './prune-rows.js';

export type OutboxKind = 'fields' | 'task' | 'task_close' | 'trigger';

export interface OutboxItem {
  id: string;
  runId: string;
  kind: OutboxKind;
  objectType: string;
  recordId: string;
  idempotencyKey: string;
  payload: Record<string, unknown>;
  status: string;
  attempts: number;
  lastError: string | null;
  result: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewOutboxItem {
  runId: string;
  kind: OutboxKind;
  objectType: string;
  recordId: string;
  idempotencyKey: string;
  payload: Record<string, unknown>;
}

/** Planned CRM writes, stored before any call is made. Sending claims them, and records each one's outcome. */
export class OutboxRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /**
   * Adds items (one per idempotency key: planning the same write twice stores it once). A newer field update of a
   * record supersedes any older one still waiting, so an older run can never overwrite a newer one.
   */
  async add(tenantId: string, items: readonly NewOutboxItem[]): Promise<number> {
    const now = isoAt(this.clock);
    const fieldRecords = items.filter((i) => i.kind === 'fields');
    for (const part of chunk(fieldRecords, 500)) {
      for (const objectType of new Set(part.map((i) => i.objectType))) {
        await this.db
          .updateTable('outbox')
          .set({ status: 'superseded', updatedAt: now })
          .where('tenantId', '=', tenantId)
          .where('kind', '=', 'fields')
          .where('objectType', '=', objectType)
          .where('status', 'in', ['pending', 'in_flight'])
          .where(
            'recordId',
            'in',
            part.filter((i) => i.objectType === objectType).map((i) => i.recordId),
          )
          .execute();
      }
    }
    let added = 0;
    const rows = items.map((i) => ({
      id: randomUUID(),
      tenantId,
      ...i,
      kind: i.kind as OutboxTable['kind'],
      payload: toJson(i.payload),
      status: 'pending' as const,
      attempts: 0,
      lastError: null,
      result: null,
      createdAt: now,
      updatedAt: now,
    }));
    for (const part of chunk(rows, rowsPerStatement(14))) {
      const result = await this.db
        .insertInto('outbox')
        .values(part)
        .onConflict((oc) => oc.columns(['tenantId', 'idempotencyKey']).doNothing())
        .executeTakeFirst();
      added += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return added;
  }

  /**
   * Takes up to `limit` items of a kind (and object type) to send: waiting ones, and ones a crashed sender left
   * in flight. Marks them in flight and counts the attempt.
   */
  async claim(tenantId: string, kind: OutboxKind, objectType: string | null, limit: number): Promise<OutboxItem[]> {
    let query = this.db
      .selectFrom('outbox')
      .selectAll()
      .where('tenantId', '=', tenantId)
      .where('kind', '=', kind as OutboxTable['kind'])
      .where('status', 'in', ['pending', 'in_flight']);
    if (objectType !== null) query = query.where('objectType', '=', objectType);
    const rows = await query.orderBy('createdAt').orderBy('id').limit(limit).execute();
    if (rows.length === 0) return [];
    const updatedAt = isoAt(this.clock);
    for (const part of chunk(rows.map((r) => r.id))) {
      await this.db
        .updateTable('outbox')
        .set((eb) => ({ status: 'in_flight', attempts: eb('attempts', '+', 1), updatedAt }))
        .where('id', 'in', part)
        .execute();
    }
    return rows.map((r) => toItem({ ...r, status: 'in_flight', attempts: r.attempts + 1 }));
  }

  /** Object types with items waiting, per kind. */
  async waiting(tenantId: string): Promise<Array<{ kind: OutboxKind; objectType: string; n: number }>> {
    const rows = await this.db
      .selectFrom('outbox')
      .select(['kind', 'objectType', (eb) => eb.fn.countAll<number>().as('n')])
      .where('tenantId', '=', tenantId)
      .where('status', 'in', ['pending', 'in_flight'])
      .groupBy(['kind', 'objectType'])
      .execute();
    return rows.map((r) => ({ kind: r.kind as OutboxKind, objectType: r.objectType, n: Number(r.n) }));
  }

  async finish(
    id: string,
    status: 'sent' | 'failed' | 'dead' | 'pending',
    details: { result?: Record<string, unknown>; error?: string } = {},
  ): Promise<void> {
    await this.db
      .updateTable('outbox')
      .set({
        status,
        updatedAt: isoAt(this.clock),
        ...(details.result ? { result: toJson(details.result) } : {}),
        ...(details.error !== undefined ? { lastError: details.error } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  /** Returns claimed items to waiting (the batch could not be sent now, e.g. the token was revoked). */
  async release(ids: readonly string[]): Promise<void> {
    for (const part of chunk(ids, 1000)) {
      await this.db
        .updateTable('outbox')
        .set({ status: 'pending', updatedAt: isoAt(this.clock) })
        .where('id', 'in', part)
        .execute();
    }
  }

  async list(
    tenantId: string,
    options: { status?: string[]; limit?: number; runId?: string } = {},
  ): Promise<OutboxItem[]> {
    let query = this.db.selectFrom('outbox').selectAll().where('tenantId', '=', tenantId);
    if (options.status) query = query.where('status', 'in', options.status as OutboxTable['status'][]);
    if (options.runId) query = query.where('runId', '=', options.runId);
    const rows = await query
      .orderBy('updatedAt', 'desc')
      .orderBy('id')
      .limit(options.limit ?? 200)
      .execute();
    return rows.map(toItem);
  }

  async counts(tenantId: string): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('outbox')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('tenantId', '=', tenantId)
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Removes finished items (sent, dead, superseded) last touched before `before`; returns how many. */
  async prune(options: { tenantId?: string | undefined; before: string; dryRun: boolean }): Promise<number> {
    return pruneRows(
      this.db,
      'outbox',
      sql`status in ('sent', 'dead', 'superseded') and updated_at < ${options.before}${tenantFilter(options.tenantId)}`,
      options.dryRun,
    );
  }
}

function toItem(row: Selectable<OutboxTable>): OutboxItem {
  const { tenantId: _t, ...rest } = row;
  return {
    ...rest,
    kind: rest.kind as OutboxKind,
    payload: fromJson(row.payload, {}),
    result: row.result ? fromJson(row.result, {}) : null,
  };
}
