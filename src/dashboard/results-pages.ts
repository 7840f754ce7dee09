import type { Request } from 'express';
import { tenantCurrency } from '../domain/crm-currency.js';
import { pipelineLabelsOf } from '../domain/crm-labels.js';
import type { ObjectType } from '../domain/records.js';
import type { Tenant } from '../domain/tenant.js';
import { effectiveSettings } from '../domain/tenant-settings.js';
import type { DataHealth, ModelQuality, SeriesResult } from '../engine/types.js';
import type { Clock } from '../lib/clock.js';
import type { CrmWriter } from '../ports/crm-writer.js';
import type { Store } from '../store/open-store.js';
import type { WritePlan } from '../writeback/plan-writes.js';
import { previewPlan } from '../writeback/write-back.js';
import { actionQueryOf } from './action-query.js';
import type { Html } from './html.js';
import { actionsPage } from './views/actions-page.js';
import type { NavKey } from './views/layout.js';
import { liftPage } from './views/lift-page.js';
import {
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
        pipelines: pipelineLabelsOf(await store.propertyDefinitions.list(tenant.id, 'deal')),
        currency: tenantCurrency(tenant.settings).currency,
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
    async actions(tenant, req) {
      const runId = await latest(tenant);
      if (!runId) return noResults('next-best-actions');
      const query = actionQueryOf(req.query as Record<string, unknown>);
      const [list, facets, segments, worth] = await Promise.all([
        store.actionList.page(tenant.id, query),
        store.actionList.facets(tenant.id),
        store.results.segments(runId),
        store.results.readArtifact<{
          winRateByAction: Array<{ action: string; won: number; lost: number; winRate: number | null }>;
        }>(runId, 'action-worth'),
      ]);
      if (facets.total === 0) return noResults('next-best-actions');
      const path = req.originalUrl.split('?')[0]!;
      return actionsPage({
        ...list,
        query,
        facets,
        segmentNames: new Map(segments.map((s) => [s.segmentKey, s.name])),
        path,
        csvPath: `${path}.csv`,
        winRates: worth?.winRateByAction ?? [],
        currency: tenantCurrency(tenant.settings).currency,
      });
    },
    async lift(tenant) {
      const runId = await latest(tenant);
      const segments = runId ? await store.results.segments(runId) : [];
      return liftPage({
        history: await store.results.liftHistory(tenant.id),
        segmentNames: new Map(segments.map((s) => [s.segmentKey, s.name])),
        holdoutShare: effectiveSettings(tenant.settings).holdoutShare,
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
