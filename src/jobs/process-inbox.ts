import { companyMembers, rescoreRecords } from '../analyse/rescore-records.js';
import { runAnalysis } from '../analyse/run-analysis.js';
import type { CrmChangeEvent } from '../domain/crm-events.js';
import { OUTPUT_FIELDS } from '../domain/output-fields.js';
import type { ObjectType } from '../domain/records.js';
import { describeError } from '../lib/errors.js';
import type { OwnWriteCandidate, RecordChanges } from '../ports/crm-connector.js';
import type { Runtime } from '../runtime.js';
import type { InboxEvent } from '../store/repositories/webhook-inbox.js';
import { applyChanges } from '../sync/apply-changes.js';
import { sameAsLocal } from '../sync/own-write-check.js';
import type { RecordKey } from '../writeback/desired-values.js';
import { writeBack } from '../writeback/write-back.js';
import { INTERRUPTED, LOCKED_RUN_KINDS } from './interrupted-runs.js';
import { waitForQuietInbox } from './wait-for-quiet-inbox.js';

const BATCH = 10_000;

export interface InboxResult {
  events: number;
  records: number;
  erased: number;
  status: 'recomputed' | 'applied' | 'queued-sync' | 'idle' | 'skipped';
  runId?: string;
}

/**
 * Processes a tenant's webhook events: waits until the tenant's inbox is quiet (`waitForQuietInbox`: 250 ms without
 * a new event, at most 1.5 s) so a burst of edits to one record becomes one recompute,
 * erases privacy deletions at once, re-reads the changed records from the CRM, applies deletions and merges, then
 * re-scores and writes back only the records that changed: changed deals and contacts (with the contacts and deals
 * whose features depend on them) with the stored models of the last full run (`rescoreRecords`, cost following the
 * records touched), anything else, or without current stored models, with the whole engine. Events are marked
 * done in the same transaction that applies them, so each is processed once however often it was delivered.
 */
