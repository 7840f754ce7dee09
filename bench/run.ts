import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, cpus as machineCpus, platform, release, totalmem } from 'node:os';

/**
 * `npm run bench` runs every benchmark; `npm run bench -- NAME [NAME…]` runs the named ones.
 * Each prints its figures; none is a test (speed and memory are measured here, never asserted in jest).
 */
import { engineBenchmark } from './engine.js';
import { forecastRuleBenchmark } from './forecast-rule.js';
import { liftIntervalBenchmark } from './lift-interval.js';
import { modelsBenchmark } from './models.js';
import { policyBenchmark } from './policy.js';
import { quietBenchmark } from './quiet.js';
import { realtimeBenchmark } from './realtime.js';
import { schedulerBenchmark } from './scheduler.js';
import { soakBenchmark } from './soak.js';
import { storeBenchmark } from './store.js';
import { storeGrowthBenchmark } from './store-growth.js';
import { syncHubSpotBenchmark } from './sync-hubspot.js';
import { syncSalesforceBenchmark } from './sync-salesforce.js';
import { webhookLoadBenchmark } from './webhook-load.js';
import { webhooksBenchmark } from './webhooks.js';
import { writebackBenchmark } from './writeback.js';
import { writebackHubSpotBenchmark } from './writeback-hubspot.js';

export interface Benchmark {
  name: string;
  description: string;
  run(args: string[]): Promise<void>;
}

const BENCHMARKS: Benchmark[] = [
  storeBenchmark,
  storeGrowthBenchmark,
  modelsBenchmark,
  forecastRuleBenchmark,
  liftIntervalBenchmark,
  policyBenchmark,
  engineBenchmark,
  webhooksBenchmark,
  webhookLoadBenchmark,
  schedulerBenchmark,
  syncHubSpotBenchmark,
  syncSalesforceBenchmark,
  writebackBenchmark,
  writebackHubSpotBenchmark,
  quietBenchmark,
  realtimeBenchmark,
  soakBenchmark,
];

// Names are the arguments that are neither an option (--x) nor an option's value.
const args = process.argv.slice(2);
const requested = args.filter((a, i, all) => !a.startsWith('-') && !all[i - 1]?.startsWith('--'));
const unknown = requested.filter((name) => !BENCHMARKS.some((b) => b.name === name));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; available: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  process.exit(1);
}
// `--report FILE`: also write every figure printed, with the machine it ran on, as Markdown (docs/benchmarks.md);
// a run of some benchmarks replaces their sections in an existing report and keeps the others.
const reportAt = args.indexOf('--report');
const reportPath = reportAt >= 0 ? args[reportAt + 1] : undefined;
const selected = requested.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => requested.includes(b.name));
const sections: Array<{ benchmark: Benchmark; lines: string[]; seconds: number; load: number }> = [];
const print = console.log;
for (const benchmark of selected) {
  print(`\n## ${benchmark.name}: ${benchmark.description}`);
  const lines: string[] = [];
  console.log = (...parts: unknown[]) => {
    lines.push(parts.map(String).join(' '));
    print(...parts);
  };
  const started = performance.now();
  // Other work on the machine moves latencies: the report says how busy it was when the benchmark began.
  const load = loadavg()[0]!;
  try {
    await benchmark.run(args);
  } finally {
    console.log = print;
  }
  sections.push({ benchmark, lines, seconds: (performance.now() - started) / 1000, load });
}
if (reportPath) {
  writeFileSync(reportPath, report(sections));
  print(`\nwrote ${reportPath}`);
}

function report(done: typeof sections): string {
  const cpus = machineCpus();
  const at = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const machine =
    `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ` +
    `${platform()} ${release()}, Node ${process.version}`;
  const kept = reportPath && existsSync(reportPath) ? sectionsOf(readFileSync(reportPath, 'utf8')) : new Map();
  for (const { benchmark, lines, seconds, load } of done) {
    const options = args.filter((a, i) => !requested.includes(a) && a !== '--report' && args[i - 1] !== '--report');
    const command = ['npm run bench --', benchmark.name, ...options].join(' ');
    kept.set(
      benchmark.name,
      [
        `## ${benchmark.name}`,
        '',
        `${benchmark.description} (${seconds.toFixed(0)} s; \`${command}\` on ${at} UTC${done.length < BENCHMARKS.length ? `, ${machine}` : ''}; load average ${load.toFixed(1)} at its start)`,
        '',
        '```',
        ...lines,
        '```',
        '',
      ].join('\n'),
    );
  }
  const out = [
    '# Benchmarks',
    '',
    `Figures from \`npm run bench -- --report ${reportPath}\` (every benchmark) or \`npm run bench -- NAME --report ${reportPath}\` ` +
      '(that section only; its date and machine are given when they differ from the full run).',
    `Last run here: ${at} UTC. Machine: ${machine}. Ratios compare with scikit-learn/statsmodels or with ` +
      "the CRMs' published limits on the same data in the same run; see each section.",
    '',
  ];
  // In the order the benchmarks are listed; sections of benchmarks no longer listed are dropped.
  for (const benchmark of BENCHMARKS) {
    const section = kept.get(benchmark.name);
    if (section) out.push(section);
  }
  return out.join('\n');
}

/** The `## name` sections of an existing report, each with its text up to the next one. */
function sectionsOf(text: string): Map<string, string> {
  const found = new Map<string, string>();
  const parts = text.split(/^(?=## )/m).slice(1);
  for (const part of parts) {
    const name = /^## (\S+)/.exec(part)?.[1];
    if (name) found.set(name, part.trimEnd() + '\n');
  }
  return found;
}
