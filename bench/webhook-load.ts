import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { recordCards } from '../src/card/record-card.js';
import { createApp } from '../src/http/create-app.js';
import { systemClock } from '../src/lib/clock.js';
import { silentLogger } from '../src/lib/logger.js';
import { openStore, type Store } from '../src/store/open-store.js';
import { createWebhookRouter } from '../webhooks/create-webhook-router.js';
import type { Benchmark } from './run.js';

const SECRET = 'bench-secret';
const REQUESTS = 2_000;
const CONCURRENCY = 50;
const CONTACTS = 20_000;
const CALLBACKS = 2_000;
/** Requests that open the connections and warm the server's code first; reported apart (see the client). */
const WARMUP = 200;

/**
 * Fills a SQLite store with `runs` runs for CONTACTS contacts: the latest run's results (scores with reasons,
 * actions, recommendations, segment members) and the change history of the runs before, the webhook events of
 * past days and pending workflow callbacks.
 * Generated in SQL (recursive CTEs): seconds, not minutes.
 */
async function fill(store: Store, tenantId: string, runs: number): Promise<void> {
  const pad = `'${'x'.repeat(180)}'`;
  const db = store.db;
  await sql`with recursive n(i) as (select 0 union all select i + 1 from n where i < ${CONTACTS - 1})
    insert into contacts (tenant_id, id, created_at, updated_at, archived, archived_at, merged_into, properties, synced_at,
      crm_object, email, first_name, last_name, company_id, owner_id, lifecycle_stage, lead_status, job_title, country,
      last_activity_at, email_opens, page_views)
    select ${tenantId}, cast(100000 + i as text), '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 0, null, null,
      ${sql.raw(`'{"note":' || json_quote(${pad}) || '}'`)}, '2026-01-01T00:00:00.000Z', 'contact',
      'c' || i || '@example.com', 'First' || i, 'Last' || i, null, '7', 'lead', null, null, 'GB', null, 3, null from n`.execute(
    db,
  );
  for (let r = 0; r < runs; r++) {
    const runId = `bench-run-${String(r).padStart(4, '0')}`;
    const at = new Date(Date.UTC(2026, 0, 1) + r * 3_600_000).toISOString();
    await store.transaction(async (_tx, tx) => {
      await tx
        .insertInto('runs')
        .values({
          id: runId,
          tenantId,
          kind: 'cycle',
          trigger: 'bench',
          status: 'succeeded',
          startedAt: at,
          finishedAt: at,
          error: null,
          summary: '{}',
        })
        .execute();
      await tx.insertInto('runArtifacts').values({ tenantId, runId, name: 'health', payload: '{}' }).execute();
      if (r < runs - 1) {
        // Results are one current row per record: what earlier runs leave behind is their change history.
        await sql`with recursive n(i) as (select 0 union all select i + 1 from n where i < ${CONTACTS - 1})
          insert into result_history (tenant_id, run_id, at, object_type, record_id, kind, previous, value)
          select ${tenantId}, ${runId}, ${at}, 'contact', cast(100000 + i as text), 'score:churn', null,
            ${sql.raw(`'0.' || (i % 100) || ${pad}`)} from n`.execute(tx);
        return;
      }
      await sql`with recursive n(i) as (select 0 union all select i + 1 from n where i < ${CONTACTS - 1})
        insert into scores select ${tenantId}, ${runId}, 'contact', cast(100000 + i as text), 'churn', (i % 100) / 100.0,
          ${sql.raw(`json_object('reasons', json_array(json_object('text', 'Opened ' || i || ' emails ' || ${pad})), 'previousProbability', null)`)}, 'm1' from n`.execute(
        tx,
      );
      await sql`with recursive n(i) as (select 0 union all select i + 1 from n where i < ${CONTACTS - 1})
        insert into segment_members select ${tenantId}, ${runId}, 'contact', cast(100000 + i as text), 'seg-' || (i % 5) from n`.execute(
        tx,
      );
      await sql`with recursive n(i) as (select 0 union all select i + 1 from n where i < ${CONTACTS / 4 - 1})
        insert into actions select ${tenantId}, ${runId}, 'contact', cast(100000 + i * 4 as text), 'ak-' || i, 'call', 'high',
          null, ${sql.raw(`'Reason ' || ${pad}`)}, 'proposed', null, 'seg-1', 1.0, ${at} from n`.execute(tx);
      await sql`with recursive n(i) as (select 0 union all select i + 1 from n where i < ${CONTACTS / 4 - 1})
        insert into recommendations select ${tenantId}, ${runId}, 'contact', cast(100001 + i * 4 as text),
          ${sql.raw(`json_array(json_object('productName', 'P', 'because', ${pad}))`)} from n`.execute(tx);
    });
  }
  await sql`with recursive n(i) as (select 0 union all select i + 1 from n where i < 199999)
    insert into webhook_inbox (provider, tenant_id, event_key, payload, received_at, status, processed_at, error)
    select 'hubspot', ${tenantId}, 'old:' || i, ${sql.raw(`json_object('objectId', cast(100000 + i % 20000 as text), 'pad', ${pad})`)},
      '2026-01-01T00:00:00.000Z', 'done', '2026-01-01T00:00:00.000Z', null from n`.execute(db);
  await sql`with recursive n(i) as (select 0 union all select i + 1 from n where i < ${CALLBACKS - 1})
    insert into workflow_callbacks select ${tenantId}, 'cb-' || i, 'contact', cast(100000 + i * 10 as text),
      '2026-01-01T00:00:00.000Z', '2999-01-01T00:00:00.000Z', null from n`.execute(db);
  await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
}

