import { createHash } from 'node:crypto';
import type { Tenant } from '../domain/tenant.js';
import type { ActionOutcome, EngineInput, EngineResult } from '../engine/types.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Store } from '../store/open-store.js';
import { outcomeOf } from './action-outcomes.js';
import { tenantEngineSettings } from './engine-settings.js';
import { loadPreviousRun } from './load-previous-run.js';
import type { ModelCache } from './model-cache.js';
import { type EngineRunner, runEngineInWorker } from './run-engine-in-worker.js';

/**
 * The engine's seed for a tenant: the same every run, so unchanged data gives unchanged results. Taken from the CRM
 * account (not the store's random tenant id), so a store rebuilt or moved to PostgreSQL scores the same portal the
 * same way and rewrites nothing.
 */
export function seedOf(tenant: Pick<Tenant, 'crm' | 'externalId'>): number {
  return createHash('sha256').update(`${tenant.crm}\u0000${tenant.externalId}`).digest().readUInt32BE(0);
}

/**
 * Analyse and decide for one tenant: first feed back what became of past actions, then run the (pure) engine on the
 * local copy with what the last run left, and store every result of this run in one transaction. The engine runs
 * in a worker thread (`deps.engine`, default `runEngineInWorker`), so the event loop stays free meanwhile.
 *
 * A dry run (`options.dryRun`) stores no result and no outcome: it learns the outcomes it can tell in memory, so its
 * results are the ones the real run after it computes, and the real run's baseline stays the last real run's.
 * Only its run stages are recorded.
 */
export async function runAnalysis(
  deps: { store: Store; clock: Clock; logger: Logger; engine?: EngineRunner; modelCache?: ModelCache },
  tenant: Tenant,
  runId: string,
  options: {
    dryRun?: boolean;
    /** The sync's data-health warnings (fields left out…): listed first in the run's data-health report. */
    warnings?: string[];
  } = {},
): Promise<EngineResult> {
  const { store } = deps;
  const dryRun = options.dryRun === true;
  const started = deps.clock.now();
  await store.runs.startStage(tenant.id, runId, 'outcomes');
  const input = await loadEngineInput(store, tenant.id);
  const told = await tellOutcomes(store, tenant.id, input, deps.clock.now());
  if (!dryRun) for (const [actionKey, outcome] of told) await store.results.setOutcome(tenant.id, actionKey, outcome);
  const outcomes: Record<string, number> = {};
  for (const outcome of told.values()) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  await store.runs.finishStage(runId, 'outcomes', 'succeeded', { outcomes, ...(dryRun ? { stored: false } : {}) });
  input.previous = await loadPreviousRun(store, tenant.id, dryRun ? told : undefined);
  const settings = await tenantEngineSettings(store, tenant);
  const runEngine = deps.engine ?? runEngineInWorker;
  const result = await runEngine(input, settings, { seed: seedOf(tenant), now: deps.clock.now() });
  if (options.warnings?.length) result.health.warnings = [...options.warnings, ...result.health.warnings];
  await store.transaction(async (tx) => {
    if (!dryRun) {
      await tx.results.save(tenant.id, runId, result);
      // The models this run fitted replace the tenant's stored ones (webhook recomputes score with them).
      if (result.models) await tx.models.save(tenant.id, runId, result.models);
    }
    deps.modelCache?.forget(tenant.id);
    // Each engine stage, as run stages laid end to end from the analysis start (the engine times itself).
    let at = started;
    for (const timing of result.timings) {
      const stage =
        timing.stage === 'clean' ? 'clean' : timing.stage === 'actions' ? 'decide:actions' : `analyse:${timing.stage}`;
      await tx.runs.recordStage(
        tenant.id,
        runId,
        stage,
        at,
        at + timing.seconds * 1000,
        timing.stage === 'clean' ? { fixes: result.health.fixes } : {},
      );
      at += timing.seconds * 1000;
    }
  });
  deps.logger.info(
    {
      tenantId: tenant.id,
      runId,
      seconds: result.timings.reduce((a, t) => a + t.seconds, 0),
      actions: result.actions.actions.length,
    },
    'analysis done',
  );
  return result;
}

export async function loadEngineInput(store: Store, tenantId: string): Promise<EngineInput> {
  const [contacts, companies, deals, lineItems, products, owners, associations, stageChanges] = await Promise.all([
    store.records.list(tenantId, 'contact'),
    store.records.list(tenantId, 'company'),
    store.records.list(tenantId, 'deal'),
    store.records.list(tenantId, 'line_item'),
    store.records.list(tenantId, 'product'),
    store.records.list(tenantId, 'owner'),
    store.records.allAssociations(tenantId),
    store.records.listStageHistory(tenantId),
  ]);
  return { tenantId, contacts, companies, deals, lineItems, products, owners, associations, stageChanges };
}

/** The outcomes of open past actions that can now be told, by action key (stored by the caller, or not). */
async function tellOutcomes(
  store: Store,
  tenantId: string,
  input: EngineInput,
  now: number,
): Promise<Map<string, ActionOutcome>> {
  const told = new Map<string, ActionOutcome>();
  const open = await store.results.openActions(tenantId);
  if (open.length === 0) return told;
  const history = new Map<string, EngineInput['stageChanges']>();
  for (const change of input.stageChanges) history.set(change.dealId, [...(history.get(change.dealId) ?? []), change]);
  const dealsOfContact = new Map<string, string[]>();
  for (const a of input.associations) {
    if (a.fromType === 'deal' && a.toType === 'contact')
      dealsOfContact.set(a.toId, [...(dealsOfContact.get(a.toId) ?? []), a.fromId]);
  }
  const facts = {
    deals: new Map(input.deals.map((d) => [d.id, d])),
    history,
    dealsOfContact,
    completedTasks: await store.writeback.completedTaskKeys(tenantId),
    now,
  };
  const seen = new Set<string>();
  for (const action of open) {
    if (seen.has(action.actionKey)) continue;
    seen.add(action.actionKey);
    const outcome = outcomeOf(action, facts);
    if (outcome) told.set(action.actionKey, outcome);
  }
  return told;
}
