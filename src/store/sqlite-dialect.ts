import { setTimeout as delay, setImmediate as yieldToLoop } from 'node:timers/promises';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SqliteAdapter,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  type SqliteStatement,
} from 'kysely';
import { StoreError } from '../lib/errors.js';

export interface SharedSqliteOptions {
  /** How long a statement keeps retrying while another process holds the write lock; default 60 s. */
  busyRetryMs?: number;
  /** Names the database in the error when it stays busy. */
  location?: string;
}

/**
 * SQLite shared with other processes (a CLI beside a running server), safely:
 * - write transactions start with BEGIN IMMEDIATE, taking the write lock up front: a deferred transaction that read
 *   first and then wrote would fail with SQLITE_BUSY_SNAPSHOT whenever another process wrote in between;
 * - a statement refused with SQLITE_BUSY (the connection's short busy_timeout ran out) is retried asynchronously,
 *   with backoff, so waiting for another process's lock never blocks the event loop for long; after `busyRetryMs`
 *   it fails as STORE_BUSY, one line;
 * - SQLite has transactional DDL, but Kysely's adapter reports that it does not, so its Migrator would run
 *   migrations outside a transaction: this dialect reports the truth, and a failed migration rolls back.
 */
export class TransactionalSqliteDialect extends SqliteDialect {
  private readonly config: SqliteDialectConfig;

  constructor(
    config: SqliteDialectConfig,
    private readonly options: SharedSqliteOptions = {},
  ) {
    const cached = {
      ...config,
      ...(typeof config.database === 'function' ? {} : { database: withStatementCache(config.database) }),
    };
    super(cached);
    this.config = cached;
  }

  override createAdapter(): SqliteAdapter {
    return new TransactionalDdlSqliteAdapter();
  }

  override createDriver(): Driver {
    return new SharedSqliteDriver(this.config, this.options);
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** Prepared statements kept per connection: the handful of statements a busy process runs over and over. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * The database with its prepared statements kept (least recently used out): Kysely's SQLite driver prepares every
 * statement anew, which was a fifth of the CPU time of the webhook-load benchmark's inbox processor (`npm run bench
 * -- webhook-load`, profiled with --cpu-prof). A statement still iterating (a streamed query) is never handed out
 * twice: a fresh one is prepared instead. SQLite re-prepares a kept statement itself when the schema changes.
 */
export function withStatementCache(database: SqliteDatabase, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const kept = new Map<string, SqliteStatement>();
  return {
    close: () => {
      kept.clear();
      database.close();
    },
    prepare(sql: string): SqliteStatement {
      const found = kept.get(sql);
      if (found && !(found as { busy?: boolean }).busy) {
        kept.delete(sql);
        kept.set(sql, found);
        return found;
      }
      const statement = database.prepare(sql);
      if (found) return statement;
      kept.set(sql, statement);
      if (kept.size > size) kept.delete(kept.keys().next().value as string);
      return statement;
    },
  };
}

/** better-sqlite3's codes for "another connection holds the lock" (SQLITE_BUSY, _SNAPSHOT, _RECOVERY, _TIMEOUT). */
export function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED');
}

class SharedSqliteDriver extends SqliteDriver {
  private readonly wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(
    config: SqliteDialectConfig,
    private readonly options: SharedSqliteOptions,
  ) {
    super(config);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    let wrapper = this.wrapped.get(connection);
    if (!wrapper) {
      const retrying = async (query: CompiledQuery) => {
        await this.yieldNow();
        return this.retryBusy(() => connection.executeQuery(query));
      };
      wrapper = {
        executeQuery: <R>(query: CompiledQuery) => retrying(query) as Promise<QueryResult<R>>,
        streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
      };
      this.wrapped.set(connection, wrapper);
    }
    return wrapper;
  }

  /**
   * better-sqlite3 answers synchronously and Kysely chains statements through microtasks only, so a transaction of
   * thousands of statements (storing a run's results) would never let the event loop turn: every ~5 ms of
   * statements, wait for one turn (timers, HTTP, webhooks) before the next. At 20 ms, webhook acknowledgements
   * beside a busy inbox processor reached p99 354–442 ms; at 5 ms 147–266 ms (`npm run bench -- webhook-load`).
   */
  private lastYield = performance.now();
  private async yieldNow(): Promise<void> {
    if (performance.now() - this.lastYield < 5) return;
    await yieldToLoop();
    this.lastYield = performance.now();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  private async retryBusy<T>(run: () => Promise<T>): Promise<T> {
    const limit = this.options.busyRetryMs ?? 60_000;
    let waited = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        if (!isSqliteBusy(error)) throw error;
        if (waited >= limit) {
          const where = this.options.location ? ` ${this.options.location}` : '';
          throw new StoreError(
            'STORE_BUSY',
            `the database${where} stayed locked by another process for ${Math.round(waited / 1000)} s: try again`,
            { cause: error },
          );
        }
        const pause = Math.min(500, 10 * 2 ** attempt);
        await delay(pause);
        waited += pause;
      }
    }
  }
}
