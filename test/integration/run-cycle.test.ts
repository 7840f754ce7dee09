import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateWorld } from '../../sandbox/world/generate-world.js';
import { loadPreviousRun } from '../../src/analyse/load-previous-run.js';
import { loadConfig } from '../../src/config/load-config.js';
import { connectWithToken } from '../../src/install/connect-with-token.js';
import { runCycle } from '../../src/jobs/run-cycle.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { worldConnectorModule } from '../helpers/world-connector.js';

describe('a whole cycle on a planted world', () => {
  const dir = tempDir();
  const world = generateWorld({
    seed: 11,
    contacts: 1500,
    companies: 250,
    deals: 1800,
    asOf: '2026-11-01T00:00:00.000Z',
  });
  const module = worldConnectorModule(world);
  const clock = new FixedClock(Date.parse('2026-11-01T08:00:00.000Z'));
  let runtime: Runtime;
  let tenantId: string;

  beforeAll(async () => {
    const config = loadConfig({ env: { DATA_DIR: dir.path, LOG_LEVEL: 'silent' }, cwd: dir.path, readDotEnv: false });
    runtime = await createRuntime(config, { clock, logger: silentLogger(), modules: { hubspot: module } });
    await runtime.store.migrate();
    tenantId = (await connectWithToken(runtime, { crm: 'hubspot', token: 'static-token' })).id;
  });
  afterAll(async () => {
    await runtime.close();
    dir.remove();
  });

  it('collects, feeds back, analyses and decides, recorded as one run with every stage', async () => {
    const result = await runCycle(runtime, { tenantId, mode: 'full', trigger: 'test' });
    expect(result.status).toBe('succeeded');
    const run = await runtime.store.runs.get(result.runId!);
    expect(run).toMatchObject({
      kind: 'cycle',
      status: 'succeeded',
      summary: { records: expect.objectContaining({ contact: 1500, deal: 1800 }) },
    });
    const stages = (await runtime.store.runs.stages(result.runId!)).map((s) => s.stage);
    expect(stages).toEqual(
      expect.arrayContaining([
        'collect:contacts',
        'collect:deals',
        'outcomes',
        'clean',
        'analyse:segments',
        'analyse:scores',
        'decide:actions',
      ]),
    );
    const latest = await runtime.store.results.latestRunId(tenantId);
    expect(latest).toBe(result.runId);
    const segments = await runtime.store.results.segments(latest!);
    expect(segments.length).toBeGreaterThanOrEqual(2);
    expect(segments.reduce((a, s) => a + s.size, 0)).toBe(
      result.engine!.segments.status === 'ok' ? result.engine!.segments.members.length : -1,
    );
    const scores = await runtime.store.results.scores(latest!, { objectType: 'deal' });
    expect(scores.length).toBe(result.engine!.scores.win.scores.length);
    expect(scores[0]!.reasons.length).toBeGreaterThan(0);
    expect((await runtime.store.results.actions(latest!)).length).toBe(result.engine!.actions.actions.length);
    expect(await runtime.store.results.readArtifact(latest!, 'model-win')).toMatchObject({ status: 'forest' });
    expect(
      (await runtime.store.results.forecasts(latest!)).some(
        (f) => f.series === 'revenue:total' && f.kind === 'forecast',
      ),
    ).toBe(true);
  });

  it('keeps segment ids and reports score changes on the next run, and learns what became of its actions', async () => {
    const first = await runtime.store.results.latestRunId(tenantId);
    const firstKeys = (await runtime.store.results.segments(first!)).map((s) => s.segmentKey).sort();
    const firstActions = await runtime.store.results.actions(first!, { objectType: 'deal' });
    const acted = firstActions.find((a) => a.action !== 'none')!;
    // The rep acts and the deal is won after the action was planned.
    clock.advance(3 * 86_400_000);
    const deal = module.records.deals.find((d) => d.id === acted.recordId)!;
    Object.assign(deal, {
      isClosed: true,
      isWon: true,
      stage: 'closedwon',
      closeDate: new Date(clock.now()).toISOString(),
      updatedAt: new Date(clock.now()).toISOString(),
    });

    const second = await runCycle(runtime, { tenantId, mode: 'full', trigger: 'test' });
    expect(second.status).toBe('succeeded');
    const secondKeys = (await runtime.store.results.segments(second.runId!)).map((s) => s.segmentKey).sort();
    expect(secondKeys).toEqual(firstKeys);
    // The last run read back for the next one: each contact's segment, the reasons' words, each record's action;
    // an action that stayed kept its due date though the clock moved three days.
    const previous = await loadPreviousRun(runtime.store, tenantId);
    expect(previous.members).toHaveLength((await runtime.store.results.segmentMembers(second.runId!)).length);
    expect(previous.scores!.every((s) => Array.isArray(s.reasons))).toBe(true);
    expect(previous.current).toHaveLength((await runtime.store.results.actions(second.runId!)).length);
    const secondActions = new Map(
      (await runtime.store.results.actions(second.runId!, { objectType: 'deal' })).map((a) => [a.recordId, a]),
    );
    const stayed = firstActions.filter((a) => secondActions.get(a.recordId)?.action === a.action);
    expect(stayed.length).toBeGreaterThan(0);
    for (const a of stayed) expect(secondActions.get(a.recordId)!.dueDate).toBe(a.dueDate);
    const scores = await runtime.store.results.scores(second.runId!, { objectType: 'deal' });
    expect(scores.filter((s) => s.previousProbability !== null).length).toBeGreaterThan(0.9 * scores.length);
    const past = await runtime.store.results.pastActions(tenantId);
    expect(past.find((p) => p.recordId === acted.recordId && p.action === acted.action)?.outcome).toBe('won');
    const outcomesStage = (await runtime.store.runs.stages(second.runId!)).find((s) => s.stage === 'outcomes');
    expect(outcomesStage?.detail).toMatchObject({ outcomes: expect.objectContaining({ won: expect.any(Number) }) });
  });

  it('marks a run a killed process left `running` as interrupted when the next run takes the tenant’s lock', async () => {
    const orphan = await runtime.store.runs.start(tenantId, 'cycle', 'schedule');
    const syncOnly = await runtime.store.runs.start(tenantId, 'sync:full', 'cli');
    const next = await runCycle(runtime, { tenantId, mode: 'incremental', trigger: 'test' });
    expect(next.status).toBe('succeeded');
    expect(await runtime.store.runs.get(orphan)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^interrupted/),
    });
    // Runs not started under the lock are not its to judge.
    expect(await runtime.store.runs.get(syncOnly)).toMatchObject({ status: 'running' });
    expect(await runtime.store.runs.get(next.runId!)).toMatchObject({ status: 'succeeded' });
  });
});
