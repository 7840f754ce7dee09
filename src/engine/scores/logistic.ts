import type { BinaryClassifier } from '../forest/random-forest.js';
import { abs, exp, isFiniteNumber, log, max, min, sqrt } from '../lib/math.js';
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
  // The penalised log-likelihood's Hessian at the fit, over (b, w…); its inverse is the coefficients' covariance.
  const k = d + 1;
  const hessian = new Float64Array(k * k);
  const zi = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    zi[0] = 1;
    let s = b;
    for (let j = 0; j < d; j++) {
      zi[j + 1] = z(x, i, j);
      s += w[j]! * zi[j + 1]!;
    }
    const p = 1 / (1 + exp(-s));
    const weight = p * (1 - p);
    for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) hessian[r * k + c]! += weight * zi[r]! * zi[c]!;
  }
  for (let j = 1; j < k; j++) hessian[j * k + j]! += lambda;
  return logisticClassifier(x.names, mean, sd, w, b, invert(hessian, k));
}

/**
 * The inverse of a symmetric positive (semi-)definite k×k matrix by Gauss–Jordan elimination with partial
 * pivoting; a pivot that vanishes (a constant feature) is given a tiny ridge, so the result is always finite.
 */
export function invert(m: Float64Array, k: number): Float64Array {
  const a = Float64Array.from(m);
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let r = col + 1; r < k; r++) if (abs(a[r * k + col]!) > abs(a[pivot * k + col]!)) pivot = r;
    if (pivot !== col) {
      for (let c = 0; c < k; c++) {
        [a[col * k + c], a[pivot * k + c]] = [a[pivot * k + c]!, a[col * k + c]!];
        [inv[col * k + c], inv[pivot * k + c]] = [inv[pivot * k + c]!, inv[col * k + c]!];
      }
    }
    if (abs(a[col * k + col]!) < 1e-12) a[col * k + col] = 1e-12;
    const scale = 1 / a[col * k + col]!;
    for (let c = 0; c < k; c++) {
      a[col * k + c]! *= scale;
      inv[col * k + c]! *= scale;
    }
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const f = a[r * k + col]!;
      if (f === 0) continue;
      for (let c = 0; c < k; c++) {
        a[r * k + c]! -= f * a[col * k + c]!;
        inv[r * k + c]! -= f * inv[col * k + c]!;
      }
    }
  }
  return inv;
}

/** The classifier of fitted coefficients (also what a stored model restores to). */
export function logisticClassifier(
  featureNames: string[],
  mean: Float64Array,
  sd: Float64Array,
  w: Float64Array,
  b: number,
  /** Covariance of (b, w…), row-major (d + 1)² (the inverse Hessian of the fit). */
  cov: Float64Array,
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
    /** Delta method: the log-odds' variance is z̃ᵀ Σ z̃ (z̃ = (1, standardised row)); p's SE is p(1 − p) times its root. */
    standardErrors(m) {
      const k = d + 1;
      const zi = new Float64Array(k);
      return Float64Array.from({ length: m.rows }, (_, i) => {
        zi[0] = 1;
        for (let j = 0; j < d; j++) zi[j + 1] = z(m, i, j);
        let variance = 0;
        for (let r = 0; r < k; r++) {
          let row = 0;
          for (let c = 0; c < k; c++) row += cov[r * k + c]! * zi[c]!;
          variance += zi[r]! * row;
        }
        const p = predictRow(m, i);
        return p * (1 - p) * sqrt(max(0, variance));
      });
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
        cov: [...cov],
      };
    },
  };
}
