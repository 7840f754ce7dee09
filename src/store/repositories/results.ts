import type { Kysely } from 'kysely';
import type {
  ActionOutcome,
  EngineResult,
  NextBestAction,
  PastAction,
  PreviousRun,
  Reason,
  Recommendation,
  Segment,
} from '../../engine/types.js';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database } from '../schema.js';
import { chunk, fromJson, rowsPerStatement, toJson } from './json.js';

/** Artifacts a run stores beside its per-record results. */
export type ArtifactName =
  | 'health'
  | 'timings'
  | 'segments'
  | 'segments-projection'
  | 'forecast-series'
  | 'model-win'
  | 'model-contacts'
  | 'cross-sell-rules'
  | 'action-worth';

export interface StoredSegment {
  segmentKey: string;
  name: string;
  size: number;
  valueShare: number;
  profile: Segment['profile'];
  centre: Record<string, number>;
  previousKey: string | null;
}

export interface StoredScore {
  objectType: string;
  recordId: string;
  kind: string;
  probability: number;
  previousProbability: number | null;
  reasons: Reason[];
  modelVersion: string;
}

export interface StoredAction extends Omit<NextBestAction, 'objectType' | 'action'> {
  runId: string;
  objectType: string;
  action: string;
  status: string;
  outcome: string | null;
  createdAt: string;
}

/** How long past actions keep teaching the engine what works. */
const LEARNING_WINDOW_MS = 365 * 86_400_000;

/**
 * The engine's results per run: segments and members, scores with reasons, forecasts, next-best-actions,
 * recommendations, and the run's artifacts (data health, model quality, backtests, rules, action worth).
 * `previous` reads back what the next run needs to keep segment ids stable, report score changes and learn.
 */
/** One point of a stored forecast series: history (`kind` 'history') or forecast with its intervals. */
export interface StoredForecast {
  series: string;
  period: string;
  kind: string;
  value: number;
  lo80: number | null;
  hi80: number | null;
  lo95: number | null;
  hi95: number | null;
  model: string;
}

