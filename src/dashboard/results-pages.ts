import type { Request } from 'express';
import type { ObjectType } from '../domain/records.js';
import type { Tenant } from '../domain/tenant.js';
import type { DataHealth, ModelQuality, SeriesResult } from '../engine/types.js';
import type { Clock } from '../lib/clock.js';
import type { CrmWriter } from '../ports/crm-writer.js';
import type { Store } from '../store/open-store.js';
import type { WritePlan } from '../writeback/plan-writes.js';
import { previewPlan } from '../writeback/write-back.js';
import type { Html } from './html.js';
import type { NavKey } from './views/layout.js';
import {
  actionsPage,
  dataHealthPage,
  forecastsPage,
  modelsPage,
  noResults,
  segmentsPage,
  writebackPage,
} from './views/results-pages.js';

export interface ResultsPagesDeps {
  store: Store;
  clock: Clock;
  /** The tenant's CRM writer, for previewing the next run's plan; undefined when the connector cannot write. */
  writerFor: (tenant: Tenant) => CrmWriter | undefined;
}

const OBJECTS: ObjectType[] = ['contact', 'company', 'deal', 'line_item', 'product', 'owner'];

/** The dashboard pages that show a tenant's results, each from its latest run with engine results. */
export function resultsPages(
  deps: ResultsPagesDeps,
): Partial<Record<NavKey, (tenant: Tenant, req: Request) => Promise<Html>>> {
  const { store } = deps;
  const latest = (tenant: Tenant) => store.results.latestRunId(tenant.id);
  return {
    async data(tenant) {
      const counts = await Promise.all(
        OBJECTS.map(async (object) => {
          const live = await store.records.count(tenant.id, object);
          return {
            object,
            live,
            archived: (await store.records.count(tenant.id, object, { includeArchived: true })) - live,
          };
        }),
      );
      const runId = await latest(tenant);
      const lastSync = (await store.runs.list(tenant.id, 20)).find(
        (r) => r.summary.records !== undefined || r.kind.startsWith('sync'),
      );
      const records = (lastSync?.summary.records ?? lastSync?.summary.counts ?? {}) as Record<string, number>;
      return dataHealthPage({
        counts,
        health: runId ? await store.results.readArtifact<DataHealth>(runId, 'health') : undefined,
        rejected: records.rejected ? [{ stream: 'the last sync', count: records.rejected }] : [],
      });
    },
    async segments(tenant) {
      const runId = await latest(tenant);
      if (!runId) return noResults('segments');
      return segmentsPage({
        segments: await store.results.segments(runId),
        meta: await store.results.readArtifact(runId, 'segments'),
        projection:
          (await store.results.readArtifact<Array<{ x: number; y: number; segmentKey: string }>>(
            runId,
            'segments-projection',
          )) ?? [],
      });
    },
    async forecasts(tenant) {
      const runId = await latest(tenant);
      if (!runId) return noResults('forecasts');
      const metas =
        (await store.results.readArtifact<Array<Omit<SeriesResult, 'points'>>>(runId, 'forecast-series')) ?? [];
      const points = await store.results.forecasts(runId);
      return forecastsPage({
        series: metas.map((meta) => ({
          meta: { ...meta, points: [] },
          points: points.filter((p) => p.series === meta.series),
        })),
      });
    },
    async models(tenant) {
      const runId = await latest(tenant);
      if (!runId) return noResults('models');
      return modelsPage([
        { title: 'Deal win probability', quality: await store.results.readArtifact<ModelQuality>(runId, 'model-win') },
        {
          title: 'Contact conversion and churn risk',
          quality: await store.results.readArtifact<ModelQuality>(runId, 'model-contacts'),
        },
      ]);
    },
    async actions(tenant) {
      const runId = await latest(tenant);
      if (!runId) return noResults('next-best-actions');
      const actions = await store.results.actions(runId);
      const outcomes = new Map(
        (await store.results.pastActions(tenant.id)).map((p) => [
          `${p.objectType}:${p.recordId}:${p.action}`,
          p.outcome,
        ]),
      );
      const names = new Map<string, string>();
      for (const c of await store.records.list(tenant.id, 'contact'))
        names.set(`contact:${c.id}`, [c.firstName, c.lastName].filter(Boolean).join(' ') || c.email || c.id);
      for (const d of await store.records.list(tenant.id, 'deal')) names.set(`deal:${d.id}`, d.name ?? d.id);
      const worth = await store.results.readArtifact<{
        winRateByAction: Array<{ action: string; won: number; lost: number; winRate: number | null }>;
      }>(runId, 'action-worth');
      return actionsPage({
        actions: actions.map((a) => ({
          ...a,
          outcome: a.outcome ?? outcomes.get(`${a.objectType}:${a.recordId}:${a.action}`) ?? null,
        })),
        names,
        winRates: worth?.winRateByAction ?? [],
      });
    },
    async writeback(tenant) {
      const runId = await latest(tenant);
      const writer = deps.writerFor(tenant);
      const plan = runId && writer ? await previewPlan(deps, tenant, runId, writer) : undefined;
      const last = (await store.runs.list(tenant.id, 20)).find(
        (r) => r.kind === 'cycle' && typeof r.summary.planned === 'object' && r.summary.planned !== null,
      );
      return writebackPage({
        ...(last
          ? {
              lastRun: {
                startedAt: last.startedAt,
                stats: last.summary.planned as Partial<WritePlan['stats']>,
                fieldsLeftAlone: Array.isArray(last.summary.fieldsLeftAlone)
                  ? last.summary.fieldsLeftAlone.map(String)
                  : [],
              },
            }
          : {}),
        counts: await store.outbox.counts(tenant.id),
        recent: await store.outbox.list(tenant.id, { limit: 200 }),
        plan,
        planNote: !runId ? 'No run with results yet.' : `The ${tenant.crm} connector does not write back.`,
      });
    },
  };
}
