import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import BetterSqlite3 from 'better-sqlite3';
import { runDemo } from '../src/demo/run-demo.js';
import type { Benchmark } from './run.js';

/** Collects what the demo prints, line by line. */
class Lines extends Writable {
  readonly lines: string[] = [];
  private partial = '';
  isTTY = false;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
    callback();
  }
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

const bytesIn = (dir: string) => readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);

/**
 * The demo (`npm start`) left running with reps editing a record in each CRM every second, in this process:
 * the event loop's lag (p99, perf_hooks' monitorEventLoopDelay), `/healthz` latency (p99, probed 4 times a second),
 * store growth per hour after the first minutes (the data directory's files), minutes whose schedule slot did not
 * fire (the every-minute inbox sweep, claimed in the store once per minute), and errors logged.
 * `npm run bench -- soak [--minutes 5] [--warmup-minutes 1] [--contacts 1000]`; `--minutes 60` for the real figure.
 */
export const soakBenchmark: Benchmark = {
  name: 'soak',
  description: 'the demo with reps editing every second: event-loop lag, /healthz latency, store growth, missed slots',
  async run(args) {
    const arg = (name: string, fallback: number) => {
      const i = args.indexOf(`--${name}`);
      return i >= 0 ? Number(args[i + 1]) : fallback;
    };
    const minutes = arg('minutes', 5);
    const warmupMinutes = Math.min(arg('warmup-minutes', 1), minutes / 2);
    const contacts = arg('contacts', 1000);
    const port = arg('port', 3700);
    const dir = mkdtempSync(join(tmpdir(), 'crm-agent-soak-'));
    const stdout = new Lines();
    const stderr = new Lines();
    const stop = new AbortController();
    const demo = runDemo(
      { env: { DATA_DIR: dir, LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, cwd: dir, stdout, stderr, signal: stop.signal },
      { port, hubspotPort: port + 1, salesforcePort: port + 2, contacts, activitySeconds: 1 },
    );
    const failed = demo.then(
      () => new Error('the demo ended early'),
      (error: unknown) => error,
    );
    try {
      const t0 = performance.now();
      while (!stdout.lines.some((l) => l.includes('Ctrl-C stops.'))) {
        const early = await Promise.race([failed, new Promise((resolve) => setTimeout(resolve, 250, undefined))]);
        if (early) throw early;
      }
      console.log(`demo ready in ${((performance.now() - t0) / 1000).toFixed(0)} s (${contacts} contacts per CRM)`);
      const lag = monitorEventLoopDelay({ resolution: 10 });
      lag.enable();
      const health: number[] = [];
      let unhealthy = 0;
      const started = Date.now();
      const end = started + minutes * 60_000;
      const warm = started + warmupMinutes * 60_000;
      let warmBytes: number | undefined;
      let warmAt = 0;
      while (Date.now() < end) {
        const t = performance.now();
        const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        health.push(performance.now() - t);
        if (res?.status !== 200) unhealthy++;
        await res?.arrayBuffer();
        if (warmBytes === undefined && Date.now() >= warm) {
          warmBytes = bytesIn(dir);
          warmAt = Date.now();
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      lag.disable();
      const endBytes = bytesIn(dir);
      const hours = (Date.now() - warmAt) / 3_600_000;
      const db = new BetterSqlite3(join(dir, 'crm-agent.db'), { readonly: true });
      const fired = db
        .prepare(
          "select slot from schedule_slots where tenant_id = '*' and kind = 'inbox-sweep' and slot >= ? and slot < ?",
        )
        .all(new Date(started + 60_000).toISOString(), new Date(end - 60_000).toISOString()) as unknown[];
      const runs = db.prepare('select kind, status, count(*) as n from runs group by kind, status').all() as Array<{
        kind: string;
        status: string;
        n: number;
      }>;
      db.close();
      // Whole minutes strictly inside the measured span: each should have had its slot.
      const expected = Math.max(0, Math.floor((end - 60_000) / 60_000) - Math.ceil((started + 60_000) / 60_000) + 1);
      const errors = stderr.lines.filter((l) => l.startsWith('{') && Number(JSON.parse(l).level) >= 50);
      const ms = (ns: number) => (ns / 1e6).toFixed(1);
      console.log(`soak of ${minutes} min with reps editing a record in each CRM every second:`);
      console.log(
        `  event-loop lag: p50 ${ms(lag.percentile(50))} ms, p99 ${ms(lag.percentile(99))} ms, max ${ms(lag.max)} ms`,
      );
      console.log(
        `  /healthz: ${health.length} probes, p50 ${quantile(health, 0.5).toFixed(1)} ms, p99 ${quantile(health, 0.99).toFixed(1)} ms, max ${Math.max(...health).toFixed(1)} ms, ${unhealthy} not 200`,
      );
      console.log(
        `  store: ${(endBytes / 1e6).toFixed(1)} MB; growth after the first ${warmupMinutes} min: ${((endBytes - (warmBytes ?? endBytes)) / 1e6 / hours).toFixed(1)} MB/hour`,
      );
      console.log(
        `  schedule slots (every-minute inbox sweep): ${fired.length} of ${expected} fired, ${Math.max(0, expected - fired.length)} missed`,
      );
      console.log(`  runs: ${runs.map((r) => `${r.kind} ${r.status} ${r.n}`).join(', ')}`);
      console.log(
        `  errors logged: ${errors.length}${errors.length > 0 ? ` (first: ${String(JSON.parse(errors[0]!).msg)})` : ''}`,
      );
    } finally {
      stop.abort();
      await demo.catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
