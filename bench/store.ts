import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Contact } from '../src/domain/records.js';
import { openStore, type Store } from '../src/store/open-store.js';
import type { Benchmark } from './run.js';

const ROWS = 50_000;
const PAGE = 100; // one HubSpot page per transaction, as the sync runner writes them

function contact(i: number): Contact {
  return {
    id: String(100000 + i),
    crmObject: 'contact',
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    archived: false,
    archivedAt: null,
    mergedInto: null,
    properties: { hs_lead_source: 'web', num_notes: String(i % 7) },
    email: `c${i}@example.com`,
    firstName: 'First',
    lastName: `Last${i}`,
    companyId: String(i % 500),
    ownerId: String(i % 20),
    lifecycleStage: 'customer',
    leadStatus: null,
    jobTitle: null,
    country: 'DE',
    lastActivityAt: null,
    emailOpens: i % 40,
    pageViews: i % 90,
  };
}

async function measure(label: string, store: Store): Promise<void> {
  await store.migrate();
  const rows = Array.from({ length: ROWS }, (_, i) => contact(i));
  let t = performance.now();
  for (let i = 0; i < ROWS; i += PAGE) {
    await store.transaction(async (tx) => {
      await tx.records.upsert('bench', 'contact', rows.slice(i, i + PAGE));
      await tx.cursors.put('bench', 'contacts', { watermark: null, state: { after: i } });
    });
  }
  const insertS = (performance.now() - t) / 1000;
  t = performance.now();
  const listed = await store.records.list('bench', 'contact');
  const readS = (performance.now() - t) / 1000;
  console.log(
    `${label.padEnd(10)} upsert ${ROWS} contacts in pages of ${PAGE}: ${insertS.toFixed(2)} s (${Math.round(ROWS / insertS)} rows/s); ` +
      `read back ${listed.length}: ${readS.toFixed(2)} s (${Math.round(listed.length / readS)} rows/s)`,
  );
}

export const storeBenchmark: Benchmark = {
  name: 'store',
  description: 'local-copy write and read throughput, SQLite vs PostgreSQL',
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
    const name = `crm_agent_bench_${process.pid}`;
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
