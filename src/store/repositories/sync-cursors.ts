import type { Kysely } from 'kysely';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database } from '../schema.js';
import { fromJson, toJson } from './json.js';

export interface SyncCursor {
  /** Incremental sync's high-water mark (e.g. the last modified time fully synced). */
  watermark: string | null;
  /** Stream-specific resumable state, e.g. the `after` of the last page written. */
  state: Record<string, unknown>;
}

/** One cursor per (tenant, stream), saved after every page so a killed sync resumes there. */
export class SyncCursorRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async get(tenantId: string, stream: string): Promise<SyncCursor | undefined> {
    const row = await this.db
      .selectFrom('syncCursors')
      .select(['watermark', 'state'])
      .where('tenantId', '=', tenantId)
      .where('stream', '=', stream)
      .executeTakeFirst();
    return row && { watermark: row.watermark, state: fromJson(row.state, {}) };
  }

  async put(tenantId: string, stream: string, cursor: SyncCursor): Promise<void> {
    const values = { watermark: cursor.watermark, state: toJson(cursor.state), updatedAt: isoAt(this.clock) };
    await this.db
      .insertInto('syncCursors')
      .values({ tenantId, stream, ...values })
      .onConflict((oc) => oc.columns(['tenantId', 'stream']).doUpdateSet(values))
      .execute();
  }

  async list(tenantId: string): Promise<Array<SyncCursor & { stream: string }>> {
    const rows = await this.db
      .selectFrom('syncCursors')
      .select(['stream', 'watermark', 'state'])
      .where('tenantId', '=', tenantId)
      .orderBy('stream')
      .execute();
    return rows.map((r) => ({ stream: r.stream, watermark: r.watermark, state: fromJson(r.state, {}) }));
  }

  async clear(tenantId: string, stream?: string): Promise<void> {
    let query = this.db.deleteFrom('syncCursors').where('tenantId', '=', tenantId);
    if (stream !== undefined) query = query.where('stream', '=', stream);
    await query.execute();
  }
}
