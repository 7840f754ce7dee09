import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smape } from '../src/engine/forecast/accuracy.js';
import { evaluateForecasts, readSeries } from '../src/engine/forecast/evaluate-forecasts.js';
import { trainForest } from '../src/engine/forest/random-forest.js';
import { expectedCalibrationError } from '../src/engine/lib/calibration-error.js';
import { takeRows, takeValues } from '../src/engine/lib/matrix.js';
import { auc } from '../src/engine/lib/metrics.js';
import { evaluateClassifier } from '../src/engine/scores/evaluate-classifier.js';
import { kmeans } from '../src/engine/segments/kmeans.js';
import { parseCsv } from '../src/engine/tabular/parse-csv.js';
import { tableToMatrix } from '../src/engine/tabular/table-to-matrix.js';
import type { Benchmark } from './run.js';

const DATA = process.env.CRM_AGENT_DATA ?? join(import.meta.dirname, '..', '..', 'shared', 'data');
const PYTHON = '/usr/bin/python3';
const SEED = 1;

function python(script: string, job: unknown): Record<string, number> | null {
  if (!existsSync(PYTHON)) return null;
  try {
    const out = execFileSync(PYTHON, [join(import.meta.dirname, 'python', script)], {
      input: JSON.stringify(job),
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
      maxBuffer: 1 << 26,
    });
    return JSON.parse(out.toString().trim().split('\n').pop()!) as Record<string, number>;
  } catch (error) {
    console.log(
      `  (python ${script} failed: ${String(error).split('\n')[0]}; install python3-sklearn python3-statsmodels)`,
    );
    return null;
  }
}

const f = (v: number | undefined, digits = 4) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));

function winprob(file: string, target: string, positive: string, drop: string[]): void {
  const csv = join(DATA, file);
  const { x, y } = tableToMatrix(parseCsv(readFileSync(csv, 'utf8'), file), target, positive, drop, file);
  const ours = evaluateClassifier(x, y, { seed: SEED, trees: 100 });
  // The raw forest (no calibration) on the same split, for a like-for-like AUC with scikit-learn's predict_proba.
  const raw = trainForest(takeRows(x, ours.train), takeValues(y, ours.train), { trees: 100, seed: SEED });
  const rawP = raw.predict(takeRows(x, ours.test));
  const rawAuc = auc(rawP, takeValues(y, ours.test));
  const rawEce = expectedCalibrationError(rawP, takeValues(y, ours.test));
  const sk = python('forest.py', {
    csv,
    target,
    positive,
    drop,
    train: [...ours.train],
    test: [...ours.test],
    trees: 100,
    seed: SEED,
  });
  console.log(
    `${file} (${x.rows} rows × ${x.cols} features, 80/20 stratified seed ${SEED}):\n` +
      `  crm-agent forest+isotonic  auc=${f(ours.auc)} brier=${f(ours.brier)} ece=${f(ours.ece)} accuracy=${f(ours.accuracy)} train_s=${f(ours.trainSeconds, 2)} (raw forest auc=${f(rawAuc)} ece=${f(rawEce)})\n` +
      `  scikit-learn RF(100, 1 thread) auc=${f(sk?.auc)} brier=${f(sk?.brier)} ece=${f(sk?.ece)} accuracy=${f(sk?.accuracy)} train_s=${f(sk?.train_s, 2)}` +
      (sk
        ? `\n  ratio: auc ${f(ours.auc - sk.auc!)} (goal ≥ −0.005), train time ${f(ours.trainSeconds / sk.train_s!, 2)}× (goal ≤ 2×); ece ${f(ours.ece)} (goal ≤ 0.03)`
        : ''),
  );
}

/** RFM per customer from transactions: recency, frequency (purchase days), monetary, tenure, mean order value. */
function rfmTable(rows: Array<{ customer: string; day: number; amount: number }>): {
  header: string[];
  data: number[][];
} {
  const asOf = Math.max(...rows.map((r) => r.day)) + 1;
  const by = new Map<string, { first: number; last: number; days: Set<number>; money: number }>();
  for (const r of rows) {
    const c = by.get(r.customer) ?? { first: r.day, last: r.day, days: new Set<number>(), money: 0 };
    c.first = Math.min(c.first, r.day);
    c.last = Math.max(c.last, r.day);
    c.days.add(r.day);
    c.money += r.amount;
    by.set(r.customer, c);
  }
  const data = [...by.values()]
    .filter((c) => c.money > 0)
    .map((c) => [
      Math.log1p(asOf - c.last),
      Math.log1p(c.days.size),
      Math.log1p(c.money),
      Math.log1p(asOf - c.first),
      Math.log1p(c.money / c.days.size),
    ]);
  return { header: ['recency', 'frequency', 'monetary', 'tenure', 'order_value'], data };
}

function standardise(data: number[][]): Float64Array {
  const n = data.length;
  const d = data[0]!.length;
  const out = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const mean = data.reduce((a, r) => a + r[j]!, 0) / n;
    const sd = Math.sqrt(data.reduce((a, r) => a + (r[j]! - mean) ** 2, 0) / n) || 1;
    for (let i = 0; i < n; i++) out[i * d + j] = (data[i]![j]! - mean) / sd;
  }
  return out;
}