/**
 * What serve's inbox job does to the store per batch of webhook events, minus the CRM call and the engine (those
 * leave the event loop): read each changed record's card from the latest results, find the workflow callbacks
 * the run can complete (and read their cards), mark the events done. On the same event loop as the HTTP app.
 */
async function processBatches(store: Store, tenantId: string): Promise<number> {
  let cards = 0;
  for (;;) {
    const events = await store.inbox.pendingFor(tenantId, 500);
    if (events.length === 0) return cards;
    const records = new Set(events.map((e) => (JSON.parse(e.payload) as { objectId: string }).objectId));
    cards += (await recordCards(store, tenantId, 'contact', [...records])).length;
    const runId = await store.results.latestRunId(tenantId);
    const ready = runId ? await store.callbacks.ready(tenantId, runId) : [];
    cards += (
      await recordCards(
        store,
        tenantId,
        'contact',
        ready.map((c) => c.recordId),
      )
    ).length;
    await store.callbacks.complete(
      tenantId,
      ready.map((c) => c.callbackId),
    );
    await store.inbox.markDone(events.map((e) => e.id));
  }
}

export const webhookLoadBenchmark: Benchmark = {
  name: 'webhook-load',
  description: `${REQUESTS} signed HubSpot webhooks, ${CONCURRENCY} at a time after ${WARMUP} to warm up, against a SQLite store of a few hundred MB while the inbox is processed`,
  async run(args) {
    const runsAt = args.indexOf('--runs');
    const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 40;
    const dir = mkdtempSync(join(tmpdir(), 'crm-agent-bench-'));
    const path = join(dir, 'load.db');
    const store = await openStore({ kind: 'sqlite', path });
    try {
      await store.migrate();
      const tenant = await store.tenants.upsert({ crm: 'hubspot', externalId: '4242', name: 'bench', apiBaseUrl: 'x' });
      const filling = performance.now();
      await fill(store, tenant.id, runs);
      if (args.includes('--fill-only')) return;
      const mb = statSync(path).size / 1e6;
      console.log(
        `store: ${mb.toFixed(0)} MB (${runs} runs × ${CONTACTS} contacts), filled in ${((performance.now() - filling) / 1000).toFixed(0)} s`,
      );

      let processing: Promise<number> = Promise.resolve(0);
      let again = false;
      let cards = 0;
      const kick = () => {
        // One processor at a time, like the inbox job's singleton per tenant; a new event during a pass asks for another.
        again = true;
        processing = processing.then(async (n) => {
          if (!again) return n;
          again = false;
          const done = await processBatches(store, tenant.id);
          cards += done;
          return n + done;
        });
      };
      const router = createWebhookRouter({
        store,
        logger: silentLogger(),
        clock: systemClock,
        publicUrl: 'http://127.0.0.1',
        paths: { hubspot: '/webhooks/hubspot', salesforce: '/webhooks/salesforce' },
        hubspotSecrets: [SECRET],
        fetch,
        onStored: () => kick(),
      });
      const server = createApp({ store, logger: silentLogger(), version: 'bench', routers: [router] }).listen(
        0,
        '127.0.0.1',
      );
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      // The server's CPU time per request (its HTTP handling plus the inbox processor): unlike latency, it hardly moves
      // with other load on the machine.
      const cpuBefore = process.cpuUsage();
      const client = await promisify(execFile)(
        process.execPath,
        [
          '--import',
          'tsx',
          join(import.meta.dirname, 'webhook-load-client.ts'),
          String(port),
          SECRET,
          String(REQUESTS),
          String(CONCURRENCY),
          String(CONTACTS),
          String(WARMUP),
        ],
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      );
      await processing;
      const cpu = process.cpuUsage(cpuBefore);
      server.close();
      const result = JSON.parse(client.stdout) as {
        seconds: number;
        latencies: number[];
        health: number[];
        warmLatencies: number[];
        warmHealth: number[];
        resets: number;
        refused: number;
      };
      const quantile = (values: number[], q: number) => {
        const sorted = [...values].sort((a, b) => a - b);
        return (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN).toFixed(1);
      };
      const p = (q: number) => quantile(result.latencies, q);
      console.log(
        `warm-up: ${WARMUP} requests, ack p50 ${quantile(result.warmLatencies, 0.5)} ms, max ${quantile(result.warmLatencies, 1)} ms; ` +
          `/healthz max ${quantile(result.warmHealth, 1)} ms over ${result.warmHealth.length} checks`,
      );
      console.log(
        `${REQUESTS} requests × 5 events, ${CONCURRENCY} at a time, in ${result.seconds.toFixed(1)} s with the warm-up: ack p50 ${p(0.5)} ms, p99 ${p(0.99)} ms; ` +
          `${result.resets} connection resets, ${result.refused} non-2xx; /healthz max ${Math.max(...result.health).toFixed(1)} ms over ${result.health.length} checks; ` +
          `${cards} record cards read by the inbox processor; server CPU ${((cpu.user + cpu.system) / 1000 / (REQUESTS + WARMUP)).toFixed(2)} ms per request ` +
          '(goal: p99 < 250 ms, no reset, healthz < 200 ms)',
      );
    } finally {
      await store.close();
      if (args.includes('--keep')) console.log(`store kept at ${path}`);
      else rmSync(dir, { recursive: true, force: true });
    }
  },
};
