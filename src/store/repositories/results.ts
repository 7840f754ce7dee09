import { type Kysely, type Selectable, sql } from 'kysely';
import type { Exposure, LiftResult } from '../../engine/lift/measure-lift.js';
import type { RecordsResult } from '../../engine/score-records.js';
import type {
  ActionOutcome,
  ActionType,
  CrossSellResult,
  EngineResult,
  HeldOutAction,
  NextBestAction,
  PastAction,
  PreviousRun,
  Reason,
  Recommendation,
  RecordScore,
  ScoreKind,
  Segment,
} from '../../engine/types.js';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database } from '../schema.js';
import { chunk, rowsPerStatement } from './chunk.js';
import { fromJson, toJson } from './json.js';
import { pruneRows, tenantFilter } from './prune-rows.js';

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
  | 'action-worth'
  | 'lift';

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
  /** The probability's standard error (RecordScore.standardError), kept with the reasons; absent on older rows. */
  standardError?: number;
  /** The hash of the features it was computed from (RecordScore.featureHash); absent on older rows. */
  featureHash?: string;
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

/** Run-level results kept per tenant and run kind when nothing else is said (see `RetentionSettings.runResults`). */
export const DEFAULT_KEEP_RUN_RESULTS = 20;

type ScoreRow = Database['scores'];
type MemberRow = Database['segmentMembers'];
type ActionRow = Database['actions'];
type RecommendationRow = Database['recommendations'];
type HistoryRow = Omit<Database['resultHistory'], 'id'>;

/** What one save changed: current rows written (inserted or updated) and removed, history rows added. */
export interface SaveCounts {
  written: number;
  removed: number;
  history: number;
}

/**
 * The engine's results. Per record (scores with reasons, segment membership, next-best-actions, recommendations):
 * ONE current row per (tenant, record[, kind]), upserted by each run only where it changed, plus `result_history`
 * (probability, segment and action changes with their time) and `action_history` (every action key ever planned,
 * with its outcome: what the engine learns from). Per run (segments, forecasts, artifacts such as data health,
 * timings and model quality): kept for the last `keepRuns` runs of each run kind. So a tenant's store grows with
 * its records, not with its runs. `previous` reads back what the next run needs to keep segment ids stable,
 * report score changes and learn.
 */
/** The current results of one record (`ResultsRepository.ofRecords`). */
export interface RecordResults {
  recordId: string;
  scores: StoredScore[];
  actions: StoredAction[];
  recommendations: Array<{ objectType: string; recordId: string; items: Recommendation[] }>;
  segmentKey: string | null;
}

/** Records per query of `ofRecords`: four bound values each, far below either dialect's limit on parameters. */
const RECORDS_PER_QUERY = 500;

