import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHubSpotSandbox } from '../sandbox/hubspot/create-hubspot-sandbox.js';
import { REAL_LIMITS } from '../sandbox/hubspot/limits.js';
import { loadConfig } from '../src/config/load-config.js';
import { connectWithToken } from '../src/install/connect-with-token.js';
import { runCycle } from '../src/jobs/run-cycle.js';
import { type Clock, ScaledClock, systemClock } from '../src/lib/clock.js';
import { createRuntime } from '../src/main.js';
import type { WritePlan } from '../src/writeback/plan-writes.js';
import type { Benchmark } from './run.js';

function option(args: string[], name: string, fallback: number): number {
  const raw = args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

/** Record writes (batch update and create of objects), apart from property definitions (provisioning). */
const RECORD_WRITE = /^\/crm\/v3\/objects\/[a-z_]+\/batch\/(update|create|upsert)$/;
const PROVISION_WRITE = /^\/crm\/v3\/properties\//;

/**
 * What one cycle's write-back costs against the sandbox with real limits: write calls against the least any
 * writer could make (HubSpot takes 100 records a call), and the time. The first cycle writes every scored record
 * (every field new); then three runs without CRM changes, and one after a day of CRM changes (deal amounts,
 * lead statuses).
 */
export const writebackHubSpotBenchmark: Benchmark = {
  name: 'writeback-hubspot',
  description:
    'a whole cycle (sync → engine → write-back) against the HubSpot sandbox with real limits: record write calls ÷ the ' +
    'minimum (changed records ÷ 100; goal ≤ 1.02), and the write-back time. Options: --contacts=5000 --scale=1',
  async run(args) {
    const contacts = option(args, 'contacts', 5000);
    const scale = option(args, 'scale', 1);
    const clock: Clock = scale === 1 ? systemClock : new ScaledClock(scale);
    const writes: Array<{ path: string; at: number }> = [];
    const sb = createHubSpotSandbox({
      seed: 3,
      contacts,
      companies: Math.round(contacts / 10),
      deals: contacts,
      asOf: '2026-11-01',
      clock,
      limits: 'real',
      onRequest: (r) => {
        if (r.method !== 'GET' && (RECORD_WRITE.test(r.path) || PROVISION_WRITE.test(r.path)))
          writes.push({ path: r.path, at: clock.now() });
      },
    });
    const url = await sb.listen();
    const dir = mkdtempSync(join(tmpdir(), 'crm-agent-bench-'));
    const config = loadConfig({
      env: { DATA_DIR: dir, LOG_LEVEL: 'warn', CRM_AGENT_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') },
      cwd: dir,
      readDotEnv: false,
    });
    const runtime = await createRuntime(config, { clock });
    try {
      await runtime.store.migrate();
      const tenant = await connectWithToken(runtime, { crm: 'hubspot', token: sb.token, apiBaseUrl: url });
      console.log(
        `portal: ${contacts} contacts, ${Math.round(contacts / 10)} companies, ${contacts} deals; real limits ` +
          `(${REAL_LIMITS.burst.limit} per ${REAL_LIMITS.burst.windowMs / 1000} s); clock ×${scale}; store SQLite`,
      );
      const cycle = async (label: string, mode: 'full' | 'incremental') => {
        writes.length = 0;
        const started = clock.now();
        const result = await runCycle(runtime, { tenantId: tenant.id, mode, trigger: 'bench' });
        const plan = result.writeBack?.plan;
        if (result.status !== 'succeeded' || !plan) throw new Error(`${label}: the cycle ${result.status}`);
        const stages = await runtime.store.runs.stages(result.runId!);
        const sendStage = stages.find((s) => s.stage === 'act:send');
        report(label, plan, writes, (clock.now() - started) / 1000, sendStage, result.writeBack?.send);
      };
      await cycle('first run', 'full');
      // Nothing changed in the CRM. The second run still writes: every score change goes from empty (no previous
      // score) to a value, and the engine's results move with what the first run left (previous segments and
      // scores, its actions); a change in one run is a score change in the next. Then nothing.
      for (let k = 1; k <= 3; k++) await cycle(`no change ${k}`, 'incremental');
      // A day in the CRM: 10 % of deals change amount, 10 % of contacts their lead status.
      const deals = sb.state.objects.deals.ids;
      for (let i = 0; i < deals.length; i += 10) sb.control.edit('deals', deals[i]!, { amount: String(1000 + i) });
      const people = sb.state.objects.contacts.ids;
      for (let i = 3; i < people.length; i += 10)
        sb.control.edit('contacts', people[i]!, { hs_lead_status: 'IN_PROGRESS' });
      await cycle('after a day', 'incremental');
    } finally {
      await runtime.close();
      await sb.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

function report(
  label: string,
  plan: WritePlan,
  writes: Array<{ path: string; at: number }>,
  cycleSeconds: number,
  sendStage: { startedAt: string; finishedAt: string | null } | undefined,
  send: { sent: number; failed: number; dead: number } | undefined,
) {
  const byType = new Map<string, number>();
  for (const f of plan.fields) byType.set(f.objectType, (byType.get(f.objectType) ?? 0) + 1);
  const records = plan.fields.length + plan.tasks.length + plan.closes.length;
  const recordCalls = writes.filter((w) => RECORD_WRITE.test(w.path)).length;
  const provisionCalls = writes.filter((w) => PROVISION_WRITE.test(w.path)).length;
  const fieldCalls = writes.filter((w) => /\/(contacts|companies|deals)\/batch\/update$/.test(w.path)).length;
  const perType = [...byType.values()].reduce((n, k) => n + Math.ceil(k / 100), 0);
  const wholeBatches = perType + Math.ceil(plan.tasks.length / 100) + Math.ceil(plan.closes.length / 100);
  const sendSeconds =
    sendStage?.startedAt && sendStage.finishedAt
      ? (Date.parse(sendStage.finishedAt) - Date.parse(sendStage.startedAt)) / 1000
      : Number.NaN;
  const ratio = (calls: number, min: number) => (min > 0 ? (calls / min).toFixed(3) : 'n/a');
  console.log(
    `${label.padEnd(12)} changed: ${[...byType].map(([t, n]) => `${n} ${t === 'company' ? 'companies' : `${t}s`}`).join(', ')}, ${plan.tasks.length} tasks, ` +
      `${plan.closes.length} closes (${records} records; sent ${send?.sent ?? 0}, failed ${(send?.failed ?? 0) + (send?.dead ?? 0)})\n` +
      `${''.padEnd(12)} record write calls ${recordCalls} (fields ${fieldCalls}); minimum ${records / 100} → ratio ${ratio(recordCalls, records / 100)} ` +
      `(against whole batches per object type, ${wholeBatches}: ${ratio(recordCalls, wholeBatches)}); fields alone ${fieldCalls} ÷ ${plan.fields.length / 100} = ${ratio(fieldCalls, plan.fields.length / 100)}\n` +
      `${''.padEnd(12)} provisioning writes ${provisionCalls}; write-back send ${sendSeconds.toFixed(1)} s; whole cycle ${cycleSeconds.toFixed(1)} s`,
  );
}
