import { OUTPUT_FIELDS, type OutputField } from '../domain/output-fields.js';
import { BudgetExhaustedError, describeError, NeedsReauthError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type {
  CrmWriter,
  FieldUpdate,
  FieldValue,
  TaskClose,
  TaskSpec,
  TriggerEvent,
  WritableObject,
  WriteResult,
} from '../ports/crm-writer.js';
import type { Store } from '../store/open-store.js';
import type { OutboxItem, OutboxKind } from '../store/repositories/outbox.js';
import type { LedgerEntry } from '../store/repositories/writeback.js';
import { type FieldPass, fieldPasses } from './batch-sizes.js';
import { canonical, featuresKey } from './plan-writes.js';

export interface SendSummary {
  calls: number;
  sent: number;
  failed: number;
  retrying: number;
  dead: number;
  /** Why sending stopped before the outbox was empty (revoked token, budget, CRM unavailable). */
  stoppedBy?: string;
  errors: Array<{ kind: OutboxKind; recordId: string; error: string }>;
}

const FIELDS = new Map(OUTPUT_FIELDS.map((f) => [f.name, f]));
const ORDER: OutboxKind[] = ['task_close', 'fields', 'task', 'trigger'];

/**
 * Drains a tenant's outbox through the CRM's writer in its largest batches. Each batch's outcomes (per record)
 * and ledger entries are stored in one transaction. Items left in flight by a crash are sent again: field updates
 * repeat the same values, tasks are upserted by their key, so nothing is written twice.
 */
export async function sendOutbox(
  deps: { store: Store; logger: Logger },
  tenantId: string,
  writer: CrmWriter,
  options: { maxAttempts?: number; signal?: AbortSignal } = {},
): Promise<SendSummary> {
  const { store } = deps;
  const maxAttempts = options.maxAttempts ?? 5;
  const summary: SendSummary = { calls: 0, sent: 0, failed: 0, retrying: 0, dead: 0, errors: [] };
  const waiting = await store.outbox.waiting(tenantId);
  for (const kind of ORDER) {
    const passes: FieldPass[] =
      kind === 'fields'
        ? fieldPasses(
            waiting.filter((w) => w.kind === 'fields'),
            writer.batchSize,
          )
        : waiting.some((w) => w.kind === kind)
          ? [
              {
                objectType: null,
                size: kind === 'trigger' ? writer.batchSize.triggers : writer.batchSize.tasks,
                n: Number.POSITIVE_INFINITY,
                until: 0,
              },
            ]
          : [];
    for (const pass of passes) {
      let left = pass.n;
      while (left > pass.until) {
        if (options.signal?.aborted) {
          summary.stoppedBy = 'cancelled';
          return summary;
        }
        const items = await store.outbox.claim(tenantId, kind, pass.objectType, pass.size);
        if (items.length === 0) break;
        left -= items.length;
        let results: WriteResult[];
        try {
          // HubSpot triggers are carried by the field update: publishing them makes no call.
          if (!(kind === 'trigger' && writer.batchSize.triggersInFields)) summary.calls += 1;
          results = await call(writer, kind, items);
        } catch (error) {
          await store.outbox.release(items.map((i) => i.id));
          if (error instanceof NeedsReauthError) throw error;
          summary.stoppedBy = describeError(error);
          deps.logger.warn(
            { tenantId, kind, err: error },
            'write-back stopped; the outbox keeps the rest for the next run',
          );
          if (!(error instanceof BudgetExhaustedError))
            deps.logger.error({ tenantId, kind, err: error }, 'write-back batch failed');
          return summary;
        }
        await record(deps, tenantId, kind, items, results, maxAttempts, summary, (f) => writer.propertyName(f));
      }
    }
  }
  return summary;
}

async function call(writer: CrmWriter, kind: OutboxKind, items: OutboxItem[]): Promise<WriteResult[]> {
  switch (kind) {
    case 'fields':
      return writer.writeFields(
        items.map(
          (i): FieldUpdate => ({
            key: i.id,
            objectType: i.objectType as WritableObject,
            recordId: i.recordId,
            values: i.payload.values as Record<string, FieldValue>,
          }),
        ),
      );
    case 'task':
      return remap(
        items,
        (i) => (i.payload as unknown as TaskSpec).key,
        await writer.upsertTasks(items.map((i) => i.payload as unknown as TaskSpec)),
      );
    case 'task_close':
      return writer.closeTasks(
        items.map(
          (i): TaskClose => ({
            key: i.id,
            crmTaskId: String(i.payload.crmTaskId),
            how: i.payload.how === 'defer' ? 'defer' : 'remove',
          }),
        ),
      );
    case 'trigger':
      return writer.publishTriggers(items.map((i) => ({ ...(i.payload as unknown as TriggerEvent), key: i.id })));
  }
}

/** Writers answer tasks by task key; the outbox knows items by id. */
function remap(items: OutboxItem[], keyOf: (i: OutboxItem) => string, results: WriteResult[]): WriteResult[] {
  const idByKey = new Map(items.map((i) => [keyOf(i), i.id]));
  return results.map((r) => ({ ...r, key: idByKey.get(r.key) ?? r.key }));
}

async function record(
  deps: { store: Store; logger: Logger },
  tenantId: string,
  kind: OutboxKind,
  items: OutboxItem[],
  results: WriteResult[],
  maxAttempts: number,
  summary: SendSummary,
  propertyName: (field: OutputField) => string,
): Promise<void> {
  const byId = new Map(results.map((r) => [r.key, r]));
  await deps.store.transaction(async (tx) => {
    const ledger: Array<LedgerEntry & { runId: string }> = [];
    const held: OutboxItem[] = [];
    let ok = 0;
    let failed = 0;
    for (const item of items) {
      const result = byId.get(item.id) ?? {
        key: item.id,
        ok: false,
        error: { code: 'NO_RESULT', message: 'the CRM did not answer for this record', retryable: true },
      };
      if (result.ok) {
        ok += 1;
        summary.sent += 1;
        await tx.outbox.finish(item.id, 'sent', { result: result.crmId ? { crmId: result.crmId } : {} });
        ledger.push(...ledgerEntries(kind, item, result).map((e) => ({ ...e, runId: item.runId })));
        if (kind === 'fields') held.push(item);
        continue;
      }
      failed += 1;
      const error = `${result.error?.code ?? 'ERROR'}: ${result.error?.message ?? 'failed'}`;
      const status = !result.error?.retryable ? 'failed' : item.attempts >= maxAttempts ? 'dead' : 'pending';
      if (status === 'pending') summary.retrying += 1;
      else if (status === 'dead') summary.dead += 1;
      else summary.failed += 1;
      summary.errors.push({ kind, recordId: item.recordId, error });
      await tx.outbox.finish(item.id, status, { error });
    }
    // The local copy holds what the CRM now holds, so the next sync sees this write as crm-agent's own.
    for (const type of new Set(held.map((i) => i.objectType)))
      await tx.records.setProperties(tenantId, type as WritableObject, localValues(held, type, propertyName));
    for (const runId of new Set(ledger.map((e) => e.runId))) {
      await tx.writeback.record(
        tenantId,
        runId,
        ledger.filter((e) => e.runId === runId),
      );
    }
    await tx.audit.append({
      tenantId,
      actor: 'system',
      action: 'writeback.batch',
      detail: { kind, objectType: items[0]?.objectType, items: items.length, ok, failed },
    });
  });
}

/** Each written record's new values of crm-agent's fields, as the local copy keeps them (by the CRM's names). */
function localValues(items: readonly OutboxItem[], objectType: string, propertyName: (field: OutputField) => string) {
  return items
    .filter((i) => i.objectType === objectType)
    .map((i) => ({
      id: i.recordId,
      properties: Object.fromEntries(
        Object.entries(i.payload.values as Record<string, FieldValue>).flatMap(([name, value]) => {
          const field = FIELDS.get(name);
          return field ? [[propertyName(field), canonical(field, value)]] : [];
        }),
      ),
    }));
}

function ledgerEntries(kind: OutboxKind, item: OutboxItem, result: WriteResult): LedgerEntry[] {
  if (kind === 'fields') {
    const values = item.payload.values as Record<string, FieldValue>;
    const features = (item.payload.features ?? {}) as Record<string, string>;
    const hashes = Object.entries(features).map(([field, hash]) => ({
      objectType: item.objectType,
      recordId: item.recordId,
      field: featuresKey(field),
      value: hash,
    }));
    return [
      ...Object.entries(values).map(([field, value]) => {
        const definition = FIELDS.get(field);
        return {
          objectType: item.objectType,
          recordId: item.recordId,
          field,
          value: definition ? canonical(definition, value) : value === null ? null : String(value),
        };
      }),
      ...hashes,
    ];
  }
  if (kind === 'task') {
    const task = item.payload as unknown as TaskSpec & { actionKey: string; record: string };
    return [
      { objectType: 'task', recordId: task.key, field: 'crm_id', value: result.crmId ?? null },
      { objectType: 'task', recordId: task.key, field: 'record', value: task.record },
      { objectType: 'task', recordId: task.key, field: 'action_key', value: task.actionKey },
      { objectType: 'task', recordId: task.key, field: 'status', value: 'open' },
    ];
  }
  if (kind === 'task_close') {
    const status = item.payload.how === 'defer' ? 'deferred' : 'removed';
    return [{ objectType: 'task', recordId: String(item.payload.taskKey), field: 'status', value: status }];
  }
  return [];
}
