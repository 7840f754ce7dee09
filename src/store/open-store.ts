import { accessSync, chmodSync, closeSync, constants, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CamelCasePlugin, type Dialect, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config/config.js';
import { type Clock, systemClock } from '../lib/clock.js';
import { describeError, StoreError } from '../lib/errors.js';
import { redactString } from '../lib/redact.js';
import {
  MIGRATION_TABLE,
  type MigrationResult,
  migrateToLatest,
  pendingMigrations,
  readSchemaVersion,
} from './migrate.js';
import { createLocalLocks, createProcessLocks } from './process-lock.js';
import { createRepositories, type Repositories } from './repositories/index.js';
import type { Database } from './schema.js';
import { TransactionalSqliteDialect } from './sqlite-dialect.js';
import type { StoreDialect } from './store-dialect.js';

/** crm-agent's persistence: the repositories plus the connection's lifecycle. */
export interface Store extends Repositories {
  readonly dialect: StoreDialect;
  readonly db: Kysely<Database>;
  /** Where the data lives, safe to print (no password). */
  readonly location: string;
  /** Resolves when the database answers; rejects with STORE_UNREACHABLE otherwise. */
  ping(): Promise<void>;
  migrate(): Promise<MigrationResult>;
  schemaVersion(): Promise<number>;
  /** Fails with STORE_SCHEMA_OUTDATED when migrations are pending (the code expects a newer schema). */
  assertMigrated(): Promise<void>;
  /** Runs `fn` in one transaction: all its writes land, or none. `db` is the transaction's query builder. */
  transaction<T>(fn: (tx: Repositories, db: Kysely<Database>) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` while holding a named lock across every process sharing the store: an advisory lock on PostgreSQL,
   * a renewed lease row on a SQLite file (a CLI `run` beside a running `serve` waits for the server's cycle instead
   * of taking its run for an interrupted one); within this process only for an in-memory SQLite database.
   * Never call it inside `transaction()`.
   */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /**
   * After an erasure or a purge, outside any transaction: makes the deleted values unreadable from the database's
   * files. SQLite (secure_delete on) has zeroed the freed cells in the pages it wrote to the WAL; this copies them
   * into the main file and truncates the WAL, which still held the older page images. PostgreSQL: nothing to do
   * here (the rows are gone from every query; autovacuum reclaims the dead tuples).
   */
  scrub(): Promise<void>;
  /** Gives up this process's locks (waiters fail with STORE_CLOSED) and closes the connection; safe to call twice. */
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  clock?: Clock;
  /** PostgreSQL pool size; default 10. */
  poolSize?: number;
  /** SQLite: how long a statement waits for another process's write lock before STORE_BUSY; default 60 s. */
  busyRetryMs?: number;
  /** Run-level results kept per tenant and run kind (`RETAIN_RUN_RESULTS`). */
  keepRunResults?: number;
  /** SQLite file: told once per wait when another process holds a lock this one needs. */
  onLockWait?: (name: string, holder: { host: string; pid: number }) => void;
}

/** Opens the configured store and checks that it answers. Nothing is created or migrated here but the data directory. */
export async function openStore(config: DatabaseConfig, options: OpenStoreOptions = {}): Promise<Store> {
  const clock = options.clock ?? systemClock;
  const { dialect, location, sqlite } =
    config.kind === 'sqlite'
      ? openSqlite(config.path, options.busyRetryMs)
      : { ...openPostgres(config.url, options.poolSize ?? 10), sqlite: undefined };
  const db = new Kysely<Database>({ dialect, plugins: [new CamelCasePlugin()] });
  const kind: StoreDialect = config.kind;
  const processLocks =
    config.kind === 'sqlite' && isOnDisk(config.path)
      ? createProcessLocks(db, options.onLockWait ? { onWait: options.onLockWait } : {})
      : undefined;
  let closing: Promise<void> | undefined;
  const store: Store = {
    ...createRepositories(db, clock, kind, options.keepRunResults),
    dialect: kind,
    db,
    location,
    async ping() {
      // SQLite: straight on the connection, not behind Kysely's connection mutex, so a health check does not queue
      // behind every waiting query and open transaction (a read changes nothing inside another's transaction).
      // The connection busy with a statement still iterating, or closed, takes the queued path below.
      if (sqlite && quickRead(() => sqlite.prepare('select 1').get() !== undefined)) return;
      try {
        await sql`select 1`.execute(db);
      } catch (error) {
        throw new StoreError('STORE_UNREACHABLE', `cannot reach the database at ${location}: ${describeError(error)}`, {
          cause: error,
        });
      }
    },
    migrate: () => migrateToLatest(db, kind),
    async schemaVersion() {
      const version = sqlite ? quickRead(() => sqliteSchemaVersion(sqlite)) : undefined;
      return version ?? readSchemaVersion(db);
    },
    async assertMigrated() {
      const pending = await pendingMigrations(db);
      if (pending.length > 0) {
        throw new StoreError(
          'STORE_SCHEMA_OUTDATED',
          `the database at ${location} needs migrations ${pending.join(', ')}: run \`crm-agent migrate\``,
        );
      }
    },
    transaction: (fn) =>
      db.transaction().execute((tx) => fn(createRepositories(tx, clock, kind, options.keepRunResults), tx)),
    withLock:
      kind === 'postgres'
        ? (name, fn) => withAdvisoryLock(db, name, fn)
        : (processLocks?.withLock ?? createLocalLocks()),
    async scrub() {
      if (kind === 'sqlite') await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
    },
    close() {
      closing ??= (async () => {
        await processLocks?.release();
        await db.destroy();
      })();
      return closing;
    },
  };
  try {
    await store.ping();
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw error;
  }
  return store;
}

