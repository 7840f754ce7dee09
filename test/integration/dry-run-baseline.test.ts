import { cpSync } from 'node:fs';
import { afterAll, describe, expect, it } from '@jest/globals';
import { generateWorld } from '../../sandbox/world/generate-world.js';
import { loadConfig } from '../../src/config/load-config.js';
import { connectWithToken } from '../../src/install/connect-with-token.js';
import { runCycle } from '../../src/jobs/run-cycle.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { FakeCrmWriter } from '../helpers/fake-crm-writer.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { worldConnectorModule } from '../helpers/world-connector.js';

const DAY = 86_400_000;
const START = Date.parse('2026-11-02T08:00:00.000Z');

/**
 * A tenant on a store in `dir`, served the planted world (with the reps' edits `edits` times over) by a CRM module,
 * and an in-memory CRM. Two of them on copies of one store are the same tenant (same id, so the same engine seed).
 */
async function tenantOnWorld(dir: string, at: number, edits: number) {
  const world = generateWorld({ seed: 11, contacts: 300, companies: 60, deals: 400, asOf: '2026-11-01T00:00:00.000Z' });
  const module = worldConnectorModule(world, { writer: () => crm.writer });
  const crm = { writer: new FakeCrmWriter() };
  const clock = new FixedClock(at);
  const config = loadConfig({ env: { DATA_DIR: dir, LOG_LEVEL: 'silent' }, cwd: dir, readDotEnv: false });
  const runtime: Runtime = await createRuntime(config, { clock, logger: silentLogger(), modules: { hubspot: module } });
  await runtime.store.migrate();
  const tenantId =
    (await runtime.store.tenants.list())[0]?.id ?? (await connectWithToken(runtime, { crm: 'hubspot', token: 't' })).id;
  const run = async (dryRun = false) => {
    const result = await runCycle(runtime, { tenantId, mode: 'full', trigger: 'test', ...(dryRun ? { dryRun } : {}) });
    expect(result.status).toBe('succeeded');
    return result;
  };
  /** Reps move deals on (the same ones each time for the same `round`): some won, some lost, some change amount. */
  const repsWork = (round: number) => {
    const open = module.records.deals.filter((d) => !d.isClosed);
    const at = new Date(START + round * DAY).toISOString();
    open.slice(0, 12).forEach((deal, i) => {
      Object.assign(deal, { isClosed: true, isWon: i % 2 === 0, stage: i % 2 === 0 ? 'closedwon' : 'closedlost' });
      Object.assign(deal, { closeDate: at, updatedAt: at });
    });
    for (const deal of open.slice(12, 40))
      Object.assign(deal, { amount: (deal.amount ?? 0) * 3 + 1000, updatedAt: at });
  };
  for (let round = 1; round <= edits; round++) repsWork(round);
  const stored = async () => ({
    actions: (await runtime.store.results.actions((await runtime.store.results.latestRunId(tenantId))!)).map(
      ({ runId: _r, ...a }) => a,
    ),
    history: await runtime.store.results.pastActions(tenantId),
  });
  return { runtime, crm, clock, tenantId, run, repsWork, stored };
}

/**
 * A dry run is never the baseline of the next run: it stores no results, no outcomes and no ledger, so a real run
 * after it writes exactly what the same real run writes without it, though the clock moved a day in between (an
 * action first planned by the dry run would otherwise keep the dry run's due date).
 */
describe('a dry run is never the baseline of the next run', () => {
  const dirs = [tempDir(), tempDir()];
  const open: Runtime[] = [];
  afterAll(async () => {
    for (const runtime of open) await runtime.close();
    for (const dir of dirs) dir.remove();
  });
  const plan = (r: Awaited<ReturnType<typeof runCycle>>) => {
    const p = r.writeBack!.plan!;
    return {
      fields: p.fields.map(({ key: _k, ...f }) => f),
      tasks: p.tasks,
      closes: p.closes,
      releases: p.releases,
      triggers: p.triggers.map(({ key: _k, ...t }) => t),
      stats: p.stats,
      calls: p.calls,
    };
  };

  it('dry run, then a real run, writes exactly what the real run alone writes', async () => {
    // A first real run; then the same store twice over (one tenant, two futures).
    const first = await tenantOnWorld(dirs[0]!.path, START, 0);
    await first.run();
    await first.runtime.close();
    cpSync(dirs[0]!.path, dirs[1]!.path, { recursive: true });
    const withDry = await tenantOnWorld(dirs[0]!.path, START + 3 * DAY, 1);
    const alone = await tenantOnWorld(dirs[1]!.path, START + 3 * DAY, 1);
    open.push(withDry.runtime, alone.runtime);
    expect(withDry.tenantId).toBe(alone.tenantId);

    const before = await withDry.stored();
    const dry = await withDry.run(true);
    expect(dry.writeBack!.status).toBe('dry-run');
    expect(dry.writeBack!.plan!.fields.length).toBeGreaterThan(0);
    // It stored nothing the next run reads: current results, action history and outcomes are as they were, and it
    // wrote nothing (no outbox, no ledger).
    expect(await withDry.stored()).toEqual(before);
    expect(withDry.crm.writer.calls).toMatchObject({ fields: 0, tasks: 0, closes: 0, triggers: 0 });
    expect(await withDry.runtime.store.outbox.counts(withDry.tenantId)).toEqual({ sent: expect.any(Number) });

    // A day later (an action first planned by the dry run would otherwise keep the dry run's due date).
    for (const t of [withDry, alone]) t.clock.advance(DAY);
    const real = await withDry.run();
    const reference = await alone.run();
    expect(plan(real).tasks.length + plan(real).fields.length).toBeGreaterThan(0);
    expect(plan(real)).toEqual(plan(reference));
    // And the two CRMs received the same writes.
    expect(Object.fromEntries(withDry.crm.writer.records)).toEqual(Object.fromEntries(alone.crm.writer.records));
    // (sent in outbox order, which is by random item id: compared by task key)
    const tasks = (w: FakeCrmWriter) =>
      [...w.tasks.values()].map(({ crmId: _c, ...t }) => t).sort((a, b) => a.key.localeCompare(b.key));
    expect(tasks(withDry.crm.writer)).toEqual(tasks(alone.crm.writer));
    expect(await withDry.stored()).toEqual(await alone.stored());
  });

  it('the dry run planned exactly what the real run after it did', async () => {
    for (const runtime of open.splice(0)) await runtime.close();
    const t = await tenantOnWorld(dirs[1]!.path, START + 5 * DAY, 2);
    open.push(t.runtime);
    const dry = await t.run(true);
    const real = await t.run();
    expect(plan(dry).fields.length).toBeGreaterThan(0);
    expect(plan(real)).toEqual(plan(dry));
  });
});