export async function processInbox(runtime: Runtime, tenantId: string): Promise<InboxResult> {
  const { store, clock, logger } = runtime;
  await waitForQuietInbox(store.inbox, clock, tenantId);
  return store.withLock(`tenant-run:${tenantId}`, async () => {
    const tenant = await store.tenants.get(tenantId);
    const events = await store.inbox.pendingFor(tenantId, BATCH);
    if (events.length === 0) return { events: 0, records: 0, erased: 0, status: 'idle' };
    const ids = events.map((e) => e.id);
    if (!tenant || tenant.status !== 'active') {
      await store.inbox.markDone(ids);
      return { events: events.length, records: 0, erased: 0, status: 'skipped' };
    }
    const { changes, refresh, forget, plain } = await precedence(store, tenantId, events);
    const done = ids.filter((id) => !forget.has(id));
    const erased = changes.erasures!.length;
    const connector = runtime.connectorFor(tenant);
    if (refresh.size > 0 && !connector.readRecords) {
      // This connector cannot read single records: apply what the events say and let an incremental run catch up.
      await store.transaction(async (tx) => {
        await applyChanges(tx, tenantId, changes);
        await tx.inbox.remove([...forget]);
        await tx.inbox.markDone(done);
      });
      if (erased > 0 || forget.size > 0) await store.scrub();
      await runtime.queue.send(
        'tenant.run',
        tenantId,
        { mode: 'incremental', trigger: 'webhook' },
        { singletonKey: `run:${tenantId}:incremental` },
      );
      return { events: events.length, records: refresh.size, erased, status: 'queued-sync' };
    }
    const fresh = refresh.size > 0 ? await connector.readRecords!([...refresh.values()]) : {};
    // A record re-read exactly as the local copy holds it changed nothing crm-agent scores: the event was the echo
    // of crm-agent's own write (the rule crm-agent describes leaves out its integration user, but an admin's own
    // rule or flow may not; the sender already put its values in the local copy) or a change that was undone. Only records
    // whose events were all plain updates are dropped: a link, a creation or a merge is always scored.
    for (const key of await unchangedRecords(store, tenantId, connector, fresh, plain)) refresh.delete(key);
    await store.transaction(async (tx) => {
      await applyChanges(tx, tenantId, changes);
      await applyChanges(tx, tenantId, fresh);
      await tx.inbox.remove([...forget]);
      await tx.inbox.markDone(done);
    });
    if (erased > 0 || forget.size > 0) await store.scrub();
    if (refresh.size === 0) return { events: events.length, records: 0, erased, status: 'applied' };

    await store.runs.abandonRunning(tenantId, LOCKED_RUN_KINDS, INTERRUPTED);
    const runId = await store.runs.start(tenantId, 'recompute', 'webhook');
    let path: 'incremental' | 'full' = 'full';
    try {
      const idsOf = (type: ObjectType) => [...refresh.values()].filter((r) => r.type === type).map((r) => r.id);
      // A changed company moves the features of its contacts and deals: they are re-scored as if they had changed.
      const companies = idsOf('company');
      const members = await companyMembers(store, tenantId, companies);
      const changed = {
        deals: [...new Set([...idsOf('deal'), ...members.deals])],
        contacts: [...new Set([...idsOf('contact'), ...members.contacts])],
      };
      const direct = idsOf('deal').length + idsOf('contact').length + companies.length;
      // Deals and contacts are re-scored with the stored models when there are current ones; anything else (no
      // models yet, models of an older schema, another object type) takes the whole engine.
      const rescored =
        changed.deals.length + changed.contacts.length > 0 && refresh.size === direct
          ? await rescoreRecords(runtime, tenant, runId, changed)
          : ({
              path: 'full',
              reason:
                refresh.size === direct
                  ? 'the changed companies have no contacts or deals'
                  : 'a changed record is neither a deal, a contact nor a company',
            } as const);
      if (rescored.path === 'incremental') {
        path = 'incremental';
        const { result } = rescored;
        const only = new Set<RecordKey>([
          ...result.targets.deals.map((id) => `deal:${id}` as RecordKey),
          ...result.targets.contacts.map((id) => `contact:${id}` as RecordKey),
        ]);
        const written = await writeBack(runtime, tenant, runId, connector, {
          only,
          incremental: { baseRunId: rescored.modelsRunId },
        });
        await store.runs.finish(runId, 'succeeded', {
          path: 'incremental',
          models: rescored.modelsRunId,
          events: events.length,
          records: refresh.size,
          read: result.counts.contacts + result.counts.deals,
          scored: result.counts.scores,
          rows: rescored.written,
          written: written.send?.sent ?? 0,
        });
      } else {
        await runAnalysis(runtime, tenant, runId);
        const only = new Set<RecordKey>(
          [...refresh.values()]
            .filter((r) => r.type === 'contact' || r.type === 'deal' || r.type === 'company')
            .map((r) => `${r.type}:${r.id}` as RecordKey),
        );
        const written = await writeBack(runtime, tenant, runId, connector, { only });
        await store.runs.finish(runId, 'succeeded', {
          path: 'full',
          why: rescored.reason,
          events: events.length,
          records: refresh.size,
          written: written.send?.sent ?? 0,
        });
      }
    } catch (error) {
      await store.runs.finish(runId, 'failed', { events: events.length, path }, describeError(error));
      throw error;
    }
    logger.info({ tenantId, events: events.length, records: refresh.size, runId, path }, 'webhook recompute done');
    return {
      events: events.length,
      records: refresh.size,
      erased,
      status: 'recomputed',
      runId,
    };
  });
}

/** Ordering of changes that carry the same `occurredAt`: the one that removes more wins. */
const RANK: Partial<Record<CrmChangeEvent['change'], number>> = { deleted: 2, merged: 1 };

/**
 * What a batch of events asks for. A privacy deletion wins over every other event of its record, in any order,
 * and so does an earlier batch's (the record's tombstone): the record is erased once and nothing re-reads or
 * re-creates it; events about an erased record are deleted (`forget`) rather than kept with their payload. For
 * the rest, the latest event per record wins (senders deliver out of order; `occurredAt` orders them).
 */
