import { recordCards, workflowOutputs } from '../card/record-card.js';
import { OUTPUT_FIELDS } from '../domain/output-fields.js';
import type { Tenant } from '../domain/tenant.js';
import { effectiveSettings, type TenantSettings } from '../domain/tenant-settings.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { CrmConnector } from '../ports/crm-connector.js';
import type { CrmWriter, ProvisionReport } from '../ports/crm-writer.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { Store } from '../store/open-store.js';
import type { NewOutboxItem } from '../store/repositories/outbox.js';
import { sqlExecutor } from '../store/sql-executor.js';
import { desiredValues, type RecordKey, type RunResults } from './desired-values.js';
import { LedgerView, LIVE_TASK } from './ledger-view.js';
import { planWrites, type WritePlan } from './plan-writes.js';
import { type SendSummary, sendOutbox } from './send-outbox.js';
import { SEND_JOB, withSendLock } from './send-pending.js';

export interface WriteBackResult {
  status: 'sent' | 'dry-run' | 'skipped';
  reason?: string;
  plan?: WritePlan;
  provision?: ProvisionReport;
  send?: SendSummary;
  tasksCompleted?: number;
  /** Workflow executions that waited for a result (BLOCK) and were completed. */
  callbacksCompleted?: number;
}

export interface WriteBackOptions {
  dryRun?: boolean;
  /** Only these records (a webhook-driven recompute writes back just the records that changed). */
  only?: Set<RecordKey>;
  /**
   * Cheap mode for an incremental recompute (needs `only`): no field provisioning (the last full run made them),
   * task statuses read for the `only` records' tasks alone, and results, records and ledger read for those records
   * only; run-level results (segments, forecasts) come from `baseRunId`, the full run whose models scored them.
   */
  incremental?: { baseRunId: string };
  signal?: AbortSignal;
  /**
   * The run's results, when they are not stored: a dry run keeps its results in memory (`runResultsOf`), so the
   * stored ones stay the baseline of the next real run.
   */
  results?: RunResults;
}

/**
 * Act: make the run's results visible in the CRM. Provision crm-agent's fields (idempotent), learn which of its
 * tasks reps completed, plan the writes against the ledger and the freshly synced CRM values, store the plan in the
 * outbox before any call, then send it. A dry run plans and writes nothing.
 */
