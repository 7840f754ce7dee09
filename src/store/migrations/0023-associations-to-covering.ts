import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not the current types
type Db = Kysely<any>;

/**
 * Links by their target end (`associationsOf` for a deal's contacts, `pruneAssociationsTo`): the old
 * `associations_to` index (tenant, to type, to id) did not hold the columns those queries read, so SQLite preferred
 * the covering primary key and walked all of the tenant's links (~40 ms per lookup at 30k contacts). This index
 * covers them: an indexed search by target, no table read.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createIndex('associations_to_covering')
    .on('associations')
    .columns(['tenant_id', 'to_type', 'to_id', 'from_type', 'from_id', 'label'])
    .execute();
  await db.schema.dropIndex('associations_to').execute();
}