async function withAdvisoryLock<T>(db: Kysely<Database>, name: string, fn: () => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(hashtext(${name}))`.execute(conn);
    try {
      return await fn();
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${name}))`.execute(conn);
    }
  });
}

/** Named in-process mutexes: each caller waits for the previous holder of the same name. */

/** A synchronous read on the SQLite connection; undefined when it cannot run now (busy iterating, or closed). */
function quickRead<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function sqliteSchemaVersion(database: BetterSqlite3.Database): number {
  const exists = database.prepare("select 1 from sqlite_master where type = 'table' and name = ?").get(MIGRATION_TABLE);
  if (!exists) return 0;
  const rows = database.prepare(`select name from "${MIGRATION_TABLE}"`).all() as Array<{ name: string }>;
  return rows.reduce((max, r) => Math.max(max, Number.parseInt(r.name, 10) || 0), 0);
}

function openSqlite(
  path: string,
  busyRetryMs: number | undefined,
): { dialect: Dialect; location: string; sqlite: BetterSqlite3.Database } {
  const onDisk = isOnDisk(path);
  if (onDisk) ensureWritableDirectory(dirname(path));
  let database: BetterSqlite3.Database;
  try {
    // Owner-only from the first byte: create the file 0600 before SQLite opens it (SQLite gives the -wal and
    // -shm files the database file's mode), and tighten a file an older version created world-readable.
    if (onDisk) restrictToOwner(path, true);
    database = new BetterSqlite3(path);
  } catch (error) {
    throw new StoreError('STORE_DATA_DIR_UNWRITABLE', `cannot open SQLite database ${path}: ${describeError(error)}`, {
      cause: error,
    });
  }
  // Short: better-sqlite3 waits synchronously, holding the event loop; the dialect retries asynchronously after it.
  // Set first: the pragmas below may wait for another process's lock.
  database.pragma('busy_timeout = 200');
  // A new file only (before its first table; on an existing one it would take a write lock for nothing): deleted
  // pages are then returned to the file system by `PRAGMA incremental_vacuum` (crm-agent gc) without a full VACUUM.
  if (database.pragma('page_count', { simple: true }) === 0) database.pragma('auto_vacuum = INCREMENTAL');
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  // Deleted rows are overwritten with zeros, not merely unlinked: an erasure leaves no readable bytes behind.
  database.pragma('secure_delete = ON');
  if (onDisk) for (const suffix of ['-wal', '-shm']) restrictToOwner(`${path}${suffix}`, false);
  const location = `sqlite:${path}`;
  return {
    dialect: new TransactionalSqliteDialect(
      { database },
      { location, ...(busyRetryMs !== undefined ? { busyRetryMs } : {}) },
    ),
    location,
    sqlite: database,
  };
}

/** Mode 0600 whatever the umask (chmod is not masked); `create` makes the file when it does not exist yet. */
function restrictToOwner(file: string, create: boolean): void {
  if (!existsSync(file)) {
    if (!create) return;
    closeSync(openSync(file, 'a', 0o600));
  }
  chmodSync(file, 0o600);
}

function ensureWritableDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new StoreError(
      'STORE_DATA_DIR_UNWRITABLE',
      `data directory ${dir} is not writable (${describeError(error)}): set DATA_DIR or DATABASE_URL to a writable place`,
      { cause: error },
    );
  }
}

/** bigint (count, bigserial) and numeric come back from pg as strings by default; crm-agent's fit in a double. */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
};

function openPostgres(url: string, poolSize: number): { dialect: Dialect; location: string } {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5000, types: pgTypes });
  // A client losing its connection (server restart) must not crash the process: an idle one is replaced by the
  // pool; one checked out (a held advisory lock, a transaction) fails its next query, which the caller handles.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return { dialect: new PostgresDialect({ pool }), location: redactString(url) };
}

function isOnDisk(path: string): boolean {
  return path !== ':memory:' && path !== '';
}