export async function writeBack(
  deps: { store: Store; clock: Clock; logger: Logger; queue?: JobQueue },
  tenant: Tenant,
  runId: string,
  connector: CrmConnector,
  options: WriteBackOptions = {},
): Promise<WriteBackResult> {
  const writer = connector.writer?.();
  if (!writer) return { status: 'skipped', reason: `the ${tenant.crm} connector does not write back yet` };
  const { store } = deps;
  const settings = effectiveSettings(tenant.settings);
  const dryRun = options.dryRun === true || settings.dryRun;
  const scope = options.incremental && options.only ? { only: options.only, ...options.incremental } : undefined;
  const results =
    options.results ?? (scope ? await loadRecordResults(store, tenant.id, scope) : await loadResults(store, runId));
  const stage = async <T>(name: string, fn: () => Promise<T>, detail: (value: T) => Record<string, unknown>) => {
    await store.runs.startStage(tenant.id, runId, name);
    try {
      const value = await fn();
      await store.runs.finishStage(runId, name, 'succeeded', detail(value));
      return value;
    } catch (error) {
      await store.runs.finishStage(runId, name, 'failed', { error: (error as Error).message });
      throw error;
    }
  };

  let provision: ProvisionReport | undefined;
  const segmentOptions = results.segments.map((s) => ({ value: s.segmentKey, label: s.name }));
  if (dryRun && !scope && writer.checkProvisioning) {
    // Provisioning's reads only: the plan then leaves out retyped fields and fills remade ones as the real run will,
    // and its cost counts the checks and the creations.
    provision = await stage(
      'act:provision-check',
      () => writer.checkProvisioning!({ fields: OUTPUT_FIELDS, segmentOptions }),
      (r) => ({ created: r.created.length, updated: r.updated.length, calls: r.calls }),
    );
  }
  if (!dryRun && !scope) {
    provision = await stage(
      'act:provision',
      () =>
        writer.provision({
          fields: OUTPUT_FIELDS,
          segmentOptions,
        }),
      (r) => ({
        created: r.created.length,
        updated: r.updated.length,
        unchanged: r.unchanged.length,
        ...(r.calls ? { calls: r.calls } : {}),
        ...(r.skipped?.length ? { skipped: r.skipped.map((f) => `${f.objectType}.${f.field}: ${f.reason}`) } : {}),
      }),
    );
  }
  // Read in a dry run too (reads change nothing): the plan must be the one the real run makes.
  const statuses = await stage(
    'act:task-statuses',
    () => readTaskStatuses(store, tenant.id, writer, scope?.only),
    (r) => ({ completed: r.completed, calls: r.calls }),
  );
  if (!dryRun && statuses.changed.size > 0)
    await store.writeback.record(
      tenant.id,
      runId,
      [...statuses.changed].map(([taskKey, status]) => ({
        objectType: 'task',
        recordId: taskKey,
        field: 'status',
        value: status,
      })),
    );
  const tasksCompleted = dryRun ? undefined : statuses.completed;

  const plan = await stage(
    'act:plan',
    async () =>
      withoutSkipped(
        await buildPlan(
          deps,
          tenant,
          runId,
          writer,
          results,
          settings,
          options.only,
          { statuses: statuses.changed, readCalls: statuses.calls, made: provision?.made ?? [] },
          scope !== undefined,
        ),
        provision?.skipped ?? [],
        writer,
      ),
    (p) => ({
      ...p.calls,
      fields: p.fields.length,
      tasks: p.tasks.length,
      closes: p.closes.length,
      releases: p.releases.length,
      triggers: p.triggers.length,
      ...p.stats,
      dryRun,
    }),
  );
  if (dryRun) return { status: 'dry-run', plan, ...(provision ? { provision } : {}) };

  const send = await withSendLock(store, tenant.id, async () => {
    // The plan and, on pg-boss, a job that sends it land together: a worker killed from here on leaves the job,
    // and another worker sends what is left as soon as this one's lock is gone.
    await store.transaction(async (tx, db) => {
      await tx.outbox.add(tenant.id, outboxItems(runId, plan));
      // Tasks the rep started, whose action no longer stands, are theirs now: crm-agent stops looking after them.
      if (plan.releases.length > 0)
        await tx.writeback.record(
          tenant.id,
          runId,
          plan.releases.map((r) => ({ objectType: 'task', recordId: r.taskKey, field: 'status', value: 'released' })),
        );
      await deps.queue?.sendWithin?.(sqlExecutor(db), SEND_JOB, tenant.id, {}, { singletonKey: `send:${tenant.id}` });
    });
    return stage(
      'act:send',
      () => sendOutbox(deps, tenant.id, writer, options.signal ? { signal: options.signal } : {}),
      (s) => ({ ...s, errors: s.errors.slice(0, 20) }),
    );
  });
  const callbacksCompleted = await completeBlockedCallbacks(store, tenant.id, writer);
  return {
    status: 'sent',
    plan,
    send,
    callbacksCompleted,
    ...(provision ? { provision } : {}),
    ...(tasksCompleted !== undefined ? { tasksCompleted } : {}),
  };
}

/** The plan a run's results would make now, against the ledger and the CRM as last synced (the dashboard's preview). */
export async function previewPlan(
  deps: { store: Store; clock: Clock },
  tenant: Tenant,
  runId: string,
  writer: CrmWriter,
): Promise<WritePlan> {
  return buildPlan(
    deps,
    tenant,
    runId,
    writer,
    await loadResults(deps.store, runId),
    effectiveSettings(tenant.settings),
    undefined,
  );
}

/** The `only` records' current results, with the run-level ones (segments, forecasts) of the full run `baseRunId`. */
async function loadRecordResults(
  store: Store,
  tenantId: string,
  scope: { only: Set<RecordKey>; baseRunId: string },
): Promise<RunResults> {
  const byType = new Map<string, string[]>();
  for (const key of scope.only) {
    const at = key.indexOf(':');
    byType.set(key.slice(0, at), [...(byType.get(key.slice(0, at)) ?? []), key.slice(at + 1)]);
  }
  const [current, segments, forecasts] = await Promise.all([
    store.results.currentOf(tenantId, byType),
    store.results.segments(scope.baseRunId),
    store.results.forecasts(scope.baseRunId),
  ]);
  return { ...current, segments, forecasts };
}