function toScore(r: Selectable<Database['scores']>): StoredScore {
  const extra = fromJson<{
    reasons: Reason[];
    previousProbability: number | null;
    standardError?: number;
    featureHash?: string;
  }>(r.reasons, {
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
}

function toAction({ tenantId: _t, priority, ...r }: Selectable<Database['actions']>): StoredAction {
  return { ...r, priority: priority as NextBestAction['priority'], dueDate: r.dueDate ?? '' };
}

function toRecommendations(r: { objectType: string; recordId: string; items: string }): {
  objectType: string;
  recordId: string;
  items: Recommendation[];
} {
  return { objectType: r.objectType, recordId: r.recordId, items: fromJson<Recommendation[]>(r.items, []) };
}

export class ResultsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly keepRuns: number = DEFAULT_KEEP_RUN_RESULTS,
  ) {}

  async save(tenantId: string, runId: string, result: EngineResult): Promise<SaveCounts> {
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
      const { segments, members: _m, projection, ...meta } = result.segments;
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
      await this.artifact(tenantId, runId, 'segments', meta);
      if (projection) await this.artifact(tenantId, runId, 'segments-projection', projection);
    } else {
      await this.artifact(tenantId, runId, 'segments', result.segments);
    }
    await insert(
      'forecasts',
      result.forecasts.flatMap((series) =>
        series.points.map((p) => ({ tenantId, runId, series: series.series, ...p, model: series.model ?? 'none' })),
      ),
    );
    const counts = await this.saveCurrent(
      tenantId,
      runId,
      {
        scores: [...result.scores.win.scores, ...result.scores.contacts.scores],
        members: result.segments.status === 'ok' ? result.segments.members : [],
        actions: result.actions.actions,
        heldOut: result.actions.heldOut ?? [],
        recommendations: result.crossSell.recommendations,
      },
      createdAt,
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
    if (result.lift) await this.artifact(tenantId, runId, 'lift', result.lift);
    await this.artifact(tenantId, runId, 'action-worth', {
      actionWorth: result.actions.actionWorth,
      winRateByAction: result.actions.winRateByAction,
    });
    await this.pruneRunResults({ tenantId, keepRuns: this.keepRuns, dryRun: false });
    return counts;
  }

  /**
   * The per-record results of a few records scored with stored models (an incremental recompute): their scores,
   * segments and actions replace theirs where they changed, with history; no other record's rows are read or
   * touched, and run-level results (segments, forecasts, model quality) stay the last full run's.
   */
  async saveRecords(tenantId: string, runId: string, result: RecordsResult): Promise<SaveCounts> {
    const scope = new Map<string, string[]>();
    for (const [objectType, ids] of [
      ['deal', result.targets.deals],
      ['contact', result.targets.contacts],
    ] as const)
      if (ids.length > 0) scope.set(objectType, [...ids]);
    return this.saveCurrent(
      tenantId,
      runId,
      { scores: result.scores, members: result.members, actions: result.actions, heldOut: result.heldOut ?? [] },
      isoAt(this.clock),
      scope,
    );
  }

  /**
   * Upserts the per-record rows that differ from the current state, removes those the run no longer has. With a
   * `scope` (object type → record ids), only those records' rows are compared, written and removed.
   */
  private async saveCurrent(
    tenantId: string,
    runId: string,
    result: {
      scores: RecordScore[];
      members: ReadonlyArray<{ objectType: string; recordId: string; segmentKey: string }>;
      actions: NextBestAction[];
      heldOut: HeldOutAction[];
      recommendations?: CrossSellResult['recommendations'];
    },
    at: string,
    scope?: ReadonlyMap<string, string[]>,
  ): Promise<SaveCounts> {
    // The tenant's current rows of a table, or only the scoped records' (in chunks, by object type).
    const current = async <R>(table: 'scores' | 'segmentMembers' | 'actions', columns: string[]): Promise<R[]> => {
      const base = () =>
        this.db
          .selectFrom(table as 'scores')
          .select(columns as never)
          .where('tenantId', '=', tenantId);
      if (!scope) return (await base().execute()) as R[];
      const out: R[] = [];
      for (const [objectType, ids] of scope)
        for (const part of chunk(ids, 1000))
          out.push(
            ...((await base().where('objectType', '=', objectType).where('recordId', 'in', part).execute()) as R[]),
          );
      return out;
    };
    const counts: SaveCounts = { written: 0, removed: 0, history: 0 };
    const history: HistoryRow[] = [];
    const change = (
      objectType: string,
      recordId: string,
      kind: string,
      previous: string | null,
      value: string | null,
    ) => history.push({ tenantId, runId, at, objectType, recordId, kind, previous, value });

    // Scores.
    const scores = new Map<string, ScoreRow>();
    for (const s of result.scores) {
      scores.set(`${s.objectType}\u0000${s.recordId}\u0000${s.kind}`, {
        tenantId,
        runId,
        objectType: s.objectType,
        recordId: s.recordId,
        kind: s.kind,
        probability: s.probability,
        reasons: toJson({
          reasons: s.reasons,
          previousProbability: s.previousProbability,
          ...(s.standardError !== undefined ? { standardError: s.standardError } : {}),
          ...(s.featureHash !== undefined ? { featureHash: s.featureHash } : {}),
        }),
        modelVersion: s.modelVersion,
      });
    }
    const oldScores = await current<
      Pick<ScoreRow, 'objectType' | 'recordId' | 'kind' | 'probability' | 'reasons' | 'modelVersion'>
    >('scores', ['objectType', 'recordId', 'kind', 'probability', 'reasons', 'modelVersion']);
    const scoreKeys = new Set<string>();
    const goneScores: Array<{ objectType: string; recordId: string; kind: string }> = [];
    for (const old of oldScores) {
      const key = `${old.objectType}\u0000${old.recordId}\u0000${old.kind}`;
      scoreKeys.add(key);
      const next = scores.get(key);
      if (!next) {
        goneScores.push(old);
        change(old.objectType, old.recordId, `score:${old.kind}`, String(old.probability), null);
      } else if (
        next.probability === old.probability &&
        next.reasons === old.reasons &&
        next.modelVersion === old.modelVersion
      ) {
        scores.delete(key);
      } else if (next.probability !== old.probability) {
        change(old.objectType, old.recordId, `score:${old.kind}`, String(old.probability), String(next.probability));
      }
    }
    for (const [key, s] of scores) {
      if (!scoreKeys.has(key)) change(s.objectType, s.recordId, `score:${s.kind}`, null, String(s.probability));
    }
    counts.written += await this.upsert('scores', [...scores.values()], ['tenantId', 'objectType', 'recordId', 'kind']);
    for (const kind of new Set(goneScores.map((g) => g.kind))) {
      counts.removed += await this.removeRecords(
        'scores',
        tenantId,
        goneScores.filter((g) => g.kind === kind),
        kind,
      );
    }

    // Segment membership.
    const members = new Map<string, MemberRow>();
    for (const m of result.members) {
      members.set(`${m.objectType}\u0000${m.recordId}`, { tenantId, runId, ...m });
    }
    const oldMembers = await current<Pick<MemberRow, 'objectType' | 'recordId' | 'segmentKey'>>('segmentMembers', [
      'objectType',
      'recordId',
      'segmentKey',
    ]);
    const goneMembers: Array<{ objectType: string; recordId: string }> = [];
    const memberKeys = new Set<string>();
    for (const old of oldMembers) {
      const key = `${old.objectType}\u0000${old.recordId}`;
      memberKeys.add(key);
      const next = members.get(key);
      if (!next) {
        goneMembers.push(old);
        change(old.objectType, old.recordId, 'segment', old.segmentKey, null);
      } else if (next.segmentKey === old.segmentKey) {
        members.delete(key);
      } else {
        change(old.objectType, old.recordId, 'segment', old.segmentKey, next.segmentKey);
      }
    }
    for (const [key, m] of members) {
      if (!memberKeys.has(key)) change(m.objectType, m.recordId, 'segment', null, m.segmentKey);
    }
    counts.written += await this.upsert(
      'segmentMembers',
      [...members.values()],
      ['tenantId', 'objectType', 'recordId'],
    );
    counts.removed += await this.removeRecords('segmentMembers', tenantId, goneMembers);

    // Next-best-actions: the current one per record, and every action key in the action history.
    const oldActions = new Map(
      (
        await current<
          Pick<
            ActionRow,
            | 'objectType'
            | 'recordId'
            | 'actionKey'
            | 'action'
            | 'priority'
            | 'dueDate'
            | 'reason'
            | 'segmentKey'
            | 'value'
          >
        >('actions', [
          'objectType',
          'recordId',
          'actionKey',
          'action',
          'priority',
          'dueDate',
          'reason',
          'segmentKey',
          'value',
        ])
      ).map((a) => [`${a.objectType}\u0000${a.recordId}`, a]),
    );
    const actions: ActionRow[] = [];
    const newKeys: NextBestAction[] = [];
    const seen = new Set<string>();
    for (const a of result.actions) {
      const key = `${a.objectType}\u0000${a.recordId}`;
      seen.add(key);
      const old = oldActions.get(key);
      if (
        old &&
        old.actionKey === a.actionKey &&
        old.action === a.action &&
        old.priority === a.priority &&
        (old.dueDate ?? '') === (a.dueDate ?? '') &&
        old.reason === a.reason &&
        old.segmentKey === a.segmentKey &&
        old.value === a.value
      ) {
        continue;
      }
      if (!old || old.actionKey !== a.actionKey) newKeys.push(a);
      if (!old || old.action !== a.action) change(a.objectType, a.recordId, 'action', old?.action ?? null, a.action);
      actions.push({
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
        createdAt: at,
      });
    }
    await insert(this.db, 'actionHistory', newKeys, (a) => ({
      tenantId,
      actionKey: a.actionKey,
      objectType: a.objectType,
      recordId: a.recordId,
      action: a.action,
      segmentKey: a.segmentKey,
      runId,
      createdAt: at,
      outcome: null,
    }));
    // An action key planned before keeps when it was first planned and what became of it.
    const known = new Map<string, { createdAt: string; outcome: string | null }>();
    for (const part of chunk(
      actions.map((a) => a.actionKey),
      1000,
    )) {
      const rows = await this.db
        .selectFrom('actionHistory')
        .select(['actionKey', 'createdAt', 'outcome'])
        .where('tenantId', '=', tenantId)
        .where('actionKey', 'in', part)
        .execute();
      for (const r of rows) known.set(r.actionKey, r);
    }
    for (const a of actions) {
      const first = known.get(a.actionKey);
      if (first) Object.assign(a, { createdAt: first.createdAt, outcome: first.outcome });
    }
    counts.written += await this.upsert('actions', actions, ['tenantId', 'objectType', 'recordId']);
    const goneActions = [...oldActions.entries()].filter(([key]) => !seen.has(key)).map(([, a]) => a);
    for (const a of goneActions) change(a.objectType, a.recordId, 'action', a.action, null);
    counts.removed += await this.removeRecords('actions', tenantId, goneActions);

    // The control group's would-be actions: each (record, action) once, with when it was first held out.
    const heldOut = result.heldOut.map((h) => ({
      tenantId,
      objectType: h.objectType,
      recordId: h.recordId,
      action: h.action,
      segmentKey: h.segmentKey,
      runId,
      createdAt: at,
    }));
    for (const part of chunk(heldOut, rowsPerStatement(7)))
      if (part.length > 0)
        await this.db
          .insertInto('holdoutHistory')
          .values(part)
          .onConflict((oc) => oc.doNothing())
          .execute();

    // Cross-sell recommendations (fitted on full runs only: a scoped save leaves them as they are).
    if (result.recommendations)
      counts.written += await this.saveRecommendations(tenantId, runId, result.recommendations, counts);
    await insert(this.db, 'resultHistory', history, (h) => h);
    counts.history = history.length;
    return counts;
  }

  private async saveRecommendations(
    tenantId: string,
    runId: string,
    list: CrossSellResult['recommendations'],
    counts: SaveCounts,
  ): Promise<number> {
    const recommendations = new Map<string, RecommendationRow>();
    for (const r of list) {
      recommendations.set(`${r.objectType}\u0000${r.recordId}`, {
        tenantId,
        runId,
        objectType: r.objectType,
        recordId: r.recordId,
        items: toJson(r.items),
      });
    }
    const oldRecommendations = await this.db
      .selectFrom('recommendations')
      .select(['objectType', 'recordId', 'items'])
      .where('tenantId', '=', tenantId)
      .execute();
    const goneRecommendations: Array<{ objectType: string; recordId: string }> = [];
    for (const old of oldRecommendations) {
      const key = `${old.objectType}\u0000${old.recordId}`;
      const next = recommendations.get(key);
      if (!next) goneRecommendations.push(old);
      else if (next.items === old.items) recommendations.delete(key);
    }
    counts.removed += await this.removeRecords('recommendations', tenantId, goneRecommendations);
    return this.upsert('recommendations', [...recommendations.values()], ['tenantId', 'objectType', 'recordId']);
  }

  private async upsert<T extends object>(
    table: 'scores' | 'segmentMembers' | 'actions' | 'recommendations',
    rows: T[],
    key: string[],
  ): Promise<number> {
    if (rows.length === 0) return 0;
    const columns = Object.keys(rows[0]!).filter((c) => !key.includes(c));
    for (const part of chunk(rows, rowsPerStatement(Object.keys(rows[0]!).length))) {
      await this.db
        .insertInto(table)
        .values(part as never)
        .onConflict((oc) =>
          oc
            .columns(key as never)
            .doUpdateSet(
              (eb) => Object.fromEntries(columns.map((c) => [c, eb.ref(`excluded.${c}` as never)])) as never,
            ),
        )
        .execute();
    }
    return rows.length;
  }

  private async removeRecords(
    table: 'scores' | 'segmentMembers' | 'actions' | 'recommendations',
    tenantId: string,
    records: ReadonlyArray<{ objectType: string; recordId: string }>,
    kind?: string,
  ): Promise<number> {
    let removed = 0;
    for (const objectType of new Set(records.map((r) => r.objectType))) {
      const ids = records.filter((r) => r.objectType === objectType).map((r) => r.recordId);
      for (const part of chunk(ids, 1000)) {
        let query = this.db
          .deleteFrom(table)
          .where('tenantId', '=', tenantId)
          .where('objectType', '=', objectType)
          .where('recordId', 'in', part);
        if (kind !== undefined) query = query.where('kind' as never, '=', kind as never);
        const result = await query.executeTakeFirst();
        removed += Number(result.numDeletedRows);
      }
    }
    return removed;
  }

  private async artifact(tenantId: string, runId: string, name: ArtifactName, payload: unknown): Promise<void> {
    await this.db
      .insertInto('runArtifacts')
      .values({ tenantId, runId, name, payload: toJson(payload) })
      .onConflict((oc) => oc.columns(['runId', 'name']).doUpdateSet({ payload: toJson(payload) }))
      .execute();
  }

  /** A run's artifact, while the run is among the last kept of its kind (see `pruneRunResults`). */
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

  /**
   * The tenant whose current per-record results a run's reads return. Per-record results are kept as the current
   * state only: asking for the latest run gives exactly what it computed; asking for an OLDER run gives the
   * tenant's current state too (that run's own copies are gone; `history` says what changed since), and a run that
   * is unknown (never existed, or pruned by retention) gives nothing.
   */
  private async tenantOfRun(runId: string): Promise<string | undefined> {
    const run = await this.db.selectFrom('runs').select('tenantId').where('id', '=', runId).executeTakeFirst();
    if (run) return run.tenantId;
    const artifact = await this.db
      .selectFrom('runArtifacts')
      .select('tenantId')
      .where('runId', '=', runId)
      .limit(1)
      .executeTakeFirst();
    return artifact?.tenantId;
  }

  /** The run's segments, while the run is among the last kept of its kind. */
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

  /** A record's current segment (`runId` names the run asked about; see `tenantOfRun` for older runs). */
  async segmentOf(tenantId: string, _runId: string, objectType: string, recordId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('segmentMembers')
      .select('segmentKey')
      .where('tenantId', '=', tenantId)
      .where('objectType', '=', objectType)
      .where('recordId', '=', recordId)
      .executeTakeFirst();
    return row?.segmentKey;
  }

  /** Current segment membership of the run's tenant (see `tenantOfRun`). */
  async segmentMembers(runId: string): Promise<Array<{ objectType: string; recordId: string; segmentKey: string }>> {
    const tenantId = await this.tenantOfRun(runId);
    if (tenantId === undefined) return [];
    return this.db
      .selectFrom('segmentMembers')
      .select(['objectType', 'recordId', 'segmentKey'])
      .where('tenantId', '=', tenantId)
      .orderBy('objectType')
      .orderBy('recordId')
      .execute();
  }

  /** Current scores of the run's tenant (see `tenantOfRun`). */
  async scores(runId: string, filter: { objectType?: string; recordId?: string } = {}): Promise<StoredScore[]> {
    const tenantId = await this.tenantOfRun(runId);
    if (tenantId === undefined) return [];
    let query = this.db.selectFrom('scores').selectAll().where('tenantId', '=', tenantId);
    if (filter.objectType) query = query.where('objectType', '=', filter.objectType);
    if (filter.recordId) query = query.where('recordId', '=', filter.recordId);
    const rows = await query.orderBy('objectType').orderBy('recordId').orderBy('kind').execute();
    return rows.map(toScore);
  }

  /** Current next-best-actions of the run's tenant (see `tenantOfRun`); `runId` of each is the run that set it. */
  async actions(runId: string, filter: { objectType?: string; recordId?: string } = {}): Promise<StoredAction[]> {
    const tenantId = await this.tenantOfRun(runId);
    if (tenantId === undefined) return [];
    let query = this.db.selectFrom('actions').selectAll().where('tenantId', '=', tenantId);
    if (filter.objectType) query = query.where('objectType', '=', filter.objectType);
    if (filter.recordId) query = query.where('recordId', '=', filter.recordId);
    const rows = await query.orderBy('value', 'desc').orderBy('actionKey').execute();
    return rows.map(toAction);
  }

  /** The run's forecast points, while the run is among the last kept of its kind. */
  async forecasts(runId: string): Promise<StoredForecast[]> {
    return this.db
      .selectFrom('forecasts')
      .select(['series', 'period', 'kind', 'value', 'lo80', 'hi80', 'lo95', 'hi95', 'model'])
      .where('runId', '=', runId)
      .orderBy('series')
      .orderBy('period')
      .execute();
  }

  /** Current cross-sell recommendations of the run's tenant (see `tenantOfRun`). */
  async recommendations(
    runId: string,
    filter: { objectType?: string; recordId?: string } = {},
  ): Promise<Array<{ objectType: string; recordId: string; items: Recommendation[] }>> {
    const tenantId = await this.tenantOfRun(runId);
    if (tenantId === undefined) return [];
    let query = this.db
      .selectFrom('recommendations')
      .select(['objectType', 'recordId', 'items'])
      .where('tenantId', '=', tenantId);
    if (filter.objectType) query = query.where('objectType', '=', filter.objectType);
    if (filter.recordId) query = query.where('recordId', '=', filter.recordId);
    const rows = await query.orderBy('objectType').orderBy('recordId').execute();
    return rows.map(toRecommendations);
  }

  /**
   * The current results of some records of one type (scores, actions, cross-sell, segment), in four queries
   * however many records: what record cards need, without a lookup of the run per record.
   */
  async ofRecords(tenantId: string, objectType: string, recordIds: readonly string[]): Promise<RecordResults[]> {
    const byId = new Map<string, RecordResults>(
      recordIds.map((id) => [id, { recordId: id, scores: [], actions: [], recommendations: [], segmentKey: null }]),
    );
    for (const some of chunk([...byId.keys()], RECORDS_PER_QUERY)) {
      for (const r of await this.db
        .selectFrom('scores')
        .selectAll()
        .where('tenantId', '=', tenantId)
        .where('objectType', '=', objectType)
        .where('recordId', 'in', some)
        .orderBy('recordId')
        .orderBy('kind')
        .execute())
        byId.get(r.recordId)?.scores.push(toScore(r));
      for (const r of await this.db
        .selectFrom('actions')
        .selectAll()
        .where('tenantId', '=', tenantId)
        .where('objectType', '=', objectType)
        .where('recordId', 'in', some)
        .orderBy('value', 'desc')
        .orderBy('actionKey')
        .execute())
        byId.get(r.recordId)?.actions.push(toAction(r));
      for (const r of await this.db
        .selectFrom('recommendations')
        .select(['objectType', 'recordId', 'items'])
        .where('tenantId', '=', tenantId)
        .where('objectType', '=', objectType)
        .where('recordId', 'in', some)
        .execute())
        byId.get(r.recordId)?.recommendations.push(toRecommendations(r));
      for (const r of await this.db
        .selectFrom('segmentMembers')
        .select(['recordId', 'segmentKey'])
        .where('tenantId', '=', tenantId)
        .where('objectType', '=', objectType)
        .where('recordId', 'in', some)
        .execute()) {
        const found = byId.get(r.recordId);
        if (found) found.segmentKey = r.segmentKey;
      }
    }
    return [...byId.values()];
  }

  /** What changed in a tenant's per-record results, newest first (optionally for one record). */
  async history(
    tenantId: string,
    filter: { objectType?: string; recordId?: string; limit?: number } = {},
  ): Promise<Array<Omit<HistoryRow, 'tenantId'>>> {
    let query = this.db
      .selectFrom('resultHistory')
      .select(['runId', 'at', 'objectType', 'recordId', 'kind', 'previous', 'value'])
      .where('tenantId', '=', tenantId);
    if (filter.objectType) query = query.where('objectType', '=', filter.objectType);
    if (filter.recordId) query = query.where('recordId', '=', filter.recordId);
    return query
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
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

  /** The current per-record results (scores, actions, segments, recommendations) of some records (type → ids). */
  async currentOf(
    tenantId: string,
    records: ReadonlyMap<string, readonly string[]>,
  ): Promise<{
    scores: StoredScore[];
    actions: StoredAction[];
    members: Array<{ objectType: string; recordId: string; segmentKey: string }>;
    recommendations: Array<{ objectType: string; recordId: string; items: Recommendation[] }>;
  }> {
    const scores: StoredScore[] = [];
    const actions: StoredAction[] = [];
    const members: Array<{ objectType: string; recordId: string; segmentKey: string }> = [];
    const recommendations: Array<{ objectType: string; recordId: string; items: Recommendation[] }> = [];
    for (const [objectType, ids] of records) {
      for (const part of chunk([...new Set(ids)], 1000)) {
        for (const r of await this.db
          .selectFrom('scores')
          .selectAll()
          .where('tenantId', '=', tenantId)
          .where('objectType', '=', objectType)
          .where('recordId', 'in', part)
          .execute())
          scores.push({
            objectType: r.objectType,
            recordId: r.recordId,
            kind: r.kind,
            probability: r.probability,
            modelVersion: r.modelVersion,
            ...fromJson<{
              reasons: Reason[];
              previousProbability: number | null;
              standardError?: number;
              featureHash?: string;
            }>(r.reasons, {
              reasons: [],
              previousProbability: null,
            }),
          });
        for (const { tenantId: _t, priority, ...r } of await this.db
          .selectFrom('actions')
          .selectAll()
          .where('tenantId', '=', tenantId)
          .where('objectType', '=', objectType)
          .where('recordId', 'in', part)
          .execute())
          actions.push({ ...r, priority: priority as NextBestAction['priority'], dueDate: r.dueDate ?? '' });
        members.push(
          ...(await this.db
            .selectFrom('segmentMembers')
            .select(['objectType', 'recordId', 'segmentKey'])
            .where('tenantId', '=', tenantId)
            .where('objectType', '=', objectType)
            .where('recordId', 'in', part)
            .execute()),
        );
        for (const r of await this.db
          .selectFrom('recommendations')
          .select(['objectType', 'recordId', 'items'])
          .where('tenantId', '=', tenantId)
          .where('objectType', '=', objectType)
          .where('recordId', 'in', part)
          .execute())
          recommendations.push({ ...r, items: fromJson<Recommendation[]>(r.items, []) });
      }
    }
    return { scores, actions, members, recommendations };
  }

  /**
   * What the last runs left for some records (object type → ids): their segments, scores with their reasons'
   * words, current actions and recommendations; for an incremental recompute, which reads no other record's.
   */
  async previousOf(
    tenantId: string,
    records: ReadonlyMap<string, readonly string[]>,
  ): Promise<{
    members: NonNullable<PreviousRun['members']>;
    scores: NonNullable<PreviousRun['scores']>;
    current: NonNullable<PreviousRun['current']>;
    recommendations: Array<{ objectType: 'contact'; recordId: string; items: Recommendation[] }>;
  }> {
    const out = {
      members: [] as NonNullable<PreviousRun['members']>,
      scores: [] as NonNullable<PreviousRun['scores']>,
      current: [] as NonNullable<PreviousRun['current']>,
      recommendations: [] as Array<{ objectType: 'contact'; recordId: string; items: Recommendation[] }>,
    };
    for (const [objectType, ids] of records) {
      if (objectType !== 'deal' && objectType !== 'contact') continue;
      for (const part of chunk([...new Set(ids)], 1000)) {
        const members = await this.db
          .selectFrom('segmentMembers')
          .select(['recordId', 'segmentKey'])
          .where('tenantId', '=', tenantId)
          .where('objectType', '=', objectType)
          .where('recordId', 'in', part)
          .execute();
        for (const m of members) out.members.push({ recordId: m.recordId, segmentKey: m.segmentKey });
        for (const s of await this.db
          .selectFrom('scores')
          .select(['recordId', 'kind', 'probability', 'reasons'])
          .where('tenantId', '=', tenantId)
          .where('objectType', '=', objectType)
          .where('recordId', 'in', part)
          .execute())
          out.scores.push({
            objectType,
            recordId: s.recordId,
            kind: s.kind as ScoreKind,
            probability: s.probability,
            reasons: fromJson<{ reasons: Reason[] }>(s.reasons, { reasons: [] }).reasons.map((r) => ({
              feature: r.feature,
              text: r.text,
            })),
          });
        const actions = (await this.db
          .selectFrom('actions')
          .select(['recordId', 'action', 'priority', 'dueDate', 'reason'])
          .where('tenantId', '=', tenantId)
          .where('objectType', '=', objectType)
          .where('recordId', 'in', part)
          .execute()) as Array<{
          recordId: string;
          action: string;
          priority: string;
          dueDate: string | null;
          reason: string;
        }>;
        for (const a of actions)
          out.current.push({
            objectType,
            recordId: a.recordId,
            action: a.action as ActionType,
            priority: a.priority as NextBestAction['priority'],
            dueDate: a.dueDate ?? '',
            reason: a.reason,
          });
        if (objectType === 'contact') {
          const recs = await this.db
            .selectFrom('recommendations')
            .select(['recordId', 'items'])
            .where('tenantId', '=', tenantId)
            .where('objectType', '=', 'contact')
            .where('recordId', 'in', part)
            .execute();
          for (const r of recs)
            out.recommendations.push({
              objectType: 'contact',
              recordId: r.recordId,
              items: fromJson<Recommendation[]>(r.items, []),
            });
        }
      }
    }
    return out;
  }

  /** Every action planned in the learning window, with its outcome (null while unknown), one per action key. */
  async pastActions(tenantId: string): Promise<Array<PastAction & { actionKey: string }>> {
    const since = new Date(this.clock.now() - LEARNING_WINDOW_MS).toISOString();
    const rows = await this.db
      .selectFrom('actionHistory')
      .select(['actionKey', 'objectType', 'recordId', 'action', 'segmentKey', 'createdAt', 'outcome'])
      .where('tenantId', '=', tenantId)
      .where('createdAt', '>=', since)
      .orderBy('createdAt')
      .orderBy('actionKey')
      .execute();
    return rows.map((r) => ({
      actionKey: r.actionKey,
      objectType: r.objectType as 'deal' | 'contact',
      recordId: r.recordId,
      action: r.action as PastAction['action'],
      segmentKey: r.segmentKey,
      createdAt: r.createdAt,
      outcome: r.outcome as ActionOutcome | null,
    }));
  }

  /** The control group's exposures within the learning window: what the lift is measured against. */
  async holdoutHistory(tenantId: string): Promise<Exposure[]> {
    const since = new Date(this.clock.now() - LEARNING_WINDOW_MS).toISOString();
    const rows = await this.db
      .selectFrom('holdoutHistory')
      .select(['objectType', 'recordId', 'action', 'segmentKey', 'createdAt'])
      .where('tenantId', '=', tenantId)
      .where('createdAt', '>=', since)
      .orderBy('createdAt')
      .orderBy('objectType')
      .orderBy('recordId')
      .orderBy('action')
      .execute();
    return rows.map((r) => ({
      objectType: r.objectType as Exposure['objectType'],
      recordId: r.recordId,
      action: r.action as Exposure['action'],
      segmentKey: r.segmentKey,
      at: r.createdAt,
    }));
  }

  /**
   * The lift measured by the tenant's last `limit` runs that measured one, oldest first (for the lift over time;
   * bounded by the run results kept, see `pruneRunResults`).
   */
  async liftHistory(
    tenantId: string,
    limit = DEFAULT_KEEP_RUN_RESULTS,
  ): Promise<Array<{ runId: string; lift: LiftResult }>> {
    const rows = await this.db
      .selectFrom('runArtifacts')
      .innerJoin('runs', 'runs.id', 'runArtifacts.runId')
      .select(['runArtifacts.runId', 'runArtifacts.payload'])
      .where('runArtifacts.tenantId', '=', tenantId)
      .where('runArtifacts.name', '=', 'lift')
      .where('runs.kind', '!=', 'dry-run')
      .orderBy('runs.startedAt', 'desc')
      .orderBy('runs.id', 'desc')
      .limit(limit)
      .execute();
    return rows
      .map((r) => ({ runId: r.runId, lift: fromJson<LiftResult | null>(r.payload, null) }))
      .filter((r): r is { runId: string; lift: LiftResult } => r.lift !== null)
      .reverse();
  }

  /** Actions still waiting for an outcome. */
  async openActions(
    tenantId: string,
  ): Promise<Array<{ actionKey: string; objectType: string; recordId: string; action: string; createdAt: string }>> {
    const since = new Date(this.clock.now() - LEARNING_WINDOW_MS).toISOString();
    return this.db
      .selectFrom('actionHistory')
      .select(['actionKey', 'objectType', 'recordId', 'action', 'createdAt'])
      .where('tenantId', '=', tenantId)
      .where('outcome', 'is', null)
      .where('action', '!=', 'none')
      .where('createdAt', '>=', since)
      .orderBy('createdAt')
      .orderBy('actionKey')
      .execute();
  }

  async setOutcome(tenantId: string, actionKey: string, outcome: ActionOutcome): Promise<void> {
    await this.db
      .updateTable('actionHistory')
      .set({ outcome })
      .where('tenantId', '=', tenantId)
      .where('actionKey', '=', actionKey)
      .execute();
    await this.db
      .updateTable('actions')
      .set({ outcome })
      .where('tenantId', '=', tenantId)
      .where('actionKey', '=', actionKey)
      .execute();
  }

  /**
   * Removes run-level results (segments, forecasts, artifacts) of all but the newest `keepRuns` runs of each run
   * kind per tenant; the newest run with results is always kept. Returns rows per table.
   */
  async pruneRunResults(options: {
    tenantId?: string | undefined;
    keepRuns: number;
    dryRun: boolean;
  }): Promise<Record<string, number>> {
    return (await this.pruneRunResultsOf(options)).counts;
  }

  /** `pruneRunResults`, also naming the runs whose run-level results went (or would go). */
  async pruneRunResultsOf(options: {
    tenantId?: string | undefined;
    keepRuns: number;
    dryRun: boolean;
  }): Promise<{ counts: Record<string, number>; runIds: string[] }> {
    const keep = Math.max(1, Math.floor(options.keepRuns));
    const rows = await this.db
      .selectFrom('runArtifacts')
      .leftJoin('runs', 'runs.id', 'runArtifacts.runId')
      .select(['runArtifacts.tenantId', 'runArtifacts.runId', 'runs.kind', 'runs.startedAt'])
      .where('runArtifacts.name', '=', 'health')
      .$if(options.tenantId !== undefined, (q) => q.where('runArtifacts.tenantId', '=', options.tenantId!))
      .orderBy('runArtifacts.tenantId')
      .orderBy('runs.startedAt', 'desc')
      .orderBy('runArtifacts.runId', 'desc')
      .execute();
    const kept = new Map<string, number>();
    const latest = new Set<string>();
    const drop: string[] = [];
    for (const r of rows) {
      if (!latest.has(r.tenantId)) {
        latest.add(r.tenantId);
        kept.set(`${r.tenantId}\u0000${r.kind ?? ''}`, (kept.get(`${r.tenantId}\u0000${r.kind ?? ''}`) ?? 0) + 1);
        continue;
      }
      const key = `${r.tenantId}\u0000${r.kind ?? ''}`;
      const n = kept.get(key) ?? 0;
      if (n < keep) kept.set(key, n + 1);
      else drop.push(r.runId);
    }
    const counts: Record<string, number> = { run_artifacts: 0, segments: 0, forecasts: 0 };
    for (const part of chunk(drop, 500)) {
      for (const table of ['segments', 'forecasts', 'run_artifacts'] as const) {
        counts[table]! += await pruneRows(this.db, table, sql`run_id in (${sql.join(part)})`, options.dryRun);
      }
    }
    return { counts, runIds: drop };
  }

  /**
   * Removes result history older than `before`, and action keys planned before the learning window that are no
   * longer any record's current action (they teach nothing any more). Returns rows per table.
   */
  async pruneHistory(options: {
    tenantId?: string | undefined;
    before: string;
    dryRun: boolean;
  }): Promise<Record<string, number>> {
    const learnedBefore = new Date(this.clock.now() - LEARNING_WINDOW_MS).toISOString();
    return {
      result_history: await pruneRows(
        this.db,
        'result_history',
        sql`at < ${options.before}${tenantFilter(options.tenantId)}`,
        options.dryRun,
      ),
      holdout_history: await pruneRows(
        this.db,
        'holdout_history',
        sql`created_at < ${learnedBefore}${tenantFilter(options.tenantId)}`,
        options.dryRun,
      ),
      action_history: await pruneRows(
        this.db,
        'action_history',
        sql`created_at < ${learnedBefore}${tenantFilter(options.tenantId)} and not exists (select 1 from actions a
          where a.tenant_id = action_history.tenant_id and a.action_key = action_history.action_key)`,
        options.dryRun,
      ),
    };
  }
}

async function insert<S, T extends object>(
  db: Kysely<Database>,
  table: 'actionHistory' | 'resultHistory',
  items: readonly S[],
  row: (item: S) => T,
): Promise<void> {
  if (items.length === 0) return;
  const rows = items.map(row);
  for (const part of chunk(rows, rowsPerStatement(Object.keys(rows[0]!).length))) {
    let query = db.insertInto(table).values(part as never);
    if (table === 'actionHistory') query = query.onConflict((oc) => oc.doNothing());
    await query.execute();
  }
}
