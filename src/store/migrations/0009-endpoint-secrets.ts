import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not the current types
type Db = Kysely<any>;

/**
 * Per-tenant secrets that authenticate inbound CRM calls which the CRM cannot sign: the unguessable part of the
 * URL a Salesforce org's outbound messages are sent to. Only a SHA-256 of each secret is kept.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('endpoint_secrets')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('endpoint_secrets_pk', ['tenant_id', 'purpose'])
    .execute();
}
