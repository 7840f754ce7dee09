import { type Kysely, sql } from 'kysely';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database } from '../schema.js';
import { chunk } from './chunk.js';

export interface PendingCallback {
  callbackId: string;
  objectType: string;
  recordId: string;
}

/** HubSpot workflow-action executions crm-agent answered BLOCK, to complete when a run has a result. */
export class WorkflowCallbackRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** Remembers a blocked execution; false when HubSpot retried one already known (dedupe on callbackId). */
  async add(tenantId: string, callback: PendingCallback, ttlMs: number): Promise<boolean> {
    const result = await this.db
      .insertInto('workflowCallbacks')
      .values({
        tenantId,
        ...callback,
        createdAt: isoAt(this.clock),
        expiresAt: new Date(this.clock.now() + ttlMs).toISOString(),
        completedAt: null,
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async pending(tenantId: string): Promise<PendingCallback[]> {
    return this.db
      .selectFrom('workflowCallbacks')
      .select(['callbackId', 'objectType', 'recordId'])
      .where('tenantId', '=', tenantId)
      .where('completedAt', 'is', null)
      .where('expiresAt', '>', isoAt(this.clock))
      .orderBy('createdAt')
      .execute();
  }

  /**
   * The pending callbacks whose record has a result in `runId` (a score, an action or a segment): the ones a
   * recompute can complete now. One indexed query, so the cost follows these, not every pending callback.
   */
  async ready(tenantId: string, runId: string): Promise<PendingCallback[]> {
    return this.db
      .selectFrom('workflowCallbacks')
      .select(['callbackId', 'objectType', 'recordId'])
      .where('tenantId', '=', tenantId)
      .where('completedAt', 'is', null)
      .where('expiresAt', '>', isoAt(this.clock))
      .where((eb) =>
        eb.or([
          eb.exists(
            eb
              .selectFrom('scores')
              .select(sql.lit(1).as('one'))
              .where('scores.runId', '=', runId)
              .whereRef('scores.objectType', '=', 'workflowCallbacks.objectType')
              .whereRef('scores.recordId', '=', 'workflowCallbacks.recordId'),
          ),
          eb.exists(
            eb
              .selectFrom('actions')
              .select(sql.lit(1).as('one'))
              .where('actions.runId', '=', runId)
              .whereRef('actions.objectType', '=', 'workflowCallbacks.objectType')
              .whereRef('actions.recordId', '=', 'workflowCallbacks.recordId'),
          ),
          eb.exists(
            eb
              .selectFrom('segmentMembers')
              .select(sql.lit(1).as('one'))
              .where('segmentMembers.runId', '=', runId)
              .whereRef('segmentMembers.objectType', '=', 'workflowCallbacks.objectType')
              .whereRef('segmentMembers.recordId', '=', 'workflowCallbacks.recordId'),
          ),
        ]),
      )
      .orderBy('createdAt')
      .execute();
  }

  async complete(tenantId: string, callbackIds: readonly string[]): Promise<void> {
    const completedAt = isoAt(this.clock);
    for (const part of chunk([...new Set(callbackIds)])) {
      await this.db
        .updateTable('workflowCallbacks')
        .set({ completedAt })
        .where('tenantId', '=', tenantId)
        .where('callbackId', 'in', part)
        .execute();
    }
  }
}
