import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CleanData } from '../src/engine/clean/clean-records.js';
import type { DealFeatureSet } from '../src/engine/features/deal-features.js';
import { trainForest } from '../src/engine/forest/random-forest.js';
import { type Matrix, takeRows, takeValues } from '../src/engine/lib/matrix.js';
import { auc } from '../src/engine/lib/metrics.js';
import {
  contactModelOptions,
  contactModelRows,
  winModelOptions,
  winModelRows,
} from '../src/engine/scores/build-scores.js';
import { type ScorerOptions, scorerRows } from '../src/engine/scores/fit-scorer.js';
import type { SegmentsOutput } from '../src/engine/segments/build-segments.js';
import { kmeans } from '../src/engine/segments/kmeans.js';
import type { EngineSettings } from '../src/engine/types.js';

const PYTHON = '/usr/bin/python3';

function writeCsv(file: string, x: Matrix, y?: Uint8Array): void {
  const lines = [[...x.names, ...(y ? ['y'] : [])].join(',')];
  for (let i = 0; i < x.rows; i++) {
    const row = Array.from(x.data.subarray(i * x.cols, (i + 1) * x.cols), (v) => (Number.isNaN(v) ? '' : String(v)));
    if (y) row.push(String(y[i]));
    lines.push(row.join(','));
  }
  writeFileSync(file, lines.join('\n'));
}

interface ForestCase {
  name: string;
  x: Matrix;
  y: Uint8Array;
  options: ScorerOptions;
}

/**
 * The engine's two forests and its k-means, timed on the engine's own training sets (the same rows its scorer
 * and segments use), against scikit-learn's RandomForestClassifier and KMeans with the same settings, one thread.
 * Our side is the raw forest (no calibration), like scikit-learn's predict_proba.
 */
export function compareWithScikitLearn(
  data: CleanData,
  deals: DealFeatureSet,
  segments: SegmentsOutput,
  settings: EngineSettings,
  seed: number,
  now: number,
): void {
  const fixes: Record<string, number> = {};
  const win = winModelRows(deals, fixes);
  const contact = contactModelRows(data, settings.scores, now, fixes);
  const cases: ForestCase[] = [
    { name: 'win', x: win.closedX, y: deals.won, options: winModelOptions(settings.scores, seed) },
    { name: 'contact', x: contact.x, y: contact.y, options: contactModelOptions(settings.scores, seed) },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'crm-agent-engine-'));
  try {
    const ours: Record<string, { train_s: number; auc: number; rows: number }> = {};
    const forests = cases.map(({ name, x, y, options }) => {
      const rows = scorerRows(y, options);
      const xs = rows.sample ? takeRows(x, rows.sample) : x;
      const ys = rows.sample ? takeValues(y, rows.sample) : y;
      const train = rows.train!;
      const test = rows.test!;
      const trainX = takeRows(xs, train);
      const trainY = takeValues(ys, train);
      const t0 = performance.now();
      const forest = trainForest(trainX, trainY, {
        trees: options.trees,
        seed: options.seed,
        minSamplesLeaf: options.minSamplesLeaf,
        maxDepth: options.maxDepth,
      });
      const seconds = (performance.now() - t0) / 1000;
      const testX = takeRows(xs, test);
      const testY = takeValues(ys, test);
      ours[name] = { train_s: seconds, auc: auc(forest.predict(testX), testY), rows: train.length };
      writeCsv(join(dir, `${name}-train.csv`), trainX, trainY);
      writeCsv(join(dir, `${name}-test.csv`), testX, testY);
      return {
        name,
        train: join(dir, `${name}-train.csv`),
        test: join(dir, `${name}-test.csv`),
        trees: options.trees,
        max_depth: options.maxDepth,
        min_samples_leaf: options.minSamplesLeaf,
        seed: options.seed,
      };
    });
    let kmeansJob: object | null = null;
    let oursKmeans: { seconds: number; inertia: number } | null = null;
    const fitted = segments.fitted;
    if (fitted) {
      const t0 = performance.now();
      const r = kmeans(fitted.data, fitted.rows, fitted.cols, { k: fitted.k, seed, starts: settings.segments.starts });
      oursKmeans = { seconds: (performance.now() - t0) / 1000, inertia: r.inertia };
      const file = join(dir, 'kmeans.csv');
      writeCsv(file, {
        rows: fitted.rows,
        cols: fitted.cols,
        data: fitted.data,
        names: Array.from({ length: fitted.cols }, (_, j) => `f${j}`),
      });
      kmeansJob = { csv: file, k: fitted.k, n_init: settings.segments.starts, seed: 0 };
    }
    const f = (v: number | undefined, digits: number) => (v === undefined ? 'n/a' : v.toFixed(digits));
    let sk: Record<string, { train_s?: number; auc?: number; seconds?: number; inertia?: number }> | null = null;
    if (existsSync(PYTHON)) {
      try {
        const out = execFileSync(PYTHON, [join(import.meta.dirname, 'python', 'engine_models.py')], {
          input: JSON.stringify({ forests, kmeans: kmeansJob }),
          env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
          maxBuffer: 1 << 24,
        });
        sk = JSON.parse(out.toString().trim().split('\n').pop()!);
      } catch (error) {
        console.log(`  (scikit-learn comparison failed: ${String(error).split('\n')[0]})`);
      }
    } else console.log(`  (no ${PYTHON}: scikit-learn comparison skipped)`);
    console.log('  the same models on the same rows, one thread (ours: raw forest, no calibration):');
    for (const c of cases) {
      const o = ours[c.name]!;
      const s = sk?.[c.name];
      console.log(
        `  ${c.name} forest (${c.options.trees} trees, ${o.rows} × ${c.x.cols}): crm-agent ${f(o.train_s, 2)} s auc ${f(o.auc, 4)}; ` +
          `scikit-learn ${f(s?.train_s, 2)} s auc ${f(s?.auc, 4)}` +
          (s?.train_s ? `; time ratio ${f(o.train_s / s.train_s, 2)}×` : ''),
      );
    }
    if (fitted && oursKmeans) {
      const s = sk?.kmeans;
      console.log(
        `  k-means (k=${fitted.k}, ${settings.segments.starts} starts, ${fitted.rows} × ${fitted.cols}): crm-agent ${f(oursKmeans.seconds, 2)} s inertia ${f(oursKmeans.inertia, 1)}; ` +
          `scikit-learn ${f(s?.seconds, 2)} s inertia ${f(s?.inertia, 1)}` +
          (s?.seconds ? `; time ratio ${f(oursKmeans.seconds / s.seconds, 2)}×` : ''),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