async function segmentsOn(
  name: string,
  rfm: { header: string[]; data: number[][] },
  k: number,
  dir: string,
): Promise<void> {
  const n = rfm.data.length;
  const d = rfm.header.length;
  const z = standardise(rfm.data);
  const csv = join(dir, `${name}.csv`);
  const lines = [rfm.header.join(',')];
  for (let i = 0; i < n; i++) lines.push(Array.from(z.subarray(i * d, i * d + d), (v) => v.toPrecision(17)).join(','));
  writeFileSync(csv, lines.join('\n'));
  const t0 = performance.now();
  const ours = kmeans(z, n, d, { k, seed: SEED, starts: 10 });
  const oursS = (performance.now() - t0) / 1000;
  let ml = 'not installed';
  try {
    const require = createRequire(import.meta.url);
    const { kmeans: mlKmeans } = require('ml-kmeans') as {
      kmeans: (data: number[][], k: number, o: object) => { clusters: number[]; centroids: number[][] };
    };
    const rows = Array.from({ length: n }, (_, i) => Array.from(z.subarray(i * d, i * d + d)));
    const t1 = performance.now();
    const r = mlKmeans(rows, k, { initialization: 'kmeans++', seed: SEED });
    const s = (performance.now() - t1) / 1000;
    let inertia = 0;
    rows.forEach((row, i) => {
      const c = r.centroids[r.clusters[i]!]!;
      inertia += row.reduce((a, v, j) => a + (v - c[j]!) ** 2, 0);
    });
    ml = `inertia=${inertia.toFixed(2)} seconds=${s.toFixed(3)} (one start)`;
  } catch {
    ml = 'not installed (removed from dependencies)';
  }
  const sk = python('kmeans.py', { csv, k, n_init: 10, seed: 0 });
  console.log(
    `${name} RFM (${n} customers × ${d}, standardised), k=${k}, 10 starts:\n` +
      `  crm-agent k-means  inertia=${ours.inertia.toFixed(2)} seconds=${oursS.toFixed(3)}\n` +
      `  ml-kmeans          ${ml}\n` +
      `  scikit-learn       inertia=${f(sk?.inertia, 2)} seconds=${f(sk?.seconds, 3)}` +
      (sk
        ? `\n  ratio: inertia ${f(ours.inertia / sk.inertia!, 5)} (goal ≤ 1.005), time ${f(oursS / sk.seconds!, 2)}×`
        : ''),
  );
}

function forecasts(): void {
  const csv = join(DATA, 'm3-monthly.csv');
  const series = readSeries(parseCsv(readFileSync(csv, 'utf8'), 'm3-monthly.csv'));
  const r = evaluateForecasts(series, 18, 12);
  console.log(
    `M3 monthly, ${r.series} series, h=18:\n` +
      `  crm-agent (backtest choice, default combination) smape=${f(r.engine.smape, 2)} mase=${f(r.engine.mase, 3)} coverage80=${f(r.engine.coverage80, 3)} in ${r.seconds.toFixed(1)} s\n` +
      `  seasonal naive                                   smape=${f(r.seasonalNaive.smape, 2)} mase=${f(r.seasonalNaive.mase, 3)} coverage80=${f(r.seasonalNaive.coverage80, 3)}`,
  );
  const actual = new Map([...series].map(([k, v]) => [k, v.slice(-18)]));
  for (const method of ['THETA', 'ForecastPro', 'BJauto', 'AutoBox1', 'NAIVE2']) {
    const file = join(DATA, 'm3-monthly-published', `${method}.csv`);
    if (!existsSync(file)) continue;
    const t = parseCsv(readFileSync(file, 'utf8'), file);
    let s = 0;
    let n = 0;
    for (const row of t.rows) {
      const a = actual.get(row[0]!);
      if (!a) continue;
      s += smape(a, row.slice(1, 19).map(Number));
      n++;
    }
    console.log(`  published ${method.padEnd(11)} smape=${f(s / n, 2)} (${n} series)`);
  }
  const sm = python('theta.py', { csv, horizon: 18, season: 12 });
  console.log(
    `  statsmodels ThetaModel smape=${f(sm?.smape, 2)} coverage80=${f(sm?.coverage80, 3)} in ${f(sm?.seconds, 1)} s`,
  );
}

export const modelsBenchmark: Benchmark = {
  name: 'models',
  description: 'forest, k-means and forecasts vs scikit-learn, statsmodels and the published M3 forecasts (real data)',
  async run() {
    if (!existsSync(DATA)) {
      console.log(`no data at ${DATA} (set CRM_AGENT_DATA)`);
      return;
    }
    winprob('bank-marketing.csv', 'y', 'yes', ['duration']);
    winprob('telco-churn.csv', 'Churn', 'Yes', []);
    const dir = mkdtempSync(join(tmpdir(), 'crm-agent-models-'));
    try {
      const cdnow = parseCsv(readFileSync(join(DATA, 'cdnow-transactions.csv'), 'utf8'));
      const toDay = (s: string) =>
        Date.UTC(Number(s.slice(0, 4)), Number(s.slice(4, 6)) - 1, Number(s.slice(6, 8))) / 86_400_000;
      await segmentsOn(
        'CDNOW',
        rfmTable(cdnow.rows.map((r) => ({ customer: r[0]!, day: toDay(r[1]!), amount: Number(r[3]) }))),
        8,
        dir,
      );
      const retail = parseCsv(readFileSync(join(DATA, 'online-retail-sample.csv'), 'utf8'));
      const h = retail.header;
      const [qi, di, pi, ci] = ['Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID'].map((c) => h.indexOf(c)) as [
        number,
        number,
        number,
        number,
      ];
      await segmentsOn(
        'Online Retail',
        rfmTable(
          retail.rows
            .filter((r) => r[ci] !== '' && Number(r[qi]) > 0)
            .map((r) => ({
              customer: r[ci]!,
              day: Math.floor(Date.parse(`${r[di]!.replace(' ', 'T')}Z`) / 86_400_000),
              amount: Number(r[qi]) * Number(r[pi]),
            })),
        ),
        5,
        dir,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    forecasts();
  },
};
