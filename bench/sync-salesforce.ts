import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSalesforceSandbox } from '../sandbox/salesforce/create-salesforce-sandbox.js';
import { loadConfig } from '../src/config/load-config.js';
import { connectWithToken } from '../src/install/connect-with-token.js';
import { silentLogger } from '../src/lib/logger.js';
import { createRuntime } from '../src/main.js';
import { runSync, type SyncSummary } from '../src/sync/run-sync.js';
import type { Benchmark } from './run.js';

const CONTACTS = 50_000;
const OPPORTUNITIES = 10_000;
const ACCOUNTS = 5_000;
/** Enterprise Edition with 10 licences: 100,000 + 1,000 × 10 requests a day. */
const DAILY_LIMIT = 110_000;
const SHARE = 0.1;

function records(summary: SyncSummary): number {
  const { associations: _a, swept: _s, rejected: _r, ...rest } = summary.counts;
  return Object.values(rest).reduce((a, b) => a + (b ?? 0), 0);
}

function line(label: string, summary: SyncSummary, orgCalls: number): string {
  const n = records(summary);
  const pct = (x: number) => `${(x * 100).toFixed(3)} %`;
  return (
    `${label.padEnd(34)} ${String(n).padStart(7)} records in ${summary.seconds.toFixed(1).padStart(5)} s ` +
    `(${String(Math.round(n / summary.seconds)).padStart(6)} records/s); ${String(orgCalls).padStart(4)} API requests = ` +
    `${pct(orgCalls / DAILY_LIMIT)} of the org's daily allocation, ${pct(orgCalls / (DAILY_LIMIT * SHARE))} of crm-agent's ${SHARE * 100} % share; ` +
    `${(orgCalls / (n / 1000)).toFixed(2)} requests per 1,000 records`
  );
}

/**
 * `npm run bench -- sync-salesforce`: crm-agent's Salesforce sync against the sandbox org (50,000 contacts and leads,
 * 10,000 opportunities), through REST pages only and with Bulk API 2.0 above 10,000 rows, then an incremental sync
 * after a day of edits: records per second, API requests, and what share of the org's daily allocation they take.
 */
export const syncSalesforceBenchmark: Benchmark = {
  name: 'sync-salesforce',
  description: 'Salesforce sync throughput and API use against the sandbox org (50,000 contacts, 10,000 opportunities)',
  async run() {
    const t0 = performance.now();
    const org = createSalesforceSandbox({
      seed: 1,
      accounts: ACCOUNTS,
      contacts: CONTACTS,
      opportunities: OPPORTUNITIES,
      dailyLimit: DAILY_LIMIT,
      asOf: '2026-11-01T00:00:00.000Z',
    });
    const url = await org.listen();
    console.log(`sandbox org seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${url}`);
    const dirs: string[] = [];
    try {
      for (const [label, settings] of [
        ['full sync, REST pages only', { bulkThreshold: 10_000_000 }],
        ['full sync, Bulk 2.0 above 10,000', {}],
      ] as const) {
        const dir = mkdtempSync(join(tmpdir(), 'crm-agent-bench-sf-'));
        dirs.push(dir);
        const config = loadConfig({ env: { DATA_DIR: dir, LOG_LEVEL: 'silent' }, cwd: dir, readDotEnv: false });
        const runtime = await createRuntime(config, { logger: silentLogger() });
        try {
          await runtime.store.migrate();
          const tenant = await connectWithToken(runtime, {
            crm: 'salesforce',
            token: 'sandbox-salesforce-token',
            apiBaseUrl: url,
          });
          await runtime.store.tenants.updateSettings(tenant.id, { salesforce: { apiShare: SHARE, ...settings } });
          const sync = async (mode: 'full' | 'incremental') => {
            const before = org.stats.apiCalls;
            const fresh = (await runtime.store.tenants.get(tenant.id))!;
            const summary = await runSync(runtime, {
              tenantId: tenant.id,
              connector: runtime.connectorFor(fresh),
              mode,
              trigger: 'bench',
            });
            return { summary, calls: org.stats.apiCalls - before };
          };
          const full = await sync('full');
          console.log(line(label, full.summary, full.calls));
          if (label.startsWith('full sync, Bulk')) {
            org.control.edit({ object: 'Contact', count: 1000, seed: 5 });
            org.control.massUpdate({ object: 'Contact', count: 5000, seed: 6 });
            org.control.edit({ object: 'Opportunity', count: 500, seed: 7 });
            org.control.remove({ object: 'Opportunity', count: 50, seed: 8 });
            const incremental = await sync('incremental');
            console.log(line('incremental, after 6,550 changes', incremental.summary, incremental.calls));
          }
        } finally {
          await runtime.close();
        }
      }
    } finally {
      await org.close();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  },
};
