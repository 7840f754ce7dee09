import { generateWorld } from '../sandbox/world/generate-world.js';
import { cleanRecords } from '../src/engine/clean/clean-records.js';
import { contactFeatures } from '../src/engine/features/contact-features.js';
import { dealFeatures } from '../src/engine/features/deal-features.js';
import { stageOrder } from '../src/engine/features/stage-order.js';
import { resolveSettings, runEngine } from '../src/engine/run-engine.js';
import { buildSegments } from '../src/engine/segments/build-segments.js';
import { worldToRecords } from '../test/helpers/world-to-records.js';
import { compareWithScikitLearn } from './engine-vs-sklearn.js';
import { RssSampler } from './rss-sampler.js';
import type { Benchmark } from './run.js';

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

/**
 * The whole engine on a large generated tenant (default 1,000,000 contacts, 200,000 deals, 100,000 companies,
 * ten contacts per company):
 * seconds and peak resident memory per stage. The world is converted to canonical records as it is generated
 * and dropped (`consume`), so only the records — the engine's input — stay in memory.
 * Then the engine's forests and k-means are timed on their own training sets against scikit-learn's (skip with
 * `--no-sklearn`). `npm run bench -- engine --contacts N --deals N --companies N` for other sizes.
 */
export const engineBenchmark: Benchmark = {
  name: 'engine',
  description: 'the whole engine on 1M contacts + 200k deals: time and peak memory per stage',
  async run(args) {
    const arg = (name: string, fallback: number) => {
      const i = args.indexOf(`--${name}`);
      return i >= 0 ? Number(args[i + 1]) : fallback;
    };
    const contacts = arg('contacts', 1_000_000);
    const deals = arg('deals', 200_000);
    const companies = arg('companies', 100_000);
    const sampler = new RssSampler();
    try {
      const asOf = '2026-11-01T00:00:00.000Z';
      const t0 = performance.now();
      const genStart = Date.now();
      const records = worldToRecords(generateWorld({ seed: 11, contacts, companies, deals, asOf }), {
        consume: true,
      });
      const genPeak = sampler.peak(genStart);
      (globalThis as { gc?: () => void }).gc?.();
      console.log(
        `generated ${contacts} contacts, ${companies} companies, ${deals} deals, ${records.lineItems.length} line items, ` +
          `${records.associations.length} associations in ${((performance.now() - t0) / 1000).toFixed(1)} s ` +
          `(peak RSS while generating ${mb(genPeak)}); RSS holding the records: ${mb(process.memoryUsage().rss)}`,
      );
      const start = Date.now();
      const t1 = performance.now();
      const now = Date.parse(asOf);
      const input = { tenantId: 'bench', ...records };
      let result = runEngine(input, {}, { seed: 1, now });
      const total = (performance.now() - t1) / 1000;
      const end = Date.now();
      let at = start;
      console.log('  stage        seconds   peak RSS during the stage');
      for (const s of result.timings) {
        const from = at;
        at += s.seconds * 1000;
        console.log(`  ${s.stage.padEnd(11)} ${s.seconds.toFixed(1).padStart(8)}   ${mb(sampler.peak(from, at + 25))}`);
      }
      const enginePeak = sampler.peak(start, end + 25);
      console.log(
        `engine total ${total.toFixed(1)} s (goal < 300 s on 2 cores); peak RSS during the engine ${mb(enginePeak)}, ` +
          `process peak (max RSS, generation included) ${mb(process.resourceUsage().maxRSS * 1024)} (goal < 4096 MB)`,
      );
      const seg = result.segments;
      console.log(
        `  segments: ${seg.status === 'ok' ? `k=${seg.k} by ${seg.chosenBy}, silhouette ${seg.silhouette.toFixed(3)}` : seg.message}; ` +
          `win model: ${result.scores.win.quality.message}, auc ${result.scores.win.quality.auc?.toFixed(3)}; ` +
          `contact model auc ${result.scores.contacts.quality.auc?.toFixed(3)}; ` +
          `${result.scores.win.scores.length} deal and ${result.scores.contacts.scores.length} contact scores; ` +
          `${result.crossSell.rules.length} rules; ${result.actions.actions.length} actions`,
      );
      if (args.includes('--no-sklearn')) return;
      // The engine's training sets again (the result is let go first), for scikit-learn on the same rows.
      result = null as never;
      const settings = resolveSettings({});
      const data = cleanRecords(input, settings, now);
      const current = contactFeatures(data, now);
      const segments = buildSegments(data, current, settings.segments, undefined, 1);
      const dealSet = dealFeatures(data, stageOrder(data.deals), segments, now, 1);
      compareWithScikitLearn(data, dealSet, segments, settings, 1, now);
    } finally {
      await sampler.stop();
    }
  },
};
