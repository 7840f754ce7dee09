import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateWorld } from '../../sandbox/world/generate-world.js';
import { Rng } from '../../sandbox/world/rng.js';
import { describePlan } from '../../src/cli/commands/run.js';
import { loadConfig } from '../../src/config/load-config.js';
import { connectWithToken } from '../../src/install/connect-with-token.js';
import { runCycle } from '../../src/jobs/run-cycle.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { sendOutbox } from '../../src/writeback/send-outbox.js';
import { writeBack } from '../../src/writeback/write-back.js';
import { FakeCrmWriter } from '../helpers/fake-crm-writer.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { worldConnectorModule } from '../helpers/world-connector.js';

describe('write-back', () => {
  const dir = tempDir();
  const world = generateWorld({ seed: 5, contacts: 700, companies: 120, deals: 900, asOf: '2026-11-01T00:00:00.000Z' });
  let writer = new FakeCrmWriter();
  const module = worldConnectorModule(world, { writer: () => writer });
  const clock = new FixedClock(Date.parse('2026-11-01T08:00:00.000Z'));
  let runtime: Runtime;
  let tenantId: string;
  let firstRunId: string;
  let reference: FakeCrmWriter;

  beforeAll(async () => {
    const config = loadConfig({ env: { DATA_DIR: dir.path, LOG_LEVEL: 'silent' }, cwd: dir.path, readDotEnv: false });
    runtime = await createRuntime(config, { clock, logger: silentLogger(), modules: { hubspot: module } });
    await runtime.store.migrate();
    tenantId = (await connectWithToken(runtime, { crm: 'hubspot', token: 't' })).id;
  });
  afterAll(async () => {
    await runtime.close();
    dir.remove();
  });

  /** A new, empty CRM writer follows each time: nothing written, and a local copy without crm-agent's values. */
  async function resetWriteBack() {
    await runtime.store.db.deleteFrom('writebackLedger').where('tenantId', '=', tenantId).execute();
    await runtime.store.db.deleteFrom('outbox').where('tenantId', '=', tenantId).execute();
    // The sender keeps the local copy in step with what it wrote; this CRM's sync never carries those values.
    for (const type of ['contact', 'company', 'deal'] as const) {
      const records = await runtime.store.records.list(tenantId, type);
      const strip = (p: Record<string, string | null>) =>
        Object.fromEntries(Object.entries(p).filter(([k]) => !k.startsWith('crm_agent_')));
      await runtime.store.records.upsert(
        tenantId,
        type,
        records.map((r) => ({ ...r, properties: strip(r.properties) })),
      );
    }
  }

  it('a dry run prints the plan and its cost, and writes nothing', async () => {
    const result = await runCycle(runtime, { tenantId, mode: 'full', trigger: 'test', dryRun: true });
    const plan = result.writeBack!.plan!;
    expect(result.writeBack!.status).toBe('dry-run');
    expect(plan.fields.length).toBeGreaterThan(500);
    expect(plan.tasks.length).toBeGreaterThan(0);
    expect(plan.calls.fields).toBe(
      [...new Set(plan.fields.map((f) => f.objectType))].reduce(
        (a, t) => a + Math.ceil(plan.fields.filter((f) => f.objectType === t).length / 50),
        0,
      ),
    );
    expect(writer.calls).toEqual({ provision: 0, fields: 0, tasks: 0, closes: 0, triggers: 0, statuses: 0 });
    expect(await runtime.store.outbox.counts(tenantId)).toEqual({});
    const lines = describePlan(plan);
    expect(lines[1]).toMatch(
      /^API calls: \d+ \(sync 0, field provisioning not counted, task-status reads 0, fields \d+, tasks \d+, task ends 0, triggers \d+\)$/,
    );
    expect(lines.some((l) => /crm_agent_segment ∅ → /.test(l))).toBe(true);
  });

  it('writes exactly the plan into the CRM, in full batches', async () => {
    const result = await runCycle(runtime, { tenantId, mode: 'full', trigger: 'test' });
    firstRunId = result.runId!;
    const plan = result.writeBack!.plan!;
    expect(result.writeBack!.send).toMatchObject({
      sent: plan.fields.length + plan.tasks.length + plan.triggers.length,
      failed: 0,
      dead: 0,
    });
    expect(writer.writes).toBe(plan.calls.total);
    for (const update of plan.fields)
      expect(writer.records.get(`${update.objectType}:${update.recordId}`)).toEqual(update.values);
    expect(writer.records.size).toBe(plan.fields.length);
    expect(writer.tasks.size).toBe(plan.tasks.length);
    expect(await runtime.store.outbox.counts(tenantId)).toEqual({
      sent: plan.fields.length + plan.tasks.length + plan.triggers.length,
    });
    reference = writer;
  });

  it("writes each open deal its pipeline's next-month revenue forecast with the 80 % interval", async () => {
    const forecasts = await runtime.store.results.forecasts(firstRunId);
    const deals = await runtime.store.records.list(tenantId, 'deal');
    const open = deals.filter((d) => !d.isClosed && d.pipeline !== null);
    expect(open.length).toBeGreaterThan(50);
    for (const deal of open) {
      const next = forecasts
        .filter((f) => f.series === `revenue:${deal.pipeline}` && f.kind === 'forecast')
        .sort((a, b) => a.period.localeCompare(b.period))[0]!;
      expect([deal.id, reference.records.get(`deal:${deal.id}`)]).toEqual([
        deal.id,
        expect.objectContaining({
          crm_agent_pipeline_forecast: Math.round(next.value),
          crm_agent_pipeline_forecast_low: Math.round(next.lo80!),
          crm_agent_pipeline_forecast_high: Math.round(next.hi80!),
          crm_agent_forecast_month: next.period.slice(0, 7),
        }),
      ]);
    }
    const closed = deals.find((d) => d.isClosed)!;
    expect(reference.records.get(`deal:${closed.id}`)?.crm_agent_pipeline_forecast).toBeUndefined();
  });

  it('a second run with no CRM changes makes zero write calls', async () => {
    writer = new FakeCrmWriter();
    const result = await runCycle(runtime, { tenantId, mode: 'full', trigger: 'test' });
    const plan = result.writeBack!.plan!;
    // Only the reads of its tasks' statuses.
    expect(plan.calls).toMatchObject({ fields: 0, tasks: 0, closes: 0, triggers: 0, total: plan.calls.reads });
    expect([plan.fields.length, plan.tasks.length, plan.closes.length, plan.releases.length]).toEqual([0, 0, 0, 0]);
    expect(writer.writes).toBe(0);
  });

  it('survives a crash at 20 random points of sending: nothing lost, nothing written twice', async () => {
    const rng = new Rng(2026);
    for (let trial = 0; trial < 20; trial++) {
      await resetWriteBack();
      writer = new FakeCrmWriter();
      const crashAt = rng.int(1, reference.writes);
      writer.crash = { onCall: crashAt, mode: rng.chance(0.5) ? 'after' : 'before' };
      const tenant = (await runtime.store.tenants.get(tenantId))!;
      const connector = runtime.connectorFor(tenant);
      const first = await writeBack(runtime, tenant, firstRunId, connector);
      expect(first.send!.stoppedBy).toMatch(/socket hang up/);
      writer.crash = null;
      const rest = await sendOutbox(runtime, tenantId, writer);
      expect(rest.stoppedBy).toBeUndefined();
      expect([trial, [...writer.records].sort()]).toEqual([trial, [...reference.records].sort()]);
      expect(writer.tasks.size).toBe(reference.tasks.size);
      expect([...writer.tasks.values()].every((t) => t.creations === 1)).toBe(true);
      expect(new Set(writer.triggers.map((t) => t.actionKey)).size).toBe(reference.triggers.length);
      expect((await runtime.store.outbox.counts(tenantId)).pending).toBeUndefined();
    }
  });

  it('stores a record the CRM rejects with its error, and writes the rest', async () => {
    await resetWriteBack();
    writer = new FakeCrmWriter();
    const victim = [...reference.records.keys()].find((k) => k.startsWith('contact:'))!.split(':')[1]!;
    writer.reject.set(victim, {
      code: 'INVALID_OPTION',
      message: 'segment value is not one of the allowed options',
      retryable: false,
    });
    const tenant = (await runtime.store.tenants.get(tenantId))!;
    const result = await writeBack(runtime, tenant, firstRunId, runtime.connectorFor(tenant));
    expect(result.send).toMatchObject({ failed: 1, dead: 0 });
    expect(result.send!.errors).toEqual([
      { kind: 'fields', recordId: victim, error: 'INVALID_OPTION: segment value is not one of the allowed options' },
    ]);
    expect(writer.records.size).toBe(reference.records.size - 1);
    const failed = await runtime.store.outbox.list(tenantId, { status: ['failed'] });
    expect(failed.map((f) => [f.recordId, f.lastError])).toEqual([
      [victim, 'INVALID_OPTION: segment value is not one of the allowed options'],
    ]);
  });

  it('keeps what is left in the outbox when the token is revoked mid-send, for the next authorised run', async () => {
    await resetWriteBack();
    writer = new FakeCrmWriter();
    writer.revokeOnCall = 3;
    const tenant = (await runtime.store.tenants.get(tenantId))!;
    await expect(writeBack(runtime, tenant, firstRunId, runtime.connectorFor(tenant))).rejects.toMatchObject({
      code: 'NEEDS_REAUTH',
    });
    const waiting = (await runtime.store.outbox.counts(tenantId)).pending ?? 0;
    expect(waiting).toBeGreaterThan(0);
    writer.revokeOnCall = null;
    const rest = await sendOutbox(runtime, tenantId, writer);
    expect(rest.sent).toBe(waiting);
    expect([...writer.records].sort()).toEqual([...reference.records].sort());
  });
});
