import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Scheduler } from '../src/jobs/scheduler.js';
import { systemClock } from '../src/lib/clock.js';
import { silentLogger } from '../src/lib/logger.js';
import type { Job, JobQueue } from '../src/ports/job-queue.js';
import { openStore, type Store } from '../src/store/open-store.js';
import type { Benchmark } from './run.js';

const TENANTS = 1000;

/** A queue that only notes when each slot's run was queued (the scheduler's work ends there). */
class RecordingQueue implements JobQueue {
  readonly lateness: number[] = [];
  async send(_name: string, _tenantId: string, data: Record<string, unknown>): Promise<string | null> {
    this.lateness.push(Date.now() - Date.parse(String(data.slot)));
    return null;
  }
  work(_name: string, _handler: (job: Job) => Promise<void>): void {}
  async cancel(): Promise<void> {}
  async idle(): Promise<void> {}
  async stop(): Promise<void> {}
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** 1,000 tenants each scheduled every minute on one instance: how late is each slot's run queued? */
async function measure(label: string, store: Store): Promise<void> {
  await store.migrate();
  for (let i = 0; i < TENANTS; i++) {
    await store.tenants.upsert({
      crm: 'hubspot',
      externalId: `bench-${i}`,
      name: `Portal ${i}`,
      apiBaseUrl: 'http://127.0.0.1:1',
      settings: { schedule: { incremental: '* * * * *' } },
    });
  }
  const queue = new RecordingQueue();
  const scheduler = new Scheduler({ store, queue, clock: systemClock, logger: silentLogger(), instanceId: 'bench' });
  await scheduler.start();
  queue.lateness.length = 0; // missed slots fired at start-up are not lateness
  const nextMinute = Math.ceil(Date.now() / 60_000) * 60_000;
  // Wait for the next minute's slots, plus time for every one of them to be queued.
  const deadline = nextMinute + 50_000;
  while (queue.lateness.length < TENANTS && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  scheduler.stop();
  const sorted = [...queue.lateness].sort((a, b) => a - b);
  console.log(
    `${label.padEnd(10)} ${TENANTS} tenants every minute: ${sorted.length} slots queued; lateness after the slot ` +
      `p50 ${quantile(sorted, 0.5)} ms, p95 ${quantile(sorted, 0.95)} ms, max ${sorted.at(-1)} ms`,
  );
}

export const schedulerBenchmark: Benchmark = {
  name: 'scheduler',
  description: `${TENANTS} tenants scheduled on one instance (node-cron + slot claims in the store): slot lateness`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'crm-agent-bench-'));
    const sqlite = await openStore({ kind: 'sqlite', path: join(dir, 'bench.db') });
    try {
      await measure('SQLite', sqlite);
    } finally {
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    try {
      await admin.connect();
    } catch {
      console.log('PostgreSQL    not reachable on 127.0.0.1:5432: skipped');
      return;
    }
    const name = `crm_agent_bench_${process.pid}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const store = await openStore({ kind: 'postgres', url: `postgres://postgres@127.0.0.1:5432/${name}` });
    try {
      await measure('PostgreSQL', store);
    } finally {
      await store.close();
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    }
  },
};
