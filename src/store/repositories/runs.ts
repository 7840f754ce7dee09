import { randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database, RunStagesTable, RunStatus, RunsTable } from '../schema.js';
import { chunk } from './chunk.js';
import { fromJson, toJson } from './json.js';
import { pruneRows } from './prune-rows.js';

export interface Run extends Omit<Selectable<RunsTable>, 'summary'> {
  summary: Record<string, unknown>;
}

export interface RunStage extends Omit<Selectable<RunStagesTable>, 'detail'> {
  detail: Record<string, unknown>;
}

/** Runs (sync, engine, write-back, whole cycles) and the timing and outcome of each of their stages. */
export class RunRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async start(tenantId: string, kind: string, trigger: string, id: string = randomUUID()): Promise<string> {
    await this.db
      .insertInto('runs')
      .values({
        id,
        tenantId,
        kind,
        trigger,
        status: 'running',
        startedAt: isoAt(this.clock),
        finishedAt: null,
        error: null,
        summary: '{}',
      })
      .execute();
    return id;
  }

  async finish(
    id: string,
    status: Exclude<RunStatus, 'queued' | 'running'>,
    summary: Record<string, unknown>,
    error: string | null = null,
  ): Promise<void> {
    await this.db
      .updateTable('runs')
      .set({ status, summary: toJson(summary), error, finishedAt: isoAt(this.clock) })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Marks a tenant's runs of these kinds still `running` as failed: called under the tenant's run lock, where no
   * such run can really be running, so they are what a killed process left behind. Returns how many.
   */
  async abandonRunning(tenantId: string, kinds: readonly string[], reason: string): Promise<number> {
    const result = await this.db
      .updateTable('runs')
      .set({ status: 'failed', error: reason, finishedAt: isoAt(this.clock) })
      .where('tenantId', '=', tenantId)
      .where('status', '=', 'running')
      .where('kind', 'in', [...kinds])
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async startStage(tenantId: string, runId: string, stage: string): Promise<void> {
    const values = { status: 'running' as const, startedAt: isoAt(this.clock), finishedAt: null, detail: '{}' };
    await this.db
      .insertInto('runStages')
      .values({ tenantId, runId, stage, ...values })
      .onConflict((oc) => oc.columns(['runId', 'stage']).doUpdateSet(values))
      .execute();
  }

  async finishStage(
    runId: string,
    stage: string,
    status: Exclude<RunStatus, 'queued' | 'running'>,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.db
      .updateTable('runStages')
      .set({ status, detail: toJson(detail), finishedAt: isoAt(this.clock) })
      .where('runId', '=', runId)
      .where('stage', '=', stage)
      .execute();
  }

  /** Records a stage that already happened (e.g. timed inside the engine), with its own start and end. */
  async recordStage(
    tenantId: string,
    runId: string,
    stage: string,
    startMs: number,
    endMs: number,
    detail: Record<string, unknown>,
  ): Promise<void> {
    const values = {
      status: 'succeeded' as const,
      startedAt: new Date(startMs).toISOString(),
      finishedAt: new Date(endMs).toISOString(),
      detail: toJson(detail),
    };
    await this.db
      .insertInto('runStages')
      .values({ tenantId, runId, stage, ...values })
      .onConflict((oc) => oc.columns(['runId', 'stage']).doUpdateSet(values))
      .execute();
  }

  async get(id: string): Promise<Run | undefined> {
    const row = await this.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && { ...row, summary: fromJson(row.summary, {}) };
  }

  async list(tenantId: string, limit = 50): Promise<Run[]> {
    const rows = await this.db
      .selectFrom('runs')
      .selectAll()
      .where('tenantId', '=', tenantId)
      .orderBy('startedAt', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ ...row, summary: fromJson(row.summary, {}) }));
  }

  async stages(runId: string): Promise<RunStage[]> {
    const rows = await this.db
      .selectFrom('runStages')
      .selectAll()
      .where('runId', '=', runId)
      .orderBy('startedAt')
      .orderBy('stage')
      .execute();
    return rows.map((row) => ({ ...row, detail: fromJson(row.detail, {}) }));
  }

  /**
   * Removes finished runs (with their stages and checkpoints) that started before `before` or are beyond the newest
   * `keep` runs of their tenant and kind, except runs whose run-level results are still kept (the newest one with
   * results among them) and runs with write-backs still waiting. Returns rows per table.
   */
  async prune(options: {
    tenantId?: string | undefined;
    before: string;
    keep: number;
    dryRun: boolean;
    /** Runs whose run-level results the same prune removes (or, dry, would): they no longer count as kept. */
    resultsGone?: ReadonlySet<string>;
  }): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('runs')
      .select(['id', 'tenantId', 'kind', 'startedAt', 'status'])
      .$if(options.tenantId !== undefined, (q) => q.where('tenantId', '=', options.tenantId!))
      .orderBy('tenantId')
      .orderBy('kind')
      .orderBy('startedAt', 'desc')
      .orderBy('id', 'desc')
      .execute();
    const seen = new Map<string, number>();
    const candidates: string[] = [];
    for (const r of rows) {
      const key = `${r.tenantId}\u0000${r.kind}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      if (r.status === 'running' || r.status === 'queued') continue;
      if (r.startedAt < options.before || n > options.keep) candidates.push(r.id);
    }
    const drop: string[] = [];
    for (const part of chunk(candidates, 500)) {
      const busy = new Set([
        ...(await this.db.selectFrom('runArtifacts').select('runId').distinct().where('runId', 'in', part).execute())
          .map((r) => r.runId)
          .filter((id) => !options.resultsGone?.has(id)),
        ...(
          await this.db
            .selectFrom('outbox')
            .select('runId')
            .distinct()
            .where('runId', 'in', part)
            .where('status', 'in', ['pending', 'in_flight', 'failed'])
            .execute()
        ).map((r) => r.runId),
      ]);
      drop.push(...part.filter((id) => !busy.has(id)));
    }
    const counts: Record<string, number> = { runs: 0, run_stages: 0, run_checkpoints: 0 };
    for (const part of chunk(drop, 500)) {
      const ids = sql.join(part);
      counts.run_stages! += await pruneRows(this.db, 'run_stages', sql`run_id in (${ids})`, options.dryRun);
      counts.run_checkpoints! += await pruneRows(this.db, 'run_checkpoints', sql`run_id in (${ids})`, options.dryRun);
      counts.runs! += await pruneRows(this.db, 'runs', sql`id in (${ids})`, options.dryRun);
    }
    return counts;
  }
}
