import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { EngineResult, ModelQuality } from '../src/engine/types.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { MIGRATIONS } from '../src/store/migrations/index.js';
import { openStore, type Store } from '../src/store/open-store.js';
import { chunk, rowsPerStatement } from '../src/store/repositories/chunk.js';
import { toJson } from '../src/store/repositories/json.js';
import { FixedClock } from '../test/helpers/fixed-clock.js';
import type { Benchmark } from './run.js';

const CONTACTS = 3000;
const DEALS = 1500;
const RUNS = 50;
/** Records whose results a webhook recompute changes (the rest come out the same). */
const CHANGED_PER_RUN = 3;

const QUALITY = {
  status: 'forest',
  model: 'forest',
  message: '',
  importance: [],
  calibration: [],
} as unknown as ModelQuality;

/** An engine result of the portal's shape; run `n` moves the win probability of a few deals. */
function result(n: number): EngineResult {
  const reasons = [
    { feature: 'amount', value: 12000, contribution: 0.12, text: 'amount 12,000 is above the typical deal' },
    { feature: 'days_in_stage', value: 40, contribution: -0.08, text: 'stuck 40 days in this stage' },
    { feature: 'activity_count', value: 3, contribution: 0.05, text: '3 activities in the last 30 days' },
  ];
  const changed = (i: number) => i >= n * CHANGED_PER_RUN && i < (n + 1) * CHANGED_PER_RUN;
  const score = (objectType: 'deal' | 'contact', recordId: string, kind: 'win' | 'churn', p: number) => ({
    objectType,
    recordId,
    kind,
    probability: p,
    previousProbability: p,
    reasons,
    modelVersion: 'forest-v1',
  });
  const contacts = Array.from({ length: CONTACTS }, (_, i) => `c${i}`);
  const deals = Array.from({ length: DEALS }, (_, i) => `d${i}`);
  const segmentOf = (i: number) => `seg-${i % 5}`;
  return {
    tenantId: 'bench',
    asOf: '2026-11-24T09:00:00.000Z',
    seed: 1,
    health: { input: { contacts: CONTACTS, deals: DEALS }, kept: {}, fixes: {}, policy: [], warnings: [] },
    timings: [{ stage: 'clean', seconds: 0.1 }],
    segments: {
      status: 'ok',
      k: 5,
      chosenBy: 'previous run',
      silhouette: 0.4,
      silhouetteByK: [],
      inertia: 1,
      features: ['f1', 'f2', 'f3'],
      segments: [0, 1, 2, 3, 4].map((k) => ({
        segmentKey: `seg-${k}`,
        name: `Segment ${k}`,
        size: CONTACTS / 5,
        valueShare: 0.2,
        profile: [{ feature: 'f1', mean: 1, populationMean: 1, z: 0.3 }],
        centre: { f1: 1, f2: 2, f3: 3 },
        previousKey: `seg-${k}`,
      })),
      members: contacts.map((recordId, i) => ({ objectType: 'contact' as const, recordId, segmentKey: segmentOf(i) })),
      projection: contacts.slice(0, 1000).map((_, i) => ({ x: i / 7, y: i / 11, segmentKey: segmentOf(i) })),
    },
    forecasts: ['revenue:total', 'pipeline:default'].map((series) => ({
      series,
      status: 'ok' as const,
      model: 'ets',
      chosenBy: 'backtest',
      message: null,
      points: Array.from({ length: 30 }, (_, m) => ({
        period: `20${24 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}`,
        kind: m < 24 ? ('actual' as const) : ('forecast' as const),
        value: 1000 + m,
        lo80: m < 24 ? null : 900,
        hi80: m < 24 ? null : 1100,
        lo95: m < 24 ? null : 800,
        hi95: m < 24 ? null : 1200,
      })),
      backtest: [{ model: 'ets', smape: 0.1 }],
    })),
    scores: {
      win: { quality: QUALITY, scores: deals.map((id, i) => score('deal', id, 'win', changed(i) ? 0.7 : 0.4)) },
      contacts: { quality: QUALITY, scores: contacts.map((id) => score('contact', id, 'churn', 0.2)) },
    },
    crossSell: {
      baskets: 400,
      rules: [],
      recommendations: contacts.map((recordId) => ({
        objectType: 'contact' as const,
        recordId,
        items: [
          {
            productId: 'p1',
            productName: 'Support plan',
            score: 0.6,
            basis: 'rule' as const,
            because: 'bought with X',
          },
        ],
      })),
    },
    actions: {
      actions: [...deals.map((id) => ['deal', id] as const), ...contacts.map((id) => ['contact', id] as const)].map(
        ([objectType, recordId]) => ({
          objectType,
          recordId,
          actionKey: `bench:${objectType}:${recordId}:call`,
          action: 'call' as const,
          priority: 'medium' as const,
          dueDate: '2026-11-27',
          reason: 'no activity in 21 days on an open deal worth 12,000',
          value: 100,
          segmentKey: null,
        }),
      ),
      actionWorth: [],
      winRateByAction: [],
    },
  } as EngineResult;
}

