import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { StoreError } from '../lib/errors.js';
import { MIGRATIONS, migrationId, type SchemaMigration } from './migrations/index.js';
import type { Database } from './schema.js';
import type { StoreDialect } from './store-dialect.js';

export const MIGRATION_TABLE = 'schema_migrations';
const LOCK_TABLE = 'schema_migrations_lock';

export interface MigrationResult {
  /** Migration ids applied by this call, in order. */
  applied: string[];
  schemaVersion: number;
}

/**
 * Applies every pending migration in one transaction (PostgreSQL and SQLite both have transactional DDL):
 * a failure leaves the schema exactly as it was. Refuses a database whose schema is newer than this code.
 */
export async function migrateToLatest(
  db: Kysely<Database>,
  dialect: StoreDialect,
  migrations: readonly SchemaMigration[] = MIGRATIONS,
): Promise<MigrationResult> {
  await assertNotNewer(db, migrations);
  const migrator = new Migrator({
    db,
    provider: providerFor(migrations, dialect),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: LOCK_TABLE,
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreError('STORE_MIGRATION_FAILED', `migration ${failed} failed, schema left unchanged: ${reason}`, {
      cause: error,
    });
  }
  return {
    applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName),
    schemaVersion: await readSchemaVersion(db),
  };
}

/** The highest applied migration version; 0 for an empty database. */
export async function readSchemaVersion(db: Kysely<Database>): Promise<number> {
  const names = await appliedMigrationNames(db);
  return names.reduce((max, name) => Math.max(max, Number.parseInt(name, 10) || 0), 0);
}

/** Versions known to this code but not applied yet. */
export async function pendingMigrations(
  db: Kysely<Database>,
  migrations: readonly SchemaMigration[] = MIGRATIONS,
): Promise<string[]> {
  const applied = new Set(await appliedMigrationNames(db));
  return migrations.map(migrationId).filter((id) => !applied.has(id));
}

async function assertNotNewer(db: Kysely<Database>, migrations: readonly SchemaMigration[]): Promise<void> {
  const known = new Set(migrations.map(migrationId));
  const unknown = (await appliedMigrationNames(db)).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    const newest = Math.max(...migrations.map((m) => m.version), 0);
    throw new StoreError(
      'STORE_SCHEMA_NEWER',
      `the database schema is newer than this crm-agent (it has ${unknown.join(', ')}; this version knows up to ${newest}): upgrade crm-agent`,
    );
  }
}

async function appliedMigrationNames(db: Kysely<Database>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === MIGRATION_TABLE)) return [];
  const rows = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(db);
  return rows.rows.map((r) => r.name);
}

function providerFor(migrations: readonly SchemaMigration[], dialect: StoreDialect): MigrationProvider {
  return {
    async getMigrations() {
      const entries: Record<string, Migration> = {};
      for (const migration of migrations) {
        entries[migrationId(migration)] = { up: (db) => migration.up(db, dialect) };
      }
      return entries;
    },
  };
}
