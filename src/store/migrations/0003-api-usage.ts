import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not the current types
type Db = Kysely<any>;

/**
 * crm-agent's own API requests per tenant, in 5-minute buckets: the ledger behind a share of a CRM's daily
 * allocation (Salesforce), so the share holds across runs and processes.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('api_usage')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('bucket_start', 'text', (c) => c.notNull())
    .addColumn('requests', 'integer', (c) => c.notNull())
    .addColumn('allocation', 'integer')
    .addPrimaryKeyConstraint('api_usage_pk', ['tenant_id', 'key', 'bucket_start'])
    .execute();
}