async function precedence(
  store: Runtime['store'],
  tenantId: string,
  events: readonly InboxEvent[],
): Promise<{
  changes: RecordChanges;
  refresh: Map<string, { type: ObjectType; id: string }>;
  forget: Set<number>;
  /** Records (`type:id`) whose every event was a plain update (no link, creation, merge or removal). */
  plain: Set<string>;
}> {
  const parsed = events
    .map((row) => ({ row, event: JSON.parse(row.payload) as CrmChangeEvent }))
    .filter(({ event }) => event.objectType !== 'other');
  const key = (type: string, id: string) => `${type}:${id}`;
  const erase = new Map<string, { type: ObjectType; id: string }>();
  for (const { event } of parsed)
    if (event.change === 'privacy_deletion')
      erase.set(key(event.objectType, event.objectId), { type: event.objectType as ObjectType, id: event.objectId });
  const mentioned = new Map<ObjectType, Set<string>>();
  for (const { event } of parsed) {
    const type = event.objectType as ObjectType;
    const ids = mentioned.get(type) ?? new Set<string>();
    for (const id of [event.objectId, event.survivorId, ...(event.mergedIds ?? [])]) if (id) ids.add(id);
    mentioned.set(type, ids);
  }
  const tombstoned = new Set<string>();
  for (const [type, ids] of mentioned)
    for (const id of await store.privacy.tombstoned(tenantId, type, [...ids])) tombstoned.add(key(type, id));
  const gone = (type: string, id: string) => erase.has(key(type, id)) || tombstoned.has(key(type, id));

  const forget = new Set<number>();
  const latest = new Map<string, CrmChangeEvent>();
  const order = (a: CrmChangeEvent, b: CrmChangeEvent) =>
    a.occurredAt.localeCompare(b.occurredAt) || (RANK[a.change] ?? 0) - (RANK[b.change] ?? 0);
  for (const { row, event } of [...parsed].sort((a, b) => order(a.event, b.event))) {
    if (gone(event.objectType, event.objectId)) {
      forget.add(row.id);
      continue;
    }
    latest.set(key(event.objectType, event.objectId), event);
  }
  const changes: RecordChanges = { erasures: [...erase.values()], removals: [] };
  const refresh = new Map<string, { type: ObjectType; id: string }>();
  for (const e of latest.values()) {
    const type = e.objectType as ObjectType;
    if (e.change === 'deleted') changes.removals!.push({ type, id: e.objectId, at: e.occurredAt });
    else if (e.change === 'merged') {
      const survivor = e.survivorId && !gone(type, e.survivorId) ? e.survivorId : null;
      for (const merged of e.mergedIds ?? [])
        if (merged !== e.survivorId && !gone(type, merged))
          changes.removals!.push({ type, id: merged, at: e.occurredAt, mergedInto: survivor });
      if (survivor) refresh.set(key(type, survivor), { type, id: survivor });
    } else refresh.set(key(type, e.objectId), { type, id: e.objectId });
  }
  // A link added or removed moves no modified date on the record that owns it locally: read both ends again.
  for (const { event } of parsed) {
    const other = event.change === 'association' ? event.associated : undefined;
    if (other && other.objectType !== 'other' && other.objectId !== '' && !gone(other.objectType, other.objectId))
      refresh.set(key(other.objectType, other.objectId), { type: other.objectType, id: other.objectId });
  }
  const plain = new Set<string>();
  const other = new Set<string>();
  for (const { event } of parsed) {
    const k = key(event.objectType, event.objectId);
    if (event.change === 'updated' && !event.associated) plain.add(k);
    else other.add(k);
    if (event.associated) other.add(key(event.associated.objectType, event.associated.objectId));
  }
  for (const k of other) plain.delete(k);
  return { changes, refresh, forget, plain };
}

/** Which of the re-read records (`type:id`, among `plain`) equal the local copy, crm-agent's own fields included. */
async function unchangedRecords(
  store: Runtime['store'],
  tenantId: string,
  connector: ReturnType<Runtime['connectorFor']>,
  fresh: RecordChanges,
  plain: ReadonlySet<string>,
): Promise<string[]> {
  const writer = connector.writer?.();
  // Without a writer crm-agent writes nothing, so no event can be its echo: every record is scored.
  if (!writer) return [];
  const own = new Map(OUTPUT_FIELDS.map((f) => [writer.propertyName(f), f]));
  const out: string[] = [];
  const groups: Array<[ObjectType, ReadonlyArray<{ id: string }> | undefined]> = [
    ['contact', fresh.contacts],
    ['company', fresh.companies],
    ['deal', fresh.deals],
  ];
  for (const [type, records] of groups) {
    const candidates = (records ?? []).filter((r) => plain.has(`${type}:${r.id}`));
    if (candidates.length === 0) continue;
    const local = await store.records.getMany(
      tenantId,
      type,
      candidates.map((r) => r.id),
    );
    for (const record of candidates) {
      const held = local.get(record.id) as unknown as Record<string, unknown> | undefined;
      if (held && sameAsLocal(record as unknown as OwnWriteCandidate['record'], held, own))
        out.push(`${type}:${record.id}`);
    }
  }
  return out;
}
