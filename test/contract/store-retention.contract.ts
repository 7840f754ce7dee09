import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { EngineResult, ModelQuality, NextBestAction, RecordScore } from '../../src/engine/types.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import type { Store } from '../../src/store/open-store.js';
import { pruneStore } from '../../src/store/prune-store.js';
import { ResultsRepository } from '../../src/store/repositories/results.js';
import { DEFAULT_RETENTION, type RetentionSettings } from '../../src/store/retention.js';
import { measureStoreSize } from '../../src/store/store-size.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import type { StoreTarget } from './store.contract.js';

const DAY = 86_400_000;

const QUALITY: ModelQuality = {
  status: 'forest',
  model: 'forest',
  message: '',
  minimumData: { positives: 1, negatives: 1, required: 1, met: true },
  trainRows: 1,
  testRows: 1,
  auc: 0.8,
  brier: 0.1,
  baseRate: 0.5,
  calibration: [],
  calibrationMethod: 'none',
  importanceMethod: 'none',
  importance: [],
} as unknown as ModelQuality;

export interface Portal {
  deals: number;
  contacts: number;
  /** Probability of deal i. */
  win?: (i: number) => number;
  /** Action of deal i. */
  action?: (i: number) => NextBestAction['action'];
  /** Segment of contact i. */
  segment?: (i: number) => string;
}

/** What the engine would return for a portal of `deals` deals and `contacts` contacts. */
export function engineResult(tenantId: string, portal: Portal): EngineResult {
  const win = portal.win ?? (() => 0.5);
  const action = portal.action ?? (() => 'call' as const);
  const segment = portal.segment ?? ((i: number) => (i % 2 === 0 ? 's1' : 's2'));
  const deals = Array.from({ length: portal.deals }, (_, i) => `d${i}`);
  const contacts = Array.from({ length: portal.contacts }, (_, i) => `c${i}`);
  const score = (objectType: 'deal' | 'contact', recordId: string, kind: RecordScore['kind'], p: number) => ({
    objectType,
    recordId,
    kind,
    probability: p,
    previousProbability: null,
    reasons: [{ feature: 'amount', value: 1, contribution: 0.1, text: 'large amount' }],
    modelVersion: 'm1',
  });
  return {
    tenantId,
    asOf: '2026-11-24T09:00:00.000Z',
    seed: 1,
    health: { input: { deals: deals.length }, kept: {}, fixes: {}, policy: [], warnings: [] },
    timings: [{ stage: 'clean', seconds: 0.1 }],
    segments: {
      status: 'ok',
      k: 2,
      chosenBy: 'setting',
      silhouette: 0.5,
      silhouetteByK: [],
      inertia: 1,
      features: ['f'],
      segments: ['s1', 's2'].map((segmentKey) => ({
        segmentKey,
        name: `Segment ${segmentKey}`,
        size: 1,
        valueShare: 0.5,
        profile: [],
        centre: { f: 1 },
        previousKey: null,
      })),
      members: contacts.map((recordId, i) => ({ objectType: 'contact' as const, recordId, segmentKey: segment(i) })),
      projection: contacts.map((_, i) => ({ x: i, y: i, segmentKey: segment(i) })),
    },
    forecasts: [
      {
        series: 'revenue:total',
        status: 'ok',
        model: 'ets',
        chosenBy: 'backtest',
        message: null,
        points: [
          { period: '2026-11', kind: 'actual', value: 10, lo80: null, hi80: null, lo95: null, hi95: null },
          { period: '2026-12', kind: 'forecast', value: 12, lo80: 9, hi80: 15, lo95: 8, hi95: 16 },
        ],
        backtest: [],
      },
    ],
    scores: {
      win: { quality: QUALITY, scores: deals.map((id, i) => score('deal', id, 'win', win(i))) },
      contacts: { quality: QUALITY, scores: contacts.map((id) => score('contact', id, 'churn', 0.2)) },
    },
    crossSell: {
      baskets: 1,
      rules: [],
      recommendations: contacts.map((recordId) => ({
        objectType: 'contact' as const,
        recordId,
        items: [{ productId: 'p1', productName: 'P1', score: 1, basis: 'rule' as const, because: 'x' }],
      })),
    },
    actions: {
      actions: deals.map((recordId, i) => ({
        objectType: 'deal' as const,
        recordId,
        actionKey: `${tenantId}:deal:${recordId}:${action(i)}`,
        action: action(i),
        priority: 'high' as const,
        dueDate: '2026-11-27',
        reason: 'because',
        value: 100 - i,
        segmentKey: null,
      })),
      actionWorth: [],
      winRateByAction: [],
    },
  } as EngineResult;
}

