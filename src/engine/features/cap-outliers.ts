import { isFiniteNumber } from '../lib/math.js';
import type { Matrix } from '../lib/matrix.js';
import { quantileSorted } from '../lib/stats.js';

/** Share cut off at each end: values below the 0.5th and above the 99.5th percentile are capped. */
export const CAP_SHARE = 0.005;

export interface FeatureCap {
  feature: string;
  /** Column of the feature in the matrix the cap was fitted on (applyCaps finds it by name). */
  column: number;
  lo: number;
  hi: number;
}

/**
 * Learns each named feature's 0.5th / 99.5th percentile (finite values only) from `fitRows` (all rows when
 * absent). Features without finite values get no cap.
 */
export function fitCaps(m: Matrix, features: readonly string[], fitRows?: ArrayLike<number>): FeatureCap[] {
  const rows = fitRows ?? null;
  const n = rows ? rows.length : m.rows;
  const column = new Float64Array(n);
  const caps: FeatureCap[] = [];
  for (const feature of features) {
    const j = m.names.indexOf(feature);
    if (j < 0) throw new Error(`cap: unknown feature ${feature}`);
    let k = 0;
    for (let r = 0; r < n; r++) {
      const v = m.data[(rows ? rows[r]! : r) * m.cols + j]!;
      if (isFiniteNumber(v)) column[k++] = v;
    }
    if (k === 0) continue;
    const sorted = column.subarray(0, k).sort();
    caps.push({
      feature,
      column: j,
      lo: quantileSorted(sorted, CAP_SHARE),
      hi: quantileSorted(sorted, 1 - CAP_SHARE),
    });
  }
  return caps;
}

/**
 * A copy of `m` (or `m` itself with `inPlace`) with every capped feature's values (found by name) clamped to its
 * bounds (missing values stay missing), and how many values each feature had clamped.
 */
export function applyCaps(
  m: Matrix,
  caps: FeatureCap[],
  options: { inPlace?: boolean } = {},
): { matrix: Matrix; capped: Record<string, number> } {
  const data = options.inPlace ? m.data : m.data.slice();
  const capped: Record<string, number> = {};
  for (const { feature, lo, hi } of caps) {
    const column = m.names.indexOf(feature);
    if (column < 0) throw new Error(`cap: the matrix has no feature ${feature}`);
    let count = 0;
    for (let o = column; o < data.length; o += m.cols) {
      const v = data[o]!;
      if (v < lo) {
        data[o] = lo;
        count++;
      } else if (v > hi) {
        data[o] = hi;
        count++;
      }
    }
    capped[feature] = count;
  }
  return { matrix: { ...m, data }, capped };
}

/** How many values of each capped feature lie outside its bounds (what `applyCaps` would clamp), without a copy. */
export function countOutside(m: Matrix, caps: FeatureCap[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { feature, lo, hi } of caps) {
    const column = m.names.indexOf(feature);
    if (column < 0) throw new Error(`cap: the matrix has no feature ${feature}`);
    let count = 0;
    for (let o = column; o < m.data.length; o += m.cols) {
      const v = m.data[o]!;
      if (v < lo || v > hi) count++;
    }
    out[feature] = count;
  }
  return out;
}

/** Adds non-zero capping counts to the data-health fixes as `<prefix>.<feature>_capped`. */
export function countCaps(fixes: Record<string, number>, prefix: string, capped: Record<string, number>): void {
  for (const [feature, count] of Object.entries(capped)) {
    if (count > 0) fixes[`${prefix}.${feature}_capped`] = (fixes[`${prefix}.${feature}_capped`] ?? 0) + count;
  }
}
