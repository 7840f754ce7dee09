import { runAnalysis } from '../analyse/run-analysis.js';
import type { CrmChangeEvent } from '../domain/crm-events.js';
import type { ObjectType } from '../domain/records.js';
import { describeError } from '../lib/errors.js';
import type { Runtime } from '../main.js';
import type { RecordChanges } from '../ports/crm-connector.js';
import { applyChanges } from '../sync/apply-changes.js';
import type { RecordKey } from '../writeback/desired-values.js';
import { writeBack } from '../writeback/write-back.js';
import { INTERRUPTED, LOCKED_RUN_KINDS } from './interrupted-runs.js';

/** Changes of one record that arrive within this window are handled together. */
export const COALESCE_MS = 1500;
const BATCH = 10_000;

export interface InboxResult {
  events: number;
  records: number;
  erased: number;
  status: 'recomputed' | 'applied' | 'queued-sync' | 'idle' | 'skipped';
  runId?: string;
}

/**
 * Processes a tenant's webhook events: waits a moment so a burst of edits to one record becomes one recompute,
 * erases privacy deletions at once, re-reads the changed records from the CRM, applies deletions and merges, then
 * re-scores and writes back only the records that changed. Events are marked done in the same transaction that
 * applies them, so each is processed once however often it was delivered.
 */
export async function processInbox(runtime: Runtime, tenantId: string): Promise<InboxResult> {
  const { store, clock, logger } = runtime;
  await clock.sleep(COALESCE_MS);
  return store.withLock(`tenant-run:${tenantId}`, async () => {
    const tenant = await store.tenants.get(tenantId);
    const events = await store.inbox.pendingFor(tenantId, BATCH);
    if (events.length === 0) return { events: 0, records: 0, erased: 0, status: 'idle' };
    const ids = events.map((e) => e.id);
    if (!tenant || tenant.status !== 'active') {
      await store.inbox.markDone(ids);
      return { events: events.length, records: 0, erased: 0, status: 'skipped' };
    }
    const parsed = events.map((e) => JSON.parse(e.payload) as CrmChangeEvent).filter((e) => e.objectType !== 'other');
    // Latest event per record wins (events arrive out of order; occurredAt orders them).
    const latest = new Map<string, CrmChangeEvent>();
    for (const e of [...parsed].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt)))
      latest.set(`${e.objectType}:${e.objectId}`, e);
    const changes: RecordChanges = { erasures: [], removals: [] };
    const refresh = new Map<string, { type: ObjectType; id: string }>();
    for (const e of latest.values()) {
      const type = e.objectType as ObjectType;
      if (e.change === 'privacy_deletion') changes.erasures!.push({ type, id: e.objectId });
      else if (e.change === 'deleted') changes.removals!.push({ type, id: e.objectId, at: e.occurredAt });
      else if (e.change === 'merged') {
        for (const merged of e.mergedIds ?? [])
          if (merged !== e.survivorId)
            changes.removals!.push({ type, id: merged, at: e.occurredAt, mergedInto: e.survivorId ?? null });
        if (e.survivorId) refresh.set(`${type}:${e.survivorId}`, { type, id: e.survivorId });
      } else refresh.set(`${type}:${e.objectId}`, { type, id: e.objectId });
    }
    // A link added or removed moves no modified date on the record that owns it locally: read both ends again.
    for (const e of parsed) {
      const other = e.change === 'association' ? e.associated : undefined;
      if (other && other.objectType !== 'other' && other.objectId !== '')
        refresh.set(`${other.objectType}:${other.objectId}`, { type: other.objectType, id: other.objectId });
    }
    const connector = runtime.connectorFor(tenant);
    if (refresh.size > 0 && !connector.readRecords) {
      // This connector cannot read single records: apply what the events say and let an incremental run catch up.
      await store.transaction(async (tx) => {
        await applyChanges(tx, tenantId, changes);
        await tx.inbox.markDone(ids);
      });
      await runtime.queue.send(
        'tenant.run',
        tenantId,
        { mode: 'incremental', trigger: 'webhook' },
        { singletonKey: `run:${tenantId}:incremental` },
      );
      return { events: events.length, records: refresh.size, erased: changes.erasures!.length, status: 'queued-sync' };
    }
    const fresh = refresh.size > 0 ? await connector.readRecords!([...refresh.values()]) : {};
    await store.transaction(async (tx) => {
      await applyChanges(tx, tenantId, changes);
      await applyChanges(tx, tenantId, fresh);
      await tx.inbox.markDone(ids);
    });
    if (refresh.size === 0)
      return { events: events.length, records: 0, erased: changes.erasures!.length, status: 'applied' };

    await store.runs.abandonRunning(tenantId, LOCKED_RUN_KINDS, INTERRUPTED);
    const runId = await store.runs.start(tenantId, 'recompute', 'webhook');
    try {
      await runAnalysis(runtime, tenant, runId);
      const only = new Set<RecordKey>(
        [...refresh.values()]
          .filter((r) => r.type === 'contact' || r.type === 'deal' || r.type === 'company')
          .map((r) => `${r.type}:${r.id}` as RecordKey),
      );
      const written = await writeBack(runtime, tenant, runId, connector, { only });
      await store.runs.finish(runId, 'succeeded', {
        events: events.length,
        records: refresh.size,
        written: written.send?.sent ?? 0,
      });
    } catch (error) {
      await store.runs.finish(runId, 'failed', { events: events.length }, describeError(error));
      throw error;
    }
    logger.info({ tenantId, events: events.length, records: refresh.size, runId }, 'webhook recompute done');
    return {
      events: events.length,
      records: refresh.size,
      erased: changes.erasures!.length,
      status: 'recomputed',
      runId,
    };
  });
}
