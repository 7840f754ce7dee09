import type { Kysely } from 'kysely';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database } from '../schema.js';

/** Slot claims: the first process to insert a (tenant, kind, slot) row runs that slot; every other one skips it. */
export class ScheduleSlotRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** True when this caller claimed the slot; false when another process (or an earlier start) already had. */
  async claim(tenantId: string, kind: string, slot: string, claimedBy: string): Promise<boolean> {
    const result = await this.db
      .insertInto('scheduleSlots')
      .values({ tenantId, kind, slot, status: 'running', claimedBy, claimedAt: isoAt(this.clock), finishedAt: null })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async finish(tenantId: string, kind: string, slot: string, status: 'done' | 'failed'): Promise<void> {
    await this.db
      .updateTable('scheduleSlots')
      .set({ status, finishedAt: isoAt(this.clock) })
      .where('tenantId', '=', tenantId)
      .where('kind', '=', kind)
      .where('slot', '=', slot)
      .execute();
  }

  async has(tenantId: string, kind: string, slot: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('scheduleSlots')
      .select('slot')
      .where('tenantId', '=', tenantId)
      .where('kind', '=', kind)
      .where('slot', '=', slot)
      .executeTakeFirst();
    return row !== undefined;
  }

  async list(tenantId: string): Promise<Array<{ kind: string; slot: string; status: string; claimedBy: string }>> {
    return this.db
      .selectFrom('scheduleSlots')
      .select(['kind', 'slot', 'status', 'claimedBy'])
      .where('tenantId', '=', tenantId)
      .orderBy('slot')
      .orderBy('kind')
      .execute();
  }
}
