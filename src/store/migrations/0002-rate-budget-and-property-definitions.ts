import type { Kysely } from 'kysely';
import type { StoreDialect } from '../store-dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was then, not the current types
type Db = Kysely<any>;

/**
 * The request budget shared by every process on one PostgreSQL store (one row per request taken, per budget key,
 * kept for one window), the CRMs' field definitions (labels, types, allowed values) synced with the records, and
 * the indexes that let a merge move links and references to the surviving record.
 */
export async function up(db: Db, dialect: StoreDialect): Promise<void> {
  await db.schema
    .createTable('rate_limit_events')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('taken_at', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
    .addColumn('lease', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rate_limit_events_key').on('rate_limit_events').columns(['key', 'taken_at']).execute();

  await db.schema
    .createTable('property_definitions')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('field_type', 'text')
    .addColumn('group_name', 'text')
    .addColumn('options', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('read_only', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('custom', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('synced_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('property_definitions_pk', ['tenant_id', 'object_type', 'name'])
    .execute();

  // Merges move company references from the merged-away company to the survivor: find them by company.
  const indexes: Array<[string, string, string[]]> = [
    ['contacts_company', 'contacts', ['tenant_id', 'company_id']],
    ['deals_company', 'deals', ['tenant_id', 'company_id']],
  ];
  for (const [name, table, columns] of indexes) {
    await db.schema.createIndex(name).on(table).columns(columns).execute();
  }
}
