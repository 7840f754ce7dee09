import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { createApp } from '../src/http/create-app.js';
import { systemClock } from '../src/lib/clock.js';
import { silentLogger } from '../src/lib/logger.js';
import { openStore, type Store } from '../src/store/open-store.js';
import { createWebhookRouter } from '../webhooks/create-webhook-router.js';
import type { Benchmark } from './run.js';

const SECRET = 'bench-secret';
const REQUESTS = 2_000;
const EVENTS_PER_REQUEST = 10;
/** HubSpot's default maxConcurrentRequests. */
const CONCURRENCY = 10;

async function measure(label: string, store: Store): Promise<void> {
  await store.migrate();
  await store.tenants.upsert({ crm: 'hubspot', externalId: '4242', name: 'bench', apiBaseUrl: 'x' });
  const router = createWebhookRouter({
    store,
    logger: silentLogger(),
    clock: systemClock,
    publicUrl: 'http://127.0.0.1',
    paths: { hubspot: '/webhooks/hubspot', salesforce: '/webhooks/salesforce' },
    hubspotSecrets: [SECRET],
    fetch: globalThis.fetch,
  });
  const server = createApp({ store, logger: silentLogger(), version: 'bench', routers: [router] }).listen(
    0,
    '127.0.0.1',
  );
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  // The load comes from another process, as HubSpot's would: the server's event loop serves only the server.
  const client = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, 'webhooks-client.ts'),
      String(port),
      SECRET,
      String(REQUESTS),
      String(EVENTS_PER_REQUEST),
      String(CONCURRENCY),
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const { seconds, latencies } = JSON.parse(client.stdout) as { seconds: number; latencies: number[] };
  server.close();
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
  const stored = (await store.inbox.pending(1_000_000)).length;
  console.log(
    `${label.padEnd(10)} ${REQUESTS} requests × ${EVENTS_PER_REQUEST} events, ${CONCURRENCY} at a time: ${Math.round((REQUESTS * EVENTS_PER_REQUEST) / seconds)} events/s, ` +
      `ack p50 ${p(0.5)} ms, p99 ${p(0.99)} ms; ${stored} unique events stored (goal: ≥ 2,000 events/s, p99 < 50 ms)`,
  );
}

export const webhooksBenchmark: Benchmark = {
  name: 'webhooks',
  description: 'HubSpot webhook intake on loopback: verify, dedupe, store, ack (SQLite and PostgreSQL)',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'crm-agent-bench-'));
    const sqlite = await openStore({ kind: 'sqlite', path: join(dir, 'bench.db') });
    try {
      await measure('SQLite', sqlite);
    } finally {
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const adminUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const name = `crm_agent_bench_wh_${process.pid}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const postgres = await openStore({ kind: 'postgres', url: url.toString() });
    try {
      await measure('PostgreSQL', postgres);
    } finally {
      await postgres.close();
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    }
  },
};
