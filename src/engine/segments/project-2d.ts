import { abs, min, sqrt } from '../lib/math.js';
import type { Random } from '../lib/random.js';

export interface ProjectedPoint {
  x: number;
  y: number;
  segmentKey: string;
}

/**
 * A 2-D picture of the clustered customers: the first two principal components of the standardised features, on a
 * sample of at most `limit` contacts (enough to see the segments, small enough to draw). Deterministic for a seed.
 */
export function projectTwoD(
  z: Float64Array,
  n: number,
  d: number,
  labels: Int32Array,
  keys: readonly string[],
  rng: Random,
  limit = 1500,
): ProjectedPoint[] {
  if (n === 0 || d === 0) return [];
  const take = min(n, limit);
  const rows: number[] = [];
  for (let i = 0; i < n && rows.length < take; i++) if (rng.next() < (take - rows.length) / (n - i)) rows.push(i);
  const mean = new Float64Array(d);
  for (const i of rows) for (let q = 0; q < d; q++) mean[q]! += z[i * d + q]! / rows.length;
  const cov = new Float64Array(d * d);
  for (const i of rows) {
    for (let a = 0; a < d; a++) {
      const va = z[i * d + a]! - mean[a]!;
      for (let b = a; b < d; b++) cov[a * d + b]! += (va * (z[i * d + b]! - mean[b]!)) / rows.length;
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov[a * d + b] = cov[b * d + a]!;
  const first = leadingEigenvector(cov, d, null);
  const second = d > 1 ? leadingEigenvector(cov, d, first) : new Float64Array(d);
  return rows.map((i) => {
    let x = 0;
    let y = 0;
    for (let q = 0; q < d; q++) {
      const v = z[i * d + q]! - mean[q]!;
      x += v * first[q]!;
      y += v * second[q]!;
    }
    return { x: Math.round(x * 1000) / 1000, y: Math.round(y * 1000) / 1000, segmentKey: keys[labels[i]!]! };
  });
}

/** Power iteration for the leading eigenvector of a symmetric matrix, orthogonal to `deflate` when given. */
function leadingEigenvector(m: Float64Array, d: number, deflate: Float64Array | null): Float64Array {
  let v = new Float64Array(d).map((_, q) => 1 / sqrt(d) + q * 1e-3);
  for (let iteration = 0; iteration < 200; iteration++) {
    const next = new Float64Array(d);
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) next[a]! += m[a * d + b]! * v[b]!;
    if (deflate) {
      let dot = 0;
      for (let q = 0; q < d; q++) dot += next[q]! * deflate[q]!;
      for (let q = 0; q < d; q++) next[q]! -= dot * deflate[q]!;
    }
    let norm = 0;
    for (let q = 0; q < d; q++) norm += next[q]! * next[q]!;
    norm = sqrt(norm);
    if (norm < 1e-12) return v;
    let change = 0;
    for (let q = 0; q < d; q++) {
      next[q]! /= norm;
      change += abs(next[q]! - v[q]!);
    }
    v = next;
    if (change < 1e-10) break;
  }
  return v;
}