async function loadResults(store: Store, runId: string): Promise<RunResults> {
  const [scores, actions, segments, members, recommendations, forecasts] = await Promise.all([
    store.results.scores(runId),
    store.results.actions(runId),
    store.results.segments(runId),
    store.results.segmentMembers(runId),
    store.results.recommendations(runId),
    store.results.forecasts(runId),
  ]);
  return { scores, actions, segments, members, recommendations, forecasts };
}

/** The plan without the fields provisioning could not make writable (the rest of the write-back goes on). */
export function withoutSkipped(
  plan: WritePlan,
  skipped: NonNullable<ProvisionReport['skipped']>,
  writer: CrmWriter,
): WritePlan {
  if (skipped.length === 0) return plan;
  const names = new Map(OUTPUT_FIELDS.map((f) => [f.name, writer.propertyName(f)]));
  const off = new Set(skipped.map((s) => `${s.objectType}:${s.field}`));
  const fields = plan.fields.flatMap((update) => {
    const values = Object.fromEntries(
      Object.entries(update.values).filter(([key]) => !off.has(`${update.objectType}:${names.get(key) ?? key}`)),
    );
    if (Object.keys(values).length === 0) return [];
    return [{ ...update, values, changes: update.changes.filter((c) => c.field in values) }];
  });
  return { ...plan, fields };
}

async function buildPlan(
  deps: { store: Store; clock: Clock },
  tenant: Tenant,
  runId: string,
  writer: CrmWriter,
  results: RunResults,
  settings: TenantSettings,
  only: Set<RecordKey> | undefined,
  tasks: {
    statuses?: ReadonlyMap<string, string>;
    readCalls?: number;
    made?: ReadonlyArray<{ objectType: string; field: string }>;
  } = {},
  scoped = false,
): Promise<WritePlan> {
  // Fields provisioning just made (an admin had deleted them) hold nothing, whatever the last sync read.
  const made = new Set((tasks.made ?? []).map((m) => `${m.objectType}:${m.field}`));
  const { store } = deps;
  const idsOf = (type: string) =>
    [...(only ?? [])].filter((k) => k.startsWith(`${type}:`)).map((k) => k.slice(type.length + 1));
  const [contacts, companies, deals, associations, ledger] =
    scoped && only
      ? await Promise.all([
          store.records.listByIds(tenant.id, 'contact', idsOf('contact')),
          store.records.listByIds(tenant.id, 'company', idsOf('company')),
          store.records.listByIds(tenant.id, 'deal', idsOf('deal')),
          store.records
            .associationsOf(tenant.id, 'deal', idsOf('deal'))
            .then((links) => links.filter((a) => a.fromType === 'deal' && a.toType === 'contact')),
          store.writeback.ledgerOf(tenant.id, only),
        ])
      : await Promise.all([
          store.records.list(tenant.id, 'contact'),
          store.records.list(tenant.id, 'company'),
          store.records.list(tenant.id, 'deal'),
          store.records.listAssociations(tenant.id, 'deal', 'contact'),
          store.writeback.ledger(tenant.id),
        ]);
  const properties = new Map<string, Record<string, string | null>>();
  for (const [type, list] of [
    ['contact', contacts],
    ['company', companies],
    ['deal', deals],
  ] as const) {
    for (const record of list) properties.set(`${type}:${record.id}`, record.properties);
  }
  const primary = new Map<string, string>();
  for (const a of associations) if (!primary.has(a.fromId)) primary.set(a.fromId, a.toId);
  return planWrites({
    runId,
    now: deps.clock.now(),
    desired: desiredValues(results, contacts, deals, { minReasonPoints: settings.writeback.minReasonPoints }),
    actions: results.actions,
    ledger: new LedgerView(ledger).withTaskStatuses(tasks.statuses ?? new Map()),
    current: (objectType, recordId, field) => {
      const props = properties.get(`${objectType}:${recordId}`);
      const name = writer.propertyName(field);
      if (made.has(`${objectType}:${name}`)) return props ? null : undefined;
      return props && name in props ? (props[name] ?? null) : undefined;
    },
    contacts: new Map(contacts.map((c) => [c.id, c])),
    deals: new Map(deals.map((d) => [d.id, d])),
    primaryContact: (dealId) => primary.get(dealId) ?? null,
    outputs: settings.outputs,
    rules: settings.writeback,
    batchSize: writer.batchSize,
    ...(tasks.readCalls !== undefined ? { readCalls: tasks.readCalls } : {}),
    ...(only ? { only } : {}),
  });
}

