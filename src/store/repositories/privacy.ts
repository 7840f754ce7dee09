import type { Kysely } from 'kysely';
import type { ObjectType } from '../../domain/records.js';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database } from '../schema.js';
import { chunk } from './json.js';
import { RecordRepository } from './records.js';

/** Tables holding results derived from one record, keyed by (tenantId, objectType, recordId). */
const DERIVED = ['scores', 'segmentMembers', 'actions', 'writebackLedger', 'outbox'] as const;

/** Privacy erasure: a record and everything derived from it go, and a tombstone keeps sync from restoring it. */
export class PrivacyRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async erase(tenantId: string, objectType: ObjectType, recordId: string): Promise<void> {
    await new RecordRepository(this.db, this.clock).remove(tenantId, objectType, [recordId]);
    for (const table of DERIVED) {
      await this.db
        .deleteFrom(table)
        .where('tenantId', '=', tenantId)
        .where('objectType', '=', objectType)
        .where('recordId', '=', recordId)
        .execute();
    }
    await this.db
      .insertInto('privacyTombstones')
      .values({ tenantId, objectType, recordId, erasedAt: isoAt(this.clock) })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  /** Which of `ids` were erased for privacy. */
  async tombstoned(tenantId: string, objectType: ObjectType, ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const part of chunk(ids, 1000)) {
      const rows = await this.db
        .selectFrom('privacyTombstones')
        .select('recordId')
        .where('tenantId', '=', tenantId)
        .where('objectType', '=', objectType)
        .where('recordId', 'in', part)
        .execute();
      for (const r of rows) found.add(r.recordId);
    }
    return found;
  }
}
