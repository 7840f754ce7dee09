import { type Kysely, type Selectable, sql } from 'kysely';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database, WebhookInboxTable } from '../schema.js';
import { chunk, rowsPerStatement } from './chunk.js';
import { pruneRows, tenantFilter } from './prune-rows.js';

export type InboxEvent = Selectable<WebhookInboxTable>;

export interface InboxInput {
  provider: string;
  tenantId: string | null;
  /** The sender's event id; a redelivery of the same event is stored once. */
  eventKey: string;
  payload: string;
}

/** Webhook events stored before the sender gets its 2xx, deduplicated by (provider, eventKey). */
export class WebhookInboxRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** Stores the events not seen before; returns how many were new. */
  async add(events: readonly InboxInput[]): Promise<number> {
    if (events.length === 0) return 0;
    const receivedAt = isoAt(this.clock);
    const rows = events.map((e) => ({ ...e, receivedAt, status: 'pending' as const, processedAt: null, error: null }));
    let added = 0;
    for (const part of chunk(rows, rowsPerStatement(8))) {
      const result = await this.db
        .insertInto('webhookInbox')
        .values(part)
        .onConflict((oc) => oc.columns(['provider', 'eventKey']).doNothing())
        .executeTakeFirst();
      added += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return added;
  }

  async pending(limit: number): Promise<InboxEvent[]> {
    return this.db
      .selectFrom('webhookInbox')
      .selectAll()
      .where('status', '=', 'pending')
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** A tenant's waiting events, oldest first. */
  async pendingFor(tenantId: string, limit: number): Promise<InboxEvent[]> {
    return this.db
      .selectFrom('webhookInbox')
      .selectAll()
      .where('tenantId', '=', tenantId)
      .where('status', '=', 'pending')
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** When the tenant's newest waiting event arrived (ms since the epoch), or undefined when none waits. */
  async newestPendingAt(tenantId: string): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('webhookInbox')
      .select('receivedAt')
      .where('tenantId', '=', tenantId)
      .where('status', '=', 'pending')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? Date.parse(row.receivedAt) : undefined;
  }

  /** Tenants with waiting events (the periodic sweep picks up what a crashed process left). */
  async tenantsWithPending(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('webhookInbox')
      .select('tenantId')
      .distinct()
      .where('status', '=', 'pending')
      .where('tenantId', 'is not', null)
      .execute();
    return rows.map((r) => r.tenantId!);
  }

  async markDone(ids: readonly number[]): Promise<void> {
    for (const part of chunk(ids)) {
      await this.db
        .updateTable('webhookInbox')
        .set({ status: 'done', processedAt: isoAt(this.clock), error: null })
        .where('id', 'in', part)
        .execute();
    }
  }

  /** Deletes events outright (events about a record erased for privacy keep none of their payload). */
  async remove(ids: readonly number[]): Promise<void> {
    for (const part of chunk(ids)) await this.db.deleteFrom('webhookInbox').where('id', 'in', part).execute();
  }

  async markFailed(id: number, error: string): Promise<void> {
    await this.db
      .updateTable('webhookInbox')
      .set({ status: 'failed', processedAt: isoAt(this.clock), error })
      .where('id', '=', id)
      .execute();
  }

  /** Removes processed (done) events handled before `before`; returns how many. */
  async prune(options: { tenantId?: string | undefined; before: string; dryRun: boolean }): Promise<number> {
    return pruneRows(
      this.db,
      'webhook_inbox',
      sql`status = 'done' and processed_at < ${options.before}${tenantFilter(options.tenantId)}`,
      options.dryRun,
    );
  }
}
