import { SqliteAdapter, SqliteDialect } from 'kysely';

/**
 * SQLite has transactional DDL, but Kysely's adapter reports that it does not, so its Migrator would
 * run migrations outside a transaction. This dialect reports the truth: a failed migration rolls back.
 */
export class TransactionalSqliteDialect extends SqliteDialect {
  override createAdapter(): SqliteAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}
