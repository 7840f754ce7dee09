import { runAnalysis } from '../analyse/run-analysis.js';
import { CRM_CURRENCY_KEY } from '../domain/crm-currency.js';
import { effectiveSettings } from '../domain/tenant-settings.js';
import type { EngineResult } from '../engine/types.js';
import { isoAt } from '../lib/clock.js';
import { describeError, ErrorCode, isCrmAgentError } from '../lib/errors.js';
import type { SyncMode } from '../ports/crm-connector.js';
import type { Runtime } from '../runtime.js';
import { runSync, type SyncSummary } from '../sync/run-sync.js';
import { runResultsOf } from '../writeback/run-results-of.js';
import { type WriteBackResult, writeBack } from '../writeback/write-back.js';
import { DRY_RUN_KIND, INTERRUPTED, LOCKED_RUN_KINDS } from './interrupted-runs.js';

export interface CycleRequest {
  tenantId: string;
  mode: SyncMode;
  trigger: string;
  signal?: AbortSignal;
  /** Plan the write-back, send nothing. */
  dryRun?: boolean;
}

export interface CycleResult {
  status: 'succeeded' | 'skipped' | 'failed' | 'cancelled';
  runId?: string;
  reason?: string;
  sync?: SyncSummary;
  engine?: EngineResult;
  writeBack?: WriteBackResult;
}

/**
 * One cycle of the agent workflow for a tenant, recorded as one run, under the tenant's lock (never two at once,
 * across processes on PostgreSQL): collect (sync), feed back the outcomes of past actions, clean, analyse and decide
 * (the engine), then act (write-back into the CRM).
 */
export async function runCycle(runtime: Runtime, request: CycleRequest): Promise<CycleResult> {
  return runtime.store.withLock(`tenant-run:${request.tenantId}`, async () => {
    const { store } = runtime;
    const stored = await store.tenants.get(request.tenantId);
    if (!stored) return { status: 'skipped', reason: 'tenant not found' };
    if (stored.status !== 'active') return { status: 'skipped', reason: `tenant is ${stored.status}` };
    // The settings parsed once, each field on its own (a bad one is its default, a bad dryRun true, each warned
    // about): the connector, the analysis and the write-back below all read these.
    const settings = effectiveSettings(stored.settings, (details, message) =>
      runtime.logger.warn({ tenantId: stored.id, ...details }, message),
    );
    const tenant = { ...stored, settings };
    await store.runs.abandonRunning(tenant.id, LOCKED_RUN_KINDS, INTERRUPTED);
    // A dry run is its own kind of run: never the baseline of the next one (results.latestRunId skips it).
    const dryRun = request.dryRun === true || settings.dryRun;
    const runId = await store.runs.start(tenant.id, dryRun ? DRY_RUN_KIND : 'cycle', request.trigger);
    const summary: Record<string, unknown> = { mode: request.mode };
    try {
      const connector = runtime.connectorFor(tenant);
      const sync = await runSync(runtime, {
        tenantId: tenant.id,
        connector,
        mode: request.mode,
        trigger: request.trigger,
        runId,
        ...(request.signal ? { signal: request.signal } : {}),
      });
      Object.assign(summary, {
        requests: sync.requests,
        throttled: sync.throttled,
        records: sync.counts,
        syncSeconds: sync.seconds,
        ...(sync.currency ? { currency: sync.currency } : {}),
        ...(sync.warnings ? { warnings: sync.warnings } : {}),
      });
      if (sync.status === 'cancelled') {
        await store.runs.finish(runId, 'cancelled', summary, 'cancelled during sync');
        return { status: 'cancelled', runId, sync };
      }
      // A dry run stores no results: the next real run's baseline stays the last real run's.
      // The CRM's currency as this sync (or an earlier one) stored it beside the settings: amounts are in it.
      const crmCurrency = (await store.tenants.get(tenant.id))?.settings[CRM_CURRENCY_KEY];
      const analysed = crmCurrency ? { ...tenant, settings: { ...settings, [CRM_CURRENCY_KEY]: crmCurrency } } : tenant;
      const engine = await runAnalysis(runtime, analysed, runId, {
        ...(dryRun ? { dryRun: true } : {}),
        ...(sync.warnings ? { warnings: sync.warnings } : {}),
      });
      Object.assign(summary, {
        segments: engine.segments.status === 'ok' ? engine.segments.segments.length : 0,
        scores: engine.scores.win.scores.length + engine.scores.contacts.scores.length,
        actions: engine.actions.actions.length,
      });
      const written = await writeBack(runtime, tenant, runId, connector, {
        ...(dryRun ? { dryRun: true, results: runResultsOf(engine, runId, isoAt(runtime.clock)) } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      Object.assign(summary, {
        writeBack: written.status,
        // Counts of what the plan holds; its API cost apart (the two were once merged and disagreed on "triggers").
        planned: written.plan
          ? {
              records: written.plan.fields.length,
              ...written.plan.stats,
              tasks: written.plan.tasks.length,
              closes: written.plan.closes.length,
              releases: written.plan.releases.length,
              triggers: written.plan.triggers.length,
              // Every call of the run: its sync, provisioning's checks and changes, then the plan's reads and writes.
              calls: {
                sync: sync.requests,
                ...(written.provision?.calls ? { provisioning: written.provision.calls } : {}),
                ...written.plan.calls,
                run:
                  sync.requests +
                  (written.provision?.calls ? written.provision.calls.checks + written.provision.calls.changes : 0) +
                  written.plan.calls.total,
              },
            }
          : undefined,
        sent: written.send
          ? {
              calls: written.send.calls,
              sent: written.send.sent,
              failed: written.send.failed + written.send.dead,
              retrying: written.send.retrying,
            }
          : undefined,
        ...(written.send?.stoppedBy ? { writeBackStoppedBy: written.send.stoppedBy } : {}),
        // crm-agent's fields an admin retyped: left alone, the rest of the write-back went on without them.
        ...(written.provision?.skipped?.length ? { fieldsLeftAlone: fieldsLeftAlone(written.provision.skipped) } : {}),
      });
      await store.runs.finish(runId, 'succeeded', summary);
      return { status: 'succeeded', runId, sync, engine, writeBack: written };
    } catch (error) {
      // Another process held the store past the wait (STORE_BUSY): nothing failed in the tenant's cycle.
      const busy = isCrmAgentError(error) && error.code === ErrorCode.StoreBusy;
      await store.runs.finish(runId, busy ? 'cancelled' : 'failed', summary, describeError(error));
      throw error;
    }
  });
}

/** One line per field crm-agent left alone: "crm_agent_win_probability — its type is now string, crm-agent writes number". */
export function fieldsLeftAlone(skipped: ReadonlyArray<{ field: string; reason: string }>): string[] {
  return [...new Set(skipped.map((s) => `${s.field} — ${s.reason}`))];
}