export class ResultsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async save(tenantId: string, runId: string, result: EngineResult): Promise<void> {
    const createdAt = isoAt(this.clock);
    const insert = async <T extends Record<string, unknown>>(table: keyof Database, rows: T[]) => {
      if (rows.length === 0) return;
      for (const part of chunk(rows, rowsPerStatement(Object.keys(rows[0]!).length))) {
        await this.db
          .insertInto(table)
          .values(part as never)
          .execute();
      }
    };
    if (result.segments.status === 'ok') {
      const { segments, members, projection, ...meta } = result.segments;
      await insert(
        'segments',
        segments.map((s) => ({
          tenantId,
          runId,
          segmentKey: s.segmentKey,
          name: s.name,
          size: s.size,
          valueShare: s.valueShare,
          profile: toJson({ entries: s.profile, centre: s.centre, previousKey: s.previousKey }),
        })),
      );
      await insert(
        'segmentMembers',
        members.map((m) => ({ tenantId, runId, ...m })),
      );
      await this.artifact(tenantId, runId, 'segments', meta);
      if (projection) await this.artifact(tenantId, runId, 'segments-projection', projection);
    } else {
      await this.artifact(tenantId, runId, 'segments', result.segments);
    }
    const scores = [...result.scores.win.scores, ...result.scores.contacts.scores];
    await insert(
      'scores',
      scores.map((s) => ({
        tenantId,
        runId,
        objectType: s.objectType,
        recordId: s.recordId,
        kind: s.kind,
        probability: s.probability,
        reasons: toJson({ reasons: s.reasons, previousProbability: s.previousProbability }),
        modelVersion: s.modelVersion,
      })),
    );
    await insert(
      'forecasts',
      result.forecasts.flatMap((series) =>
        series.points.map((p) => ({ tenantId, runId, series: series.series, ...p, model: series.model ?? 'none' })),
      ),
    );
    await insert(
      'actions',
      result.actions.actions.map((a) => ({
        tenantId,
        runId,
        objectType: a.objectType,
        recordId: a.recordId,
        actionKey: a.actionKey,
        action: a.action,
        priority: a.priority,
        dueDate: a.dueDate,
        reason: a.reason,
        status: 'proposed',
        outcome: null,
        segmentKey: a.segmentKey,
        value: a.value,
        createdAt,
      })),
    );
    await insert(
      'recommendations',
      result.crossSell.recommendations.map((r) => ({
        tenantId,
        runId,
        objectType: r.objectType,
        recordId: r.recordId,
        items: toJson(r.items),
      })),
    );
    await this.artifact(tenantId, runId, 'health', result.health);
    await this.artifact(tenantId, runId, 'timings', result.timings);
    await this.artifact(
      tenantId,
      runId,
      'forecast-series',
      result.forecasts.map(({ points: _p, ...series }) => series),
    );
    await this.artifact(tenantId, runId, 'model-win', result.scores.win.quality);
    await this.artifact(tenantId, runId, 'model-contacts', result.scores.contacts.quality);
    await this.artifact(tenantId, runId, 'cross-sell-rules', {
      baskets: result.crossSell.baskets,
      rules: result.crossSell.rules,
    });
    await this.artifact(tenantId, runId, 'action-worth', {
      actionWorth: result.actions.actionWorth,
      winRateByAction: result.actions.winRateByAction,
    });
  }

  private async artifact(tenantId: string, runId: string, name: ArtifactName, payload: unknown): Promise<void> {
    await this.db
      .insertInto('runArtifacts')
      .values({ tenantId, runId, name, payload: toJson(payload) })
      .onConflict((oc) => oc.columns(['runId', 'name']).doUpdateSet({ payload: toJson(payload) }))
      .execute();
  }

  async readArtifact<T>(runId: string, name: ArtifactName): Promise<T | undefined> {
    const row = await this.db
      .selectFrom('runArtifacts')
      .select('payload')
      .where('runId', '=', runId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? fromJson<T | undefined>(row.payload, undefined) : undefined;
  }

  /** The newest run of a tenant that has engine results. */
  async latestRunId(tenantId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('runArtifacts')
      .innerJoin('runs', 'runs.id', 'runArtifacts.runId')
      .select('runArtifacts.runId')
      .where('runArtifacts.tenantId', '=', tenantId)
      .where('runArtifacts.name', '=', 'health')
      // A dry run is never the baseline of the next run (src/jobs/interrupted-runs.ts DRY_RUN_KIND).
      .where('runs.kind', '!=', 'dry-run')
      .orderBy('runs.startedAt', 'desc')
      .orderBy('runs.id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.runId;
  }

  async segments(runId: string): Promise<StoredSegment[]> {
    const rows = await this.db
      .selectFrom('segments')
      .selectAll()
      .where('runId', '=', runId)
      .orderBy('size', 'desc')
      .orderBy('segmentKey')
      .execute();
    return rows.map((r) => {
      const profile = fromJson<{
        entries: Segment['profile'];
        centre: Record<string, number>;
        previousKey: string | null;
      }>(r.profile, { entries: [], centre: {}, previousKey: null });
      return {
        segmentKey: r.segmentKey,
        name: r.name,
        size: r.size,
        valueShare: r.valueShare,
        profile: profile.entries,
        centre: profile.centre,
        previousKey: profile.previousKey,
      };
    });
  }

  async segmentOf(tenantId: string, runId: string, objectType: string, recordId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('segmentMembers')
      .select('segmentKey')
      .where('tenantId', '=', tenantId)
      .where('runId', '=', runId)
      .where('objectType', '=', objectType)
      .where('recordId', '=', recordId)
      .executeTakeFirst();
    return row?.segmentKey;
  }

  async segmentMembers(runId: string): Promise<Array<{ objectType: string; recordId: string; segmentKey: string }>> {
    return this.db
      .selectFrom('segmentMembers')
      .select(['objectType', 'recordId', 'segmentKey'])
      .where('runId', '=', runId)
      .execute();
  }

  async scores(runId: string, filter: { objectType?: string; recordId?: string } = {}): Promise<StoredScore[]> {
    let query = this.db.selectFrom('scores').selectAll().where('runId', '=', runId);
    if (filter.objectType) query = query.where('objectType', '=', filter.objectType);
    if (filter.recordId) query = query.where('recordId', '=', filter.recordId);
    const rows = await query.orderBy('objectType').orderBy('recordId').orderBy('kind').execute();
    return rows.map((r) => {
      const extra = fromJson<{ reasons: Reason[]; previousProbability: number | null }>(r.reasons, {
        reasons: [],
        previousProbability: null,
      });
      return {
        objectType: r.objectType,
        recordId: r.recordId,
        kind: r.kind,
        probability: r.probability,
        modelVersion: r.modelVersion,
        ...extra,
      };
    });
  }

  async actions(runId: string, filter: { objectType?: string; recordId?: string } = {}): Promise<StoredAction[]> {
    let query = this.db.selectFrom('actions').selectAll().where('runId', '=', runId);
    if (filter.objectType) query = query.where('objectType', '=', filter.objectType);
    if (filter.recordId) query = query.where('recordId', '=', filter.recordId);
    const rows = await query.orderBy('value', 'desc').orderBy('actionKey').execute();
    return rows.map(({ tenantId: _t, priority, ...r }) => ({
      ...r,
      priority: priority as NextBestAction['priority'],
      dueDate: r.dueDate ?? '',
    }));
  }

  async forecasts(runId: string): Promise<StoredForecast[]> {
    return this.db
      .selectFrom('forecasts')
      .select(['series', 'period', 'kind', 'value', 'lo80', 'hi80', 'lo95', 'hi95', 'model'])
      .where('runId', '=', runId)
      .orderBy('series')
      .orderBy('period')
      .execute();
  }

  async recommendations(
    runId: string,
    filter: { objectType?: string; recordId?: string } = {},
  ): Promise<Array<{ objectType: string; recordId: string; items: Recommendation[] }>> {
    let query = this.db
      .selectFrom('recommendations')
      .select(['objectType', 'recordId', 'items'])
      .where('runId', '=', runId);
    if (filter.objectType) query = query.where('objectType', '=', filter.objectType);
    if (filter.recordId) query = query.where('recordId', '=', filter.recordId);
    const rows = await query.execute();
    return rows.map((r) => ({
      objectType: r.objectType,
      recordId: r.recordId,
      items: fromJson<Recommendation[]>(r.items, []),
    }));
  }

  /** What the next run needs from the last one: segment centres, scores, and past actions with their outcomes. */
  async previous(tenantId: string): Promise<PreviousRun> {
    const runId = await this.latestRunId(tenantId);
    if (!runId) return {};
    const segments = (await this.segments(runId)).map((s) => ({
      segmentKey: s.segmentKey,
      name: s.name,
      centre: s.centre,
    }));
    const scores = (await this.scores(runId)).map((s) => ({
      objectType: s.objectType as 'deal' | 'contact',
      recordId: s.recordId,
      kind: s.kind as 'win' | 'churn' | 'conversion',
      probability: s.probability,
    }));
    return { segments, scores, actions: await this.pastActions(tenantId) };
  }

  /** Every action planned in the learning window, with its outcome (null while unknown), one per action key. */
  async pastActions(tenantId: string): Promise<PastAction[]> {
    const since = new Date(this.clock.now() - LEARNING_WINDOW_MS).toISOString();
    const rows = await this.db
      .selectFrom('actions')
      .select(['actionKey', 'objectType', 'recordId', 'action', 'segmentKey', 'createdAt', 'outcome'])
      .where('tenantId', '=', tenantId)
      .where('createdAt', '>=', since)
      .orderBy('createdAt')
      .execute();
    const byKey = new Map<string, (typeof rows)[number]>();
    for (const row of rows) {
      const first = byKey.get(row.actionKey);
      // The first time an action was planned is when it started; a later outcome wins.
      byKey.set(row.actionKey, first ? { ...first, outcome: row.outcome ?? first.outcome } : row);
    }
    return [...byKey.values()].map((r) => ({
      objectType: r.objectType as 'deal' | 'contact',
      recordId: r.recordId,
      action: r.action as PastAction['action'],
      segmentKey: r.segmentKey,
      createdAt: r.createdAt,
      outcome: r.outcome as ActionOutcome | null,
    }));
  }

  /** Actions still waiting for an outcome. */
  async openActions(
    tenantId: string,
  ): Promise<Array<{ actionKey: string; objectType: string; recordId: string; action: string; createdAt: string }>> {
    const since = new Date(this.clock.now() - LEARNING_WINDOW_MS).toISOString();
    return this.db
      .selectFrom('actions')
      .select(['actionKey', 'objectType', 'recordId', 'action', 'createdAt'])
      .where('tenantId', '=', tenantId)
      .where('outcome', 'is', null)
      .where('action', '!=', 'none')
      .where('createdAt', '>=', since)
      .orderBy('createdAt')
      .execute();
  }

  async setOutcome(tenantId: string, actionKey: string, outcome: ActionOutcome): Promise<void> {
    await this.db
      .updateTable('actions')
      .set({ outcome })
      .where('tenantId', '=', tenantId)
      .where('actionKey', '=', actionKey)
      .execute();
  }
}