function outboxItems(runId: string, plan: WritePlan): NewOutboxItem[] {
  const actionKeyOf = (taskKey: string) => taskKey.slice(0, taskKey.lastIndexOf('-'));
  return [
    ...plan.fields.map((f) => ({
      runId,
      kind: 'fields' as const,
      objectType: f.objectType,
      recordId: f.recordId,
      idempotencyKey: f.key,
      payload: { values: f.values, changes: f.changes, ...(f.features ? { features: f.features } : {}) },
    })),
    ...plan.closes.map((c) => ({
      runId,
      kind: 'task_close' as const,
      objectType: 'task',
      recordId: c.crmTaskId,
      idempotencyKey: c.key,
      payload: { crmTaskId: c.crmTaskId, taskKey: c.key.slice('close:'.length), how: c.how },
    })),
    ...plan.tasks.map((t) => ({
      runId,
      kind: 'task' as const,
      objectType: t.dealId ? 'deal' : 'contact',
      recordId: t.dealId ?? t.contactId ?? '',
      idempotencyKey: `task:${t.key}`,
      payload: {
        ...t,
        actionKey: actionKeyOf(t.key),
        record: t.dealId ? `deal:${t.dealId}` : `contact:${t.contactId}`,
      },
    })),
    ...plan.triggers.map((t) => ({
      runId,
      kind: 'trigger' as const,
      objectType: t.objectType,
      recordId: t.recordId,
      idempotencyKey: t.key,
      payload: { ...t },
    })),
  ];
}

/**
 * Reads the state of the tasks crm-agent looks after (open or started) from the CRM: the task statuses that changed
 * since the ledger's (by task key), how many reps completed, and the calls it took. Changes nothing.
 */
async function readTaskStatuses(
  store: Store,
  tenantId: string,
  writer: CrmWriter,
  only?: Set<RecordKey>,
): Promise<{ changed: Map<string, string>; completed: number; calls: number }> {
  const ledger = new LedgerView(
    only
      ? await store.writeback.ledgerOf(tenantId, only, { tasksOnly: true })
      : await store.writeback.ledger(tenantId, 'task'),
  );
  const live = ledger.allTasks().filter((t) => LIVE_TASK.has(t.status) && t.crmId);
  const changed = new Map<string, string>();
  if (live.length === 0) return { changed, completed: 0, calls: 0 };
  const states = await writer.readTaskStatuses(live.map((t) => t.crmId!));
  let completed = 0;
  for (const task of live) {
    const state = states.get(task.crmId!);
    // A task the CRM no longer has (a rep deleted it) stays as it was: ending it again costs nothing.
    if (state === undefined || state === task.status) continue;
    changed.set(task.taskKey, state);
    if (state === 'completed') completed += 1;
  }
  const perCall = writer.batchSize.taskReads ?? writer.batchSize.tasks;
  return { changed, completed, calls: Math.ceil(live.length / perCall) };
}

/** Completes workflow executions answered BLOCK before the record had a result, now that it has one. */
async function completeBlockedCallbacks(store: Store, tenantId: string, writer: CrmWriter): Promise<number> {
  if (!writer.completeCallbacks) return 0;
  const ready: Array<{ key: string; callbackId: string; outputFields: Record<string, string | number> }> = [];
  // Only the callbacks whose record now has a result (one indexed query), not every pending one × a card lookup.
  const runId = await store.results.latestRunId(tenantId);
  const pending = runId ? await store.callbacks.ready(tenantId, runId) : [];
  for (const objectType of ['contact', 'deal', 'company'] as const) {
    const ofType = pending.filter((p) => p.objectType === objectType);
    if (ofType.length === 0) continue;
    const cards = await recordCards(
      store,
      tenantId,
      objectType,
      ofType.map((p) => p.recordId),
    );
    ofType.forEach((p, i) => {
      const card = cards[i]!;
      if (!card.scored) return;
      ready.push({
        key: p.callbackId,
        callbackId: p.callbackId,
        outputFields: { ...workflowOutputs(card), hs_execution_state: 'SUCCESS' },
      });
    });
  }
  let completed = 0;
  for (let i = 0; i < ready.length; i += 100) {
    const results = await writer.completeCallbacks(ready.slice(i, i + 100));
    const done = results.filter((r) => r.ok).map((r) => r.key);
    await store.callbacks.complete(tenantId, done);
    completed += done.length;
  }
  return completed;
}
