import type { Kysely } from 'kysely';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database } from '../schema.js';
import { chunk, rowsPerStatement } from './chunk.js';

export interface LedgerEntry {
  objectType: string;
  recordId: string;
  field: string;
  value: string | null;
}

/**
 * The write-back ledger: the last value crm-agent wrote to each CRM field (the write plan diffs against it), and for
 * tasks (object type `task`, record id = the action key) the CRM's task id and last known status.
 */
export class WritebackRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async ledger(tenantId: string, objectType?: string): Promise<LedgerEntry[]> {
    let query = this.db
      .selectFrom('writebackLedger')
      .select(['objectType', 'recordId', 'field', 'value'])
      .where('tenantId', '=', tenantId);
    if (objectType) query = query.where('objectType', '=', objectType);
    return query.execute();
  }

  /** When crm-agent last wrote any field of each of these records (ISO-8601), for the records it ever wrote. */
  async lastWrites(tenantId: string, objectType: string, recordIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const part of chunk(recordIds, 500)) {
      const rows = await this.db
        .selectFrom('writebackLedger')
        .select((eb) => ['recordId', eb.fn.max('writtenAt').as('writtenAt')])
        .where('tenantId', '=', tenantId)
        .where('objectType', '=', objectType)
        .where('recordId', 'in', part)
        .groupBy('recordId')
        .execute();
      for (const row of rows) out.set(row.recordId, String(row.writtenAt));
    }
    return out;
  }

  /**
   * The ledger rows of some records (`type:id`): their fields' rows, and every row of the tasks made for them (a
   * task's `record` row names its record); `tasksOnly` leaves out the field rows.
   */
  async ledgerOf(
    tenantId: string,
    records: ReadonlySet<string>,
    options: { tasksOnly?: boolean } = {},
  ): Promise<LedgerEntry[]> {
    const out: LedgerEntry[] = [];
    const keys = [...records];
    const select = () =>
      this.db
        .selectFrom('writebackLedger')
        .select(['objectType', 'recordId', 'field', 'value'])
        .where('tenantId', '=', tenantId);
    for (const part of chunk(keys, 500)) {
      const taskKeys = (
        await this.db
          .selectFrom('writebackLedger')
          .select('recordId')
          .where('tenantId', '=', tenantId)
          .where('value', 'in', part)
          .where('objectType', '=', 'task')
          .where('field', '=', 'record')
          .execute()
      ).map((r) => r.recordId);
      for (const tasks of chunk(taskKeys, 1000))
        out.push(...(await select().where('objectType', '=', 'task').where('recordId', 'in', tasks).execute()));
      if (options.tasksOnly) continue;
      const byType = new Map<string, string[]>();
      for (const key of part) {
        const at = key.indexOf(':');
        byType.set(key.slice(0, at), [...(byType.get(key.slice(0, at)) ?? []), key.slice(at + 1)]);
      }
      for (const [objectType, ids] of byType)
        out.push(...(await select().where('objectType', '=', objectType).where('recordId', 'in', ids).execute()));
    }
    return out;
  }

  async record(tenantId: string, runId: string, entries: readonly LedgerEntry[]): Promise<void> {
    const writtenAt = isoAt(this.clock);
    const rows = entries.map((e) => ({ tenantId, runId, writtenAt, ...e }));
    for (const part of chunk(rows, rowsPerStatement(7))) {
      await this.db
        .insertInto('writebackLedger')
        .values(part)
        .onConflict((oc) =>
          oc.columns(['tenantId', 'objectType', 'recordId', 'field']).doUpdateSet((eb) => ({
            value: eb.ref('excluded.value'),
            runId: eb.ref('excluded.runId'),
            writtenAt: eb.ref('excluded.writtenAt'),
          })),
        )
        .execute();
    }
  }

  /**
   * Action keys whose CRM task the owner completed (learned when task statuses are read back; crm-agent itself never
   * completes a task, so these are the rep's).
   */
  async completedTaskKeys(tenantId: string): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('writebackLedger as status')
      .innerJoin('writebackLedger as action', (join) =>
        join
          .onRef('action.tenantId', '=', 'status.tenantId')
          .onRef('action.recordId', '=', 'status.recordId')
          .on('action.objectType', '=', 'task')
          .on('action.field', '=', 'action_key'),
      )
      .select('action.value')
      .where('status.tenantId', '=', tenantId)
      .where('status.objectType', '=', 'task')
      .where('status.field', '=', 'status')
      .where('status.value', '=', 'completed')
      .execute();
    return new Set(rows.flatMap((r) => (r.value === null ? [] : [r.value])));
  }
}
