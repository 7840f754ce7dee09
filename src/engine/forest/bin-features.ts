import { ceil, floor, INF, isFiniteNumber, isNaNNumber, max } from '../lib/math.js';
import type { Matrix } from '../lib/matrix.js';

/**
 * Quantile binning of features, as histogram-based forests do: each feature's values map to at most
 * `maxBins - 1` ordered bins (1..), bin 0 holding missing values. Splits are searched over bin edges, so a node
 * costs one pass over its rows instead of a sort per feature.
 */
export interface FeatureBins {
  /** Per feature: ascending split thresholds; bin b (1-based) holds values in (edges[b-2], edges[b-1]]. */
  edges: Float64Array[];
  /** Per feature: number of bins including the missing bin 0. */
  counts: Uint16Array;
}

export interface BinnedMatrix {
  rows: number;
  cols: number;
  /** Row-major bin indexes. */
  bins: Uint8Array;
}

/** Learns bin edges from (up to `sampleRows` of) the rows. */
export function fitBins(m: Matrix, maxBins = 256, sampleRows = 200_000): FeatureBins {
  if (maxBins < 3 || maxBins > 256) throw new Error('maxBins must be between 3 and 256');
  const step = max(1, floor(m.rows / sampleRows));
  const edges: Float64Array[] = [];
  const counts = new Uint16Array(m.cols);
  const column = new Float64Array(ceil(m.rows / step));
  for (let j = 0; j < m.cols; j++) {
    let n = 0;
    for (let i = 0; i < m.rows; i += step) {
      const v = m.data[i * m.cols + j]!;
      if (isFiniteNumber(v)) column[n++] = v;
    }
    const sorted = column.subarray(0, n).slice().sort();
    const distinct: number[] = [];
    for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]!);
    const cuts: number[] = [];
    if (distinct.length <= maxBins - 1) {
      for (let k = 0; k + 1 < distinct.length; k++) cuts.push((distinct[k]! + distinct[k + 1]!) / 2);
    } else {
      // Quantile cuts, each half way between two neighbouring distinct values so every bin holds some rows.
      let last = -INF;
      for (let b = 1; b < maxBins - 1; b++) {
        const pos = floor((b / (maxBins - 1)) * (n - 1));
        const v = sorted[pos]!;
        let next = v;
        for (let p = pos + 1; p < n; p++) {
          if (sorted[p] !== v) {
            next = sorted[p]!;
            break;
          }
        }
        if (next === v) break;
        const cut = (v + next) / 2;
        if (cut > last) {
          cuts.push(cut);
          last = cut;
        }
      }
    }
    edges.push(Float64Array.from(cuts));
    counts[j] = cuts.length + 2;
  }
  return { edges, counts };
}

/** Maps values to bins (binary search on the edges); NaN and ±Infinity beyond the data go to 0 / the last bin. */
export function applyBins(m: Matrix, fb: FeatureBins): BinnedMatrix {
  const bins = new Uint8Array(m.rows * m.cols);
  for (let j = 0; j < m.cols; j++) {
    const e = fb.edges[j]!;
    for (let i = 0; i < m.rows; i++) {
      const v = m.data[i * m.cols + j]!;
      bins[i * m.cols + j] = isNaNNumber(v) ? 0 : 1 + upperBound(e, v);
    }
  }
  return { rows: m.rows, cols: m.cols, bins };
}

/** Number of edges strictly below v (v above an edge goes right of it). */
function upperBound(e: Float64Array, v: number): number {
  let lo = 0;
  let hi = e.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (e[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
