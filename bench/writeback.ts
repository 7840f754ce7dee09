import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSalesforceSandbox,
  type RequestEvent,
  type SalesforceSandbox,
} from '../sandbox/salesforce/create-salesforce-sandbox.js';
import type { SfRecord } from '../sandbox/salesforce/schema.js';
import { runAnalysis } from '../src/analyse/run-analysis.js';
import { loadConfig } from '../src/config/load-config.js';
import { connectWithToken } from '../src/install/connect-with-token.js';
import { silentLogger } from '../src/lib/logger.js';
import { createRuntime, type Runtime } from '../src/main.js';
import { runSync } from '../src/sync/run-sync.js';
import { type WriteBackResult, writeBack } from '../src/writeback/write-back.js';
import type { Benchmark } from './run.js';

function option(args: string[], name: string, fallback: number): number {
  const raw = args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const OBJECTS = ['Contact', 'Lead', 'Account', 'Opportunity'];
const isFieldWrite = (e: RequestEvent) =>
  (e.method === 'PATCH' && /\/composite\/sobjects\/?$/.test(e.path)) || /\/jobs\/ingest/.test(e.path);
const isApiCall = (e: RequestEvent) => e.path.startsWith('/services/');

/** Empties crm-agent's fields in the org (stamped as changed, so an incremental sync reads them again). */
function clearCrmAgentFields(org: SalesforceSandbox): void {
  const now = org.state.now();
  for (const object of OBJECTS) {
    for (const record of org.state.table(object).values()) {
      const changes: SfRecord = {};
      for (const [key, value] of Object.entries(record))
        if (key.startsWith('CrmAgent_') && value !== null) changes[key] = null;
      if (Object.keys(changes).length > 0)
        org.state.patch(object, record.Id as string, { ...changes, SystemModstamp: now }, null);
    }
  }
}

/**
 * `npm run bench -- writeback [--contacts=N]`: crm-agent's Salesforce write-back against the sandbox org. A whole
 * cycle (sync, engine, plan) on a world of N contacts and leads with their accounts and opportunities, then the
 * send, timed: the field updates go in sObject Collections of 200 (records of several objects mixed in a call),
 * and again, with the org emptied of crm-agent's values, through Bulk API 2.0 jobs above a threshold of 2,000.
 * Prints write calls ÷ the minimum (changed records ÷ 200; goal ≤ 1.02), the send's time, and API calls per record.
 */
export const writebackBenchmark: Benchmark = {
  name: 'writeback',
  description: 'Salesforce write-back: write calls per changed record, against the sandbox org',
  async run(args) {
    const contacts = option(args, 'contacts', 8000);
    const org = createSalesforceSandbox({
      seed: 3,
      accounts: Math.round(contacts / 8),
      contacts,
      opportunities: Math.round(contacts / 4),
      asOf: '2026-11-01T00:00:00.000Z',
    });
    const url = await org.listen();
    const requests: RequestEvent[] = [];
    org.events.on('request', (e: RequestEvent) => requests.push(e));
    const dir = mkdtempSync(join(tmpdir(), 'crm-agent-bench-wb-'));
    const config = loadConfig({ env: { DATA_DIR: dir, LOG_LEVEL: 'silent' }, cwd: dir, readDotEnv: false });
    const runtime = await createRuntime(config, { logger: silentLogger() });
    try {
      await runtime.store.migrate();
      let tenant = await connectWithToken(runtime, {
        crm: 'salesforce',
        token: 'sandbox-salesforce-token',
        apiBaseUrl: url,
      });
      const t0 = performance.now();
      const runId = await runtime.store.runs.start(tenant.id, 'cycle', 'bench');
      await runSync(runtime, {
        tenantId: tenant.id,
        connector: runtime.connectorFor(tenant),
        mode: 'full',
        trigger: 'bench',
        runId,
      });
      await runAnalysis(runtime, tenant, runId);
      console.log(
        `sync and engine on ${contacts} contacts and leads: ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );

      const send = async (label: string) => {
        tenant = (await runtime.store.tenants.get(tenant.id))!;
        const mark = requests.length;
        const start = performance.now();
        const result = await writeBack(runtime, tenant, runId, runtime.connectorFor(tenant));
        report(label, result, requests.slice(mark), (performance.now() - start) / 1000);
      };
      await send('collections of 200');

      clearCrmAgentFields(org);
      await runtime.store.db.deleteFrom('writebackLedger').where('tenantId', '=', tenant.id).execute();
      await runtime.store.db.deleteFrom('outbox').where('tenantId', '=', tenant.id).execute();
      await runtime.store.tenants.updateSettings(tenant.id, { salesforce: { bulkWriteThreshold: 2000 } });
      tenant = (await runtime.store.tenants.get(tenant.id))!;
      await runSync(runtime, {
        tenantId: tenant.id,
        connector: runtime.connectorFor(tenant),
        mode: 'incremental',
        trigger: 'bench',
      });
      await send('Bulk API 2.0 above 2,000');
    } finally {
      await closeAll(runtime, org);
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

function report(label: string, result: WriteBackResult, requests: RequestEvent[], seconds: number): void {
  const plan = result.plan!;
  const changed = plan.fields.length;
  const fieldCalls = requests.filter(isFieldWrite).length;
  const minimum = Math.ceil(changed / 200);
  const calls = requests.filter(isApiCall).length;
  const sent = result.send!;
  console.log(
    `${label.padEnd(26)} ${String(changed).padStart(6)} changed records: ${String(fieldCalls).padStart(3)} field write calls ` +
      `÷ minimum ${minimum} = ${(fieldCalls / minimum).toFixed(3)} (goal ≤ 1.02); ` +
      `tasks ${plan.tasks.length} in ${plan.calls.tasks} call(s), events ${plan.triggers.length} in ${plan.calls.triggers}; ` +
      `write-back ${seconds.toFixed(1)} s (${Math.round(changed / seconds)} records/s); ` +
      `${calls} API calls in all (provisioning included) = ${(calls / changed).toFixed(4)} per changed record; ` +
      `sent ${sent.sent}, failed ${sent.failed + sent.dead}`,
  );
}

async function closeAll(runtime: Runtime, org: SalesforceSandbox): Promise<void> {
  await runtime.close();
  await org.close();
}
