import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHubSpotSandbox } from '../sandbox/hubspot/create-hubspot-sandbox.js';
import { REAL_LIMITS } from '../sandbox/hubspot/limits.js';
import { loadConfig } from '../src/config/load-config.js';
import { connectWithToken } from '../src/install/connect-with-token.js';
import { type Clock, ScaledClock, systemClock } from '../src/lib/clock.js';
import { createRuntime } from '../src/main.js';
import { runSync, type SyncSummary } from '../src/sync/run-sync.js';
import type { Benchmark } from './run.js';

function option(args: string[], name: string, fallback: number): number {
  const raw = args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

/**
 * The least time HubSpot's limits allow for these requests: with at most L per rolling W, the n-th request can
 * go at floor((n − 1) / L) · W at the earliest; the burst and search budgets run side by side.
 */
function allowedSeconds(burst: number, search: number): number {
  const { burst: b, search: s } = REAL_LIMITS;
  const span = (n: number, limit: number, windowMs: number) => (n <= 0 ? 0 : Math.floor((n - 1) / limit) * windowMs);
  return Math.max(span(burst, b.limit, b.windowMs), span(search, s.limit, s.windowMs)) / 1000;
}

function report(label: string, summary: SyncSummary, seconds: number, accepted: { burst: number; search: number }) {
  const records = ['contact', 'company', 'deal', 'line_item', 'product', 'owner'].reduce(
    (n, k) => n + (summary.counts[k as keyof typeof summary.counts] ?? 0),
    0,
  );
  const allowed = allowedSeconds(accepted.burst, accepted.search);
  console.log(
    `${label.padEnd(12)} ${summary.status}: ${records} records in ${seconds.toFixed(1)} s = ${Math.round(records / seconds)} records/s; ` +
      `requests ${summary.requests} (burst ${accepted.burst}, search ${accepted.search}), 429s ${summary.throttled}; ` +
      `the limits allow these requests in ${allowed.toFixed(1)} s → ratio ${allowed > 0 ? (seconds / allowed).toFixed(3) : 'n/a'}`,
  );
}

export const syncHubSpotBenchmark: Benchmark = {
  name: 'sync-hubspot',
  description:
    'full and incremental HubSpot sync against the sandbox with real limits (110/10 s, search 5/s): records/s, requests, 429s, ' +
    'elapsed ÷ the time the limits allow for those requests (goal ≤ 1.15). Options: --contacts=50000 --scale=1 (clock speed-up)',
  async run(args) {
    const contacts = option(args, 'contacts', 50_000);
    const scale = option(args, 'scale', 1);
    const clock: Clock = scale === 1 ? systemClock : new ScaledClock(scale);
    const sb = createHubSpotSandbox({
      seed: 1,
      contacts,
      companies: Math.round(contacts / 10),
      deals: Math.round(contacts / 5),
      asOf: '2026-11-01',
      clock,
      limits: 'real',
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
        `portal: ${contacts} contacts, ${Math.round(contacts / 10)} companies, ${Math.round(contacts / 5)} deals ` +
          `(${sb.state.objects.line_items.ids.length} line items); clock ×${scale}; store SQLite`,
      );
      const pass = async (label: string, mode: 'full' | 'incremental') => {
        sb.context.limits.resetStats();
        const started = clock.now();
        const summary = await runSync(runtime, {
          tenantId: tenant.id,
          connector: runtime.connectorFor(tenant),
          mode,
          trigger: 'bench',
        });
        const seconds = (clock.now() - started) / 1000;
        const { limits } = sb.control.stats();
        report(label, summary, seconds, { burst: limits.burst.accepted, search: limits.search.accepted });
      };
      await pass('full', 'full');
      // A day's worth of change: 5% of contacts and deals edited in the CRM, then an incremental sync.
      const ids = { contacts: sb.state.objects.contacts.ids, deals: sb.state.objects.deals.ids };
      for (let i = 0; i < ids.contacts.length; i += 20)
        sb.control.edit('contacts', ids.contacts[i]!, { jobtitle: 'Changed' });
      for (let i = 0; i < ids.deals.length; i += 20) sb.control.edit('deals', ids.deals[i]!, { amount: '4321' });
      await pass('incremental', 'incremental');
    } finally {
      await runtime.close();
      await sb.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
