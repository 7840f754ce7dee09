import { abs, floor, sqrt } from '../lib/math.js';
/**
 * Seasonality test and classical decomposition, as the Theta method of the M3 competition uses them: a series
 * counts as seasonal when its autocorrelation at the season lag exceeds the 90 % limit; seasonal indices come
 * from ratios (or differences, when a value is not positive) to a centred moving average.
 */
export function acf(y: ArrayLike<number>, maxLag: number): Float64Array {
  const n = y.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]!;
  mean /= n;
  let denom = 0;
  for (let i = 0; i < n; i++) denom += (y[i]! - mean) ** 2;
  const out = new Float64Array(maxLag + 1);
  for (let lag = 0; lag <= maxLag; lag++) {
    let s = 0;
    for (let i = lag; i < n; i++) s += (y[i]! - mean) * (y[i - lag]! - mean);
    out[lag] = denom > 0 ? s / denom : 0;
  }
  return out;
}

export function isSeasonal(y: ArrayLike<number>, m: number): boolean {
  const n = y.length;
  if (m < 2 || n < 3 * m) return false;
  const r = acf(y, m);
  let s = 0;
  for (let k = 1; k < m; k++) s += r[k]! ** 2;
  const limit = 1.645 * sqrt((1 + 2 * s) / n);
  return abs(r[m]!) > limit;
}

export interface Decomposition {
  multiplicative: boolean;
  /** Seasonal index for each position of the season, phase 0 = the series' first point. */
  indices: Float64Array;
}

export function decompose(y: ArrayLike<number>, m: number): Decomposition {
  const n = y.length;
  let positive = true;
  for (let i = 0; i < n; i++) if (!(y[i]! > 0)) positive = false;
  const sums = new Float64Array(m);
  const counts = new Float64Array(m);
  const half = floor(m / 2);
  for (let t = half; t < n - half; t++) {
    // Centred moving average (2×m for even m).
    let s = 0;
    if (m % 2 === 0) {
      s += 0.5 * y[t - half]! + 0.5 * y[t + half]!;
      for (let k = -half + 1; k < half; k++) s += y[t + k]!;
    } else for (let k = -half; k <= half; k++) s += y[t + k]!;
    const trend = s / m;
    const ratio = positive ? y[t]! / trend : y[t]! - trend;
    sums[t % m]! += ratio;
    counts[t % m]! += 1;
  }
  const indices = new Float64Array(m);
  let total = 0;
  for (let p = 0; p < m; p++) {
    indices[p] = counts[p]! > 0 ? sums[p]! / counts[p]! : positive ? 1 : 0;
    total += indices[p]!;
  }
  for (let p = 0; p < m; p++) indices[p] = positive ? (indices[p]! * m) / total : indices[p]! - total / m;
  return { multiplicative: positive, indices };
}

export function deseasonalise(y: ArrayLike<number>, d: Decomposition): Float64Array {
  const m = d.indices.length;
  return Float64Array.from({ length: y.length }, (_, t) =>
    d.multiplicative ? y[t]! / d.indices[t % m]! : y[t]! - d.indices[t % m]!,
  );
}

/** Puts the season back on a forecast that starts right after `n` observed points. */
export function reseasonalise(values: Float64Array, n: number, d: Decomposition): Float64Array {
  const m = d.indices.length;
  return values.map((v, h) => (d.multiplicative ? v * d.indices[(n + h) % m]! : v + d.indices[(n + h) % m]!));
}
