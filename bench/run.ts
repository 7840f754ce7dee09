/**
 * `npm run bench` runs every benchmark; `npm run bench -- NAME [NAME…]` runs the named ones.
 * Each prints its figures; none is a test (speed and memory are measured here, never asserted in jest).
 */
import { engineBenchmark } from './engine.js';
import { forecastRuleBenchmark } from './forecast-rule.js';
import { modelsBenchmark } from './models.js';
import { storeBenchmark } from './store.js';
import { syncHubSpotBenchmark } from './sync-hubspot.js';
import { syncSalesforceBenchmark } from './sync-salesforce.js';
import { webhooksBenchmark } from './webhooks.js';
import { writebackHubSpotBenchmark } from './writeback-hubspot.js';

export interface Benchmark {
  name: string;
  description: string;
  run(args: string[]): Promise<void>;
}

const BENCHMARKS: Benchmark[] = [
  storeBenchmark,
  modelsBenchmark,
  forecastRuleBenchmark,
  engineBenchmark,
  webhooksBenchmark,
  syncHubSpotBenchmark,
  syncSalesforceBenchmark,
  writebackHubSpotBenchmark,
];

// Names are the arguments that are neither an option (--x) nor an option's value.
const requested = process.argv.slice(2).filter((a, i, all) => !a.startsWith('-') && !all[i - 1]?.startsWith('--'));
const unknown = requested.filter((name) => !BENCHMARKS.some((b) => b.name === name));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; available: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  process.exit(1);
}
const selected = requested.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => requested.includes(b.name));
for (const benchmark of selected) {
  console.log(`\n## ${benchmark.name}: ${benchmark.description}`);
  await benchmark.run(process.argv.slice(2));
}
