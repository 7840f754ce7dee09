import type { BinaryClassifier } from '../forest/random-forest.js';
import { exp, isFiniteNumber, log, max, min, sqrt } from '../lib/math.js';
import type { Matrix } from '../lib/matrix.js';

/**
 * L2-regularised logistic regression on standardised features (missing → the mean), by Newton–free gradient
 * steps: the simpler model used when there are too few closed records for a forest. Contributions are each
 * feature's share of the log-odds, scaled to probability at the record's own probability.
 */
export function trainLogistic(x: Matrix, y: Uint8Array, lambda = 1, iterations = 300): BinaryClassifier {
  const { rows: n, cols: d } = x;
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let s = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      const v = x.data[i * d + j]!;
      if (isFiniteNumber(v)) {
        s += v;
        c++;
      }
    }
    mean[j] = c > 0 ? s / c : 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = x.data[i * d + j]!;
      if (isFiniteNumber(v)) s2 += (v - mean[j]!) ** 2;
    }
    sd[j] = c > 1 ? sqrt(s2 / (c - 1)) || 1 : 1;
  }
  const z = (m: Matrix, i: number, j: number) => {
    const v = m.data[i * d + j]!;
    return isFiniteNumber(v) ? (v - mean[j]!) / sd[j]! : 0;
  };
  const w = new Float64Array(d);
  let b = 0;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i]!;
  const rate = min(max(positives / n, 1e-3), 1 - 1e-3);
  b = log(rate / (1 - rate));
  const grad = new Float64Array(d);
  const step = 1;
  for (let it = 0; it < iterations; it++) {
    grad.fill(0);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      let s = b;
      for (let j = 0; j < d; j++) s += w[j]! * z(x, i, j);
      const err = 1 / (1 + exp(-s)) - y[i]!;
      gb += err;
      for (let j = 0; j < d; j++) grad[j]! += err * z(x, i, j);
    }
    for (let j = 0; j < d; j++) w[j]! -= (step * (grad[j]! + lambda * w[j]!)) / n;
    b -= (step * gb) / n;
  }
  return logisticClassifier(x.names, mean, sd, w, b);
}

/** The classifier of fitted coefficients (also what a stored model restores to). */
export function logisticClassifier(
  featureNames: string[],
  mean: Float64Array,
  sd: Float64Array,
  w: Float64Array,
  b: number,
): BinaryClassifier {
  const d = featureNames.length;
  const z = (m: Matrix, i: number, j: number) => {
    const v = m.data[i * d + j]!;
    return isFiniteNumber(v) ? (v - mean[j]!) / sd[j]! : 0;
  };
  const predictRow = (m: Matrix, i: number) => {
    let s = b;
    for (let j = 0; j < d; j++) s += w[j]! * z(m, i, j);
    return 1 / (1 + exp(-s));
  };
  return {
    kind: 'logistic-regression',
    featureNames,
    predict(m) {
      return Float64Array.from({ length: m.rows }, (_, i) => predictRow(m, i));
    },
    contributions(m) {
      const values = new Float64Array(m.rows * d);
      const base = 1 / (1 + exp(-b));
      for (let i = 0; i < m.rows; i++) {
        const p = predictRow(m, i);
        let total = 0;
        for (let j = 0; j < d; j++) total += w[j]! * z(m, i, j);
        for (let j = 0; j < d; j++) values[i * d + j] = total === 0 ? 0 : ((w[j]! * z(m, i, j)) / total) * (p - base);
      }
      return { base, values };
    },
    importance() {
      const abs = w.map((v) => Math.abs(v));
      const total = abs.reduce((a, v) => a + v, 0);
      return abs.map((v) => (total > 0 ? v / total : 0));
    },
    toModel() {
      return {
        kind: 'logistic-regression',
        featureNames: [...featureNames],
        mean: [...mean],
        sd: [...sd],
        w: [...w],
        b,
      };
    },
  };
}
