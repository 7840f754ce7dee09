import type { Clock } from '../../src/lib/clock.js';
import { SalesforceError } from './errors.js';
import type { OrgState } from './state.js';

/** Open cursors per user before the oldest is invalidated, and how long an idle cursor lives. */
export const MAX_OPEN_CURSORS = 10;
const IDLE_MS = 15 * 60_000;

interface Cursor {
  id: string;
  userId: string;
  rows: Array<Record<string, unknown>>;
  batchSize: number;
  lastUsed: number;
}

export interface QueryPage {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: Array<Record<string, unknown>>;
}

/**
 * Server-side query cursors. A query's rows are fixed when it runs; `nextRecordsUrl` pages through them. A user
 * holds at most 10 open cursors: opening an 11th invalidates the oldest, which then answers INVALID_QUERY_LOCATOR,
 * as do cursors idle for 15 minutes. A cursor closes once its last page is read.
 */
export class QueryCursors {
  private readonly open = new Map<string, Cursor>();
  /** Cursors invalidated because the user opened too many (for tests and stats). */
  evicted = 0;

  constructor(
    private readonly state: OrgState,
    private readonly clock: Clock,
  ) {}

  /** The first page of a result; opens a cursor when more pages follow. */
  start(userId: string, rows: Array<Record<string, unknown>>, batchSize: number, version: string): QueryPage {
    if (rows.length <= batchSize) return { totalSize: rows.length, done: true, records: rows };
    const mine = [...this.open.values()].filter((c) => c.userId === userId);
    if (mine.length >= MAX_OPEN_CURSORS) {
      this.open.delete(mine[0]!.id);
      this.evicted++;
    }
    const cursor: Cursor = {
      id: this.state.nextId('01g').slice(0, 15),
      userId,
      rows,
      batchSize,
      lastUsed: this.clock.now(),
    };
    this.open.set(cursor.id, cursor);
    return this.page(cursor, 0, version);
  }

  /** The page at `locator` (`01g…-2000`). */
  next(userId: string, locator: string, version: string): QueryPage {
    const m = /^([a-zA-Z0-9]{15})-(\d+)$/.exec(locator);
    const cursor = m ? this.open.get(m[1]!) : undefined;
    if (!m || !cursor || cursor.userId !== userId || this.clock.now() - cursor.lastUsed > IDLE_MS) {
      if (cursor) this.open.delete(cursor.id);
      throw new SalesforceError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    }
    const offset = Number(m[2]);
    if (offset >= cursor.rows.length) throw new SalesforceError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    cursor.lastUsed = this.clock.now();
    // Re-inserting keeps the map in least-recently-opened order for eviction: Salesforce evicts the oldest opened.
    return this.page(cursor, offset, version);
  }

  openCount(userId?: string): number {
    return [...this.open.values()].filter((c) => userId === undefined || c.userId === userId).length;
  }

  private page(cursor: Cursor, offset: number, version: string): QueryPage {
    const end = Math.min(cursor.rows.length, offset + cursor.batchSize);
    const done = end >= cursor.rows.length;
    if (done) this.open.delete(cursor.id);
    return {
      totalSize: cursor.rows.length,
      done,
      ...(done ? {} : { nextRecordsUrl: `/services/data/v${version}/query/${cursor.id}-${end}` }),
      records: cursor.rows.slice(offset, end),
    };
  }
}