/** What crm-agent stored before bounded results: a full copy of every per-record result per run. */
async function saveCopyPerRun(store: Store, runId: string, r: EngineResult): Promise<void> {
  const tenantId = 'bench';
  const insert = async (table: string, rows: Array<Record<string, unknown>>) => {
    for (const part of chunk(rows, rowsPerStatement(Object.keys(rows[0]!).length))) {
      await store.db
        .insertInto(table as never)
        .values(part as never)
        .execute();
    }
  };
  if (r.segments.status !== 'ok') return;
  await insert(
    'segments',
    r.segments.segments.map((s) => ({
      tenantId,
      runId,
      segmentKey: s.segmentKey,
      name: s.name,
      size: s.size,
      valueShare: s.valueShare,
      profile: toJson(s),
    })),
  );
  await insert(
    'segmentMembers',
    r.segments.members.map((m) => ({ tenantId, runId, ...m })),
  );
  await insert(
    'scores',
    [...r.scores.win.scores, ...r.scores.contacts.scores].map((s) => ({
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
    r.forecasts.flatMap((f) => f.points.map((p) => ({ tenantId, runId, series: f.series, ...p, model: 'ets' }))),
  );
  await insert(
    'actions',
    r.actions.actions.map((a) => ({
      tenantId,
      runId,
      ...a,
      status: 'proposed',
      outcome: null,
      createdAt: '2026-11-24T09:00:00.000Z',
    })),
  );
  await insert(
    'recommendations',
    r.crossSell.recommendations.map((x) => ({
      tenantId,
      runId,
      objectType: x.objectType,
      recordId: x.recordId,
      items: toJson(x.items),
    })),
  );
  for (const [name, payload] of Object.entries({
    health: r.health,
    timings: r.timings,
    'segments-projection': r.segments.projection,
  })) {
    await insert('runArtifacts', [{ tenantId, runId, name, payload: toJson(payload) }]);
  }
}

async function sizeOf(store: Store): Promise<{ mb: number; rows: number }> {
  await sql`pragma wal_checkpoint(TRUNCATE)`.execute(store.db);
  const pragma = async (name: string) =>
    Number(Object.values((await sql.raw(`pragma ${name}`).execute(store.db)).rows[0] ?? {})[0]);
  const bytes = ((await pragma('page_count')) - (await pragma('freelist_count'))) * (await pragma('page_size'));
  let rows = 0;
  for (const table of [
    'scores',
    'segment_members',
    'actions',
    'recommendations',
    'segments',
    'forecasts',
    'run_artifacts',
    'result_history',
    'action_history',
  ]) {
    const exists = await sql`select 1 from sqlite_master where name = ${table}`.execute(store.db);
    if (exists.rows.length === 0) continue;
    rows += Number(Object.values((await sql.raw(`select count(*) from ${table}`).execute(store.db)).rows[0] ?? {})[0]);
  }
  return { mb: bytes / 1_048_576, rows };
}

async function measure(label: string, bounded: boolean, dir: string): Promise<void> {
  const clock = new FixedClock();
  const store = await openStore({ kind: 'sqlite', path: join(dir, `${label}.db`) }, { clock });
  try {
    if (bounded) await store.migrate();
    else
      await migrateToLatest(
        store.db,
        store.dialect,
        MIGRATIONS.filter((m) => m.version <= 4),
      );
    const figures: string[] = [];
    for (let n = 0; n < RUNS; n++) {
      clock.advance(60_000);
      const runId = await store.runs.start('bench', n === 0 ? 'cycle' : 'recompute', 'bench');
      const r = result(n);
      if (bounded) await store.transaction((tx) => tx.results.save('bench', runId, r));
      else await store.transaction(async (_tx, db) => saveCopyPerRun({ ...store, db } as Store, runId, r));
      await store.runs.finish(runId, 'succeeded', {});
      if (n === 0 || n === RUNS - 1) {
        const size = await sizeOf(store);
        figures.push(
          `after ${n + 1} run${n === 0 ? '' : 's'}: ${size.mb.toFixed(1)} MB, ${size.rows.toLocaleString('en-US')} result rows`,
        );
      }
    }
    console.log(`${label.padEnd(26)} ${figures.join('; ')}`);
  } finally {
    await store.close();
  }
}

export const storeGrowthBenchmark: Benchmark = {
  name: 'store-growth',
  description: `SQLite store size after 1 and ${RUNS} recompute runs of ${CONTACTS} contacts and ${DEALS} deals (${CHANGED_PER_RUN} records change per run)`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'crm-agent-growth-'));
    try {
      await measure('copy per run (before)', false, dir);
      await measure('current state + history', true, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