/** Rows per result table of one tenant. */
async function resultRows(store: Store, tenantId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of [
    'scores',
    'segment_members',
    'actions',
    'recommendations',
    'action_history',
    'result_history',
    'segments',
    'forecasts',
    'run_artifacts',
  ]) {
    const r = await sql<{
      n: number | string;
    }>`select count(*) as n from ${sql.table(table)} where tenant_id = ${tenantId}`.execute(store.db);
    out[table] = Number(r.rows[0]!.n);
  }
  return out;
}

/** Row counts of every table retention touches (all tenants). */
async function allRows(store: Store): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of [
    'runs',
    'run_stages',
    'run_artifacts',
    'segments',
    'forecasts',
    'result_history',
    'action_history',
    'webhook_inbox',
    'outbox',
    'audit_log',
    'api_usage',
  ]) {
    const r = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(store.db);
    out[table] = Number(r.rows[0]!.n);
  }
  return out;
}

/**
 * Bounded storage on every store target: results are one current row per record plus a compact history, and
 * retention removes exactly what is older than its settings.
 */
export function retentionContract(target: StoreTarget): void {
  describe(`bounded storage: ${target.name}`, () => {
    const clock = new FixedClock();
    let store: Store;

    beforeAll(async () => {
      store = await target.open(clock);
      await store.migrate();
    });
    afterAll(async () => {
      await store.close();
    });

    async function run(tenantId: string, result: EngineResult, kind = 'cycle', keepRuns = 3) {
      clock.advance(60_000);
      const runId = await store.runs.start(tenantId, kind, 'test');
      const counts = await new ResultsRepository(store.db, clock, keepRuns).save(tenantId, runId, result);
      await store.runs.finish(runId, 'succeeded', {});
      return { runId, counts };
    }

    it('keeps one current row per record however many runs store unchanged results', async () => {
      const portal = { deals: 40, contacts: 60 };
      await run('unchanged', engineResult('unchanged', portal));
      const afterOne = await resultRows(store, 'unchanged');
      expect(afterOne).toMatchObject({
        scores: 100,
        segment_members: 60,
        actions: 40,
        recommendations: 60,
        action_history: 40,
      });
      let last = { runId: '', counts: { written: -1, removed: -1, history: -1 } };
      for (let i = 0; i < 6; i++) last = await run('unchanged', engineResult('unchanged', portal));
      expect(last.counts).toEqual({ written: 0, removed: 0, history: 0 });
      const afterSeven = await resultRows(store, 'unchanged');
      // Per record: constant. Per run (segments, forecasts, artifacts): the last 3 runs only.
      expect(afterSeven).toEqual({
        ...afterOne,
        segments: 3 * 2,
        forecasts: 3 * 2,
        run_artifacts: 3 * afterOne.run_artifacts!,
      });
      expect(await store.results.latestRunId('unchanged')).toBe(last.runId);
      expect(await store.results.scores(last.runId, { objectType: 'deal' })).toHaveLength(40);
      expect(await store.results.segments(last.runId)).toHaveLength(2);
      expect(await store.results.readArtifact(last.runId, 'health')).toMatchObject({ input: { deals: 40 } });
    });

    it("measures a tenant's share of the store: rows per table and an estimate of its bytes", async () => {
      const size = await measureStoreSize(store, 'unchanged');
      const rows = Object.fromEntries(size.tables.map((t) => [t.table, t.rows]));
      expect(rows).toMatchObject({ scores: 100, segment_members: 60, actions: 40, recommendations: 60, runs: 7 });
      expect(size.tables.every((t) => t.bytes >= 0)).toBe(true);
      expect(size.totalBytes).toBeGreaterThan(0);
      expect(size.totalBytes).toBe(size.tables.reduce((a, t) => a + t.bytes, 0));
      expect(['dbstat', 'file', 'relation']).toContain(size.method);
      expect((await measureStoreSize(store, 'nobody')).tables).toEqual([]);
    });

    it('writes only the records a recompute changed, and records what changed and when', async () => {
      const portal = { deals: 30, contacts: 10 };
      await run('recompute', engineResult('recompute', portal));
      const changed = new Set([3, 7, 11]);
      const { runId, counts } = await run(
        'recompute',
        engineResult('recompute', { ...portal, win: (i) => (changed.has(i) ? 0.9 : 0.5) }),
        'recompute',
      );
      expect(counts).toEqual({ written: 3, removed: 0, history: 3 });
      const history = await store.results.history('recompute', { limit: 3 });
      expect(history.map((h) => [h.recordId, h.kind, h.previous, h.value, h.runId]).sort()).toEqual(
        ['d11', 'd3', 'd7'].map((id) => [id, 'score:win', '0.5', '0.9', runId]),
      );
      const [d7] = await store.results.scores(runId, { objectType: 'deal', recordId: 'd7' });
      expect(d7).toMatchObject({ probability: 0.9, reasons: [{ feature: 'amount' }] });
      expect((await store.results.previous('recompute')).scores).toHaveLength(40);
    });

    it('removes the results of records a run no longer has, and moves segment members', async () => {
      await run('shrink', engineResult('shrink', { deals: 10, contacts: 10 }));
      const { runId, counts } = await run(
        'shrink',
        engineResult('shrink', {
          deals: 8,
          contacts: 10,
          segment: (i) => (i === 0 ? 's2' : i % 2 === 0 ? 's1' : 's2'),
        }),
      );
      // d8, d9: score and action removed; c0: segment changed.
      expect(counts).toEqual({ written: 1, removed: 4, history: 5 });
      expect(await store.results.actions(runId, { recordId: 'd9' })).toEqual([]);
      expect(await store.results.segmentOf('shrink', runId, 'contact', 'c0')).toBe('s2');
      const moved = await store.results.history('shrink', { recordId: 'c0' });
      expect(moved[0]).toMatchObject({ kind: 'segment', previous: 's1', value: 's2' });
    });

    it('keeps every action key with its first planning and its outcome when the action changes', async () => {
      const first = await run('learn', engineResult('learn', { deals: 2, contacts: 0 }));
      const [call] = await store.results.actions(first.runId, { recordId: 'd0' });
      await store.results.setOutcome('learn', call!.actionKey, 'completed');
      await run('learn', engineResult('learn', { deals: 2, contacts: 0, action: (i) => (i === 0 ? 'email' : 'call') }));
      const last = await run('learn', engineResult('learn', { deals: 2, contacts: 0 }));
      const past = await store.results.pastActions('learn');
      expect(past.map((p) => [p.recordId, p.action, p.outcome, p.createdAt])).toEqual([
        ['d0', 'call', 'completed', call!.createdAt],
        ['d1', 'call', null, call!.createdAt],
        ['d0', 'email', null, expect.any(String)],
      ]);
      // Back to the call: the current row carries its first planning and its outcome again.
      const [again] = await store.results.actions(last.runId, { recordId: 'd0' });
      expect(again).toMatchObject({ action: 'call', createdAt: call!.createdAt, outcome: 'completed' });
      expect((await store.results.openActions('learn')).map((a) => a.action).sort()).toEqual(['call', 'email']);
    });

    it('keeps the control group once per record and action with its first time, and the lift per run, bounded', async () => {
      const held = (ids: string[], action: NextBestAction['action'] = 'call') =>
        ids.map((recordId) => ({ objectType: 'deal' as const, recordId, action, segmentKey: 's1' }));
      const withHoldout = (heldOut: ReturnType<typeof held>, n: number) => {
        const r = engineResult('holdout', { deals: 4, contacts: 0 });
        r.actions.heldOut = heldOut;
        r.lift = { asOf: `run-${n}`, holdoutShare: 0.1, windowDays: 90, minGroup: 30 } as NonNullable<
          EngineResult['lift']
        >;
        return r;
      };
      await run('holdout', withHoldout(held(['h1', 'h2']), 1));
      const firstAt = (await store.results.holdoutHistory('holdout'))[0]!.at;
      for (let n = 2; n <= 5; n++) await run('holdout', withHoldout(held(['h1', 'h2', 'h3']), n));
      await run('holdout', withHoldout([...held(['h1']), ...held(['h1'], 'email')], 6));
      const exposures = await store.results.holdoutHistory('holdout');
      expect(exposures.map((e) => [e.recordId, e.action, e.at === firstAt])).toEqual([
        ['h1', 'call', true],
        ['h2', 'call', true],
        ['h3', 'call', false],
        ['h1', 'email', false],
      ]);
      // A recompute's held-out targets are recorded too.
      const runId = await store.runs.start('holdout', 'recompute', 'test');
      await store.results.saveRecords('holdout', runId, {
        tenantId: 'holdout',
        asOf: '',
        modelsAsOf: '',
        targets: { deals: ['h9'], contacts: [] },
        scores: [],
        members: [],
        actions: [],
        heldOut: held(['h9']),
        counts: { contacts: 0, deals: 1, scores: 0, actions: 0 },
      });
      expect((await store.results.holdoutHistory('holdout')).map((e) => e.recordId)).toContain('h9');
      // The lift of the runs kept (3 per kind here), oldest first.
      expect((await store.results.liftHistory('holdout')).map((h) => h.lift.asOf)).toEqual(['run-4', 'run-5', 'run-6']);
      expect((await store.results.liftHistory('holdout', 1)).map((h) => h.lift.asOf)).toEqual(['run-6']);
    });

    it('prunes exactly what is older than each setting, and a dry run removes nothing', async () => {
      const fresh = await target.open(clock);
      try {
        await fresh.migrate();
        const retention: RetentionSettings = {
          ...DEFAULT_RETENTION,
          runResults: 2,
          runs: 100,
          runDays: 10,
          inboxDays: 5,
          outboxDays: 10,
          auditDays: 20,
          historyDays: 10,
          apiUsageDays: 3,
        };
        const seed = async (label: 'old' | 'mid' | 'recent') => {
          const runId = await fresh.runs.start('p1', 'cycle', label);
          await fresh.runs.startStage('p1', runId, 'collect');
          await fresh.results.save(
            'p1',
            runId,
            engineResult('p1', { deals: 3, contacts: 2, win: () => ({ old: 0.1, mid: 0.2, recent: 0.3 })[label] }),
          );
          await fresh.runs.finish(runId, 'succeeded', {});
          await fresh.inbox.add([{ provider: 'hubspot', tenantId: 'p1', eventKey: `${label}:done`, payload: '{}' }]);
          await fresh.inbox.add([{ provider: 'hubspot', tenantId: 'p1', eventKey: `${label}:waiting`, payload: '{}' }]);
          const [done] = (await fresh.inbox.pendingFor('p1', 100)).filter((e) => e.eventKey === `${label}:done`);
          await fresh.inbox.markDone([done!.id]);
          const item = (kind: string) => ({
            runId,
            kind: 'task' as const,
            objectType: 'deal',
            recordId: 'd0',
            idempotencyKey: `${label}:${kind}`,
            payload: {},
          });
          await fresh.outbox.add('p1', [item('sent'), item('dead'), ...(label === 'recent' ? [item('pending')] : [])]);
          for (const o of await fresh.outbox.list('p1', { runId })) {
            if (o.idempotencyKey.endsWith(':sent')) await fresh.outbox.finish(o.id, 'sent');
            if (o.idempotencyKey.endsWith(':dead')) await fresh.outbox.finish(o.id, 'dead');
          }
          await fresh.audit.append({ tenantId: 'p1', actor: 'system', action: label, detail: {} });
          await fresh.audit.append({ tenantId: null, actor: 'system', action: label, detail: {} });
          await fresh.apiUsage.record('p1', 'salesforce:daily', 1, null);
          return runId;
        };
        const old = await seed('old'); // 30 days ago, older than every setting
        clock.advance(DAY * 15);
        const mid = await seed('mid'); // 15 days ago: older than some settings only
        clock.advance(DAY * 14);
        const recent = await seed('recent'); // a day ago
        clock.advance(DAY);
        const before = await allRows(fresh);

        const dry = await pruneStore(fresh, clock, retention, { dryRun: true });
        expect(await allRows(fresh)).toEqual(before);
        const real = await pruneStore(fresh, clock, retention);
        expect(real.removed).toEqual(dry.removed);
        const after = await allRows(fresh);
        for (const [table, n] of Object.entries(before))
          expect([table, after[table]]).toEqual([table, n - (real.removed[table] ?? 0)]);

        // Runs: older than 10 days go unless their run-level results are among the 2 kept (mid, recent).
        expect((await fresh.runs.list('p1')).map((r) => r.id)).toEqual([recent, mid]);
        expect(real.removed).toMatchObject({ runs: 1, run_stages: 1 });
        expect(await fresh.results.segments(old)).toEqual([]);
        expect(await fresh.results.segments(mid)).toHaveLength(2);
        // Inbox: done events older than 5 days (old, mid); waiting events stay whatever their age.
        const inbox = await fresh.db.selectFrom('webhookInbox').select(['eventKey', 'status']).orderBy('id').execute();
        expect(inbox.map((e) => e.eventKey)).toEqual(['old:waiting', 'mid:waiting', 'recent:done', 'recent:waiting']);
        // Outbox: sent and dead older than 10 days; the rest stays.
        const outbox = await fresh.db.selectFrom('outbox').select('idempotencyKey').orderBy('idempotencyKey').execute();
        expect(outbox.map((o) => o.idempotencyKey)).toEqual(['recent:dead', 'recent:pending', 'recent:sent']);
        // Audit: rows older than 20 days, in both chains; the chains still verify and stay append-only.
        expect(real.removed.audit_log).toBe(2);
        expect((await fresh.audit.list({ limit: 10 })).map((a) => a.action)).toEqual([
          'recent',
          'recent',
          'mid',
          'mid',
        ]);
        expect(await fresh.audit.verify()).toBeNull();
        const refused = await fresh.db
          .deleteFrom('auditLog')
          .where('action', '=', 'mid')
          .executeTakeFirst()
          .then(
            (r) => `deleted ${r.numDeletedRows}`,
            (e: unknown) => `${Object.prototype.toString.call(e)} ${(e as Error)?.message}`,
          );
        expect(refused).toMatch(/append-only/);
        await fresh.audit.append({ tenantId: 'p1', actor: 'system', action: 'later', detail: {} });
        expect(await fresh.audit.verify()).toBeNull();
        // API usage: buckets older than 3 days.
        expect(real.removed.api_usage).toBe(2);
        // Result history older than 10 days: the old and mid runs' changes.
        expect(real.removed.result_history).toBeGreaterThan(0);
        const history = await fresh.db.selectFrom('resultHistory').select('runId').distinct().execute();
        expect(history.map((h) => h.runId)).toEqual([recent]);

        // Nothing left to prune: a second pass removes nothing.
        const again = await pruneStore(fresh, clock, retention);
        expect(Object.values(again.removed).every((n) => n === 0)).toBe(true);
      } finally {
        await fresh.close();
      }
    });

    it("migrates a store with a copy per run to the latest run's rows and every action key", async () => {
      const fresh = await target.open(clock);
      try {
        await migrateToLatest(
          fresh.db,
          fresh.dialect,
          MIGRATIONS.filter((m) => m.version <= 4),
        );
        const runs = [
          ['r1', '2026-11-01T00:00:00.000Z', 'call', 0.4],
          ['r2', '2026-11-02T00:00:00.000Z', 'email', 0.6],
        ] as const;
        for (const [id, at, action, p] of runs) {
          await sql`insert into runs (id, tenant_id, kind, trigger, status, started_at, summary)
            values (${id}, 'm1', 'cycle', 'test', 'succeeded', ${at}, '{}')`.execute(fresh.db);
          await sql`insert into run_artifacts (tenant_id, run_id, name, payload)
            values ('m1', ${id}, 'health', '{}')`.execute(fresh.db);
          await sql`insert into scores (tenant_id, run_id, object_type, record_id, kind, probability, reasons, model_version)
            values ('m1', ${id}, 'deal', 'd1', 'win', ${p}, '{}', 'v')`.execute(fresh.db);
          await sql`insert into segment_members (tenant_id, run_id, object_type, record_id, segment_key)
            values ('m1', ${id}, 'contact', 'c1', ${`s-${id}`})`.execute(fresh.db);
          await sql`insert into recommendations (tenant_id, run_id, object_type, record_id, items)
            values ('m1', ${id}, 'contact', 'c1', '[]')`.execute(fresh.db);
          for (const a of new Set(['call', action])) {
            await sql`insert into actions (tenant_id, run_id, object_type, record_id, action_key, action, priority,
                reason, status, outcome, value, created_at)
              values ('m1', ${id}, 'deal', ${a === action ? 'd1' : 'd2'}, ${`k-${a}`}, ${a}, 'high', 'r', 'proposed',
                ${id === 'r1' && a === 'call' ? 'completed' : null}, 1, ${at})`.execute(fresh.db);
          }
        }
        await fresh.migrate();
        expect(await fresh.results.latestRunId('m1')).toBe('r2');
        expect((await fresh.results.scores('r2')).map((s) => [s.recordId, s.probability])).toEqual([['d1', 0.6]]);
        expect(await fresh.results.segmentMembers('r2')).toEqual([
          { objectType: 'contact', recordId: 'c1', segmentKey: 's-r2' },
        ]);
        expect(await fresh.results.recommendations('r2')).toHaveLength(1);
        expect((await fresh.results.actions('r2')).map((a) => [a.recordId, a.action, a.outcome])).toEqual([
          ['d2', 'call', 'completed'],
          ['d1', 'email', null],
        ]);
        const past = await fresh.results.pastActions('m1');
        expect(past.map((p) => [p.action, p.createdAt, p.outcome])).toEqual([
          ['call', '2026-11-01T00:00:00.000Z', 'completed'],
          ['email', '2026-11-02T00:00:00.000Z', null],
        ]);
      } finally {
        await fresh.close();
      }
    });
  });
}
