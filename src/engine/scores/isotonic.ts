import { isFiniteNumber } from '../lib/math.js';
/**
 * Isotonic calibration (pool-adjacent-violators) of scores to probabilities, fitted on out-of-bag predictions.
 * Between block centres the map interpolates linearly, so distinct scores keep distinct, ordered probabilities
 * (ranking, and so AUC, is kept), and the ends are clamped to the first and last block.
 */
export interface Calibrator {
  readonly method: string;
  apply(score: number): number;
  /** The fitted map's block centres (isotonic), as plain numbers for a stored model; absent for the identity. */
  readonly blocks?: { x: number[]; y: number[] };
}

export function fitIsotonic(scores: ArrayLike<number>, labels: ArrayLike<number>): Calibrator {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < scores.length; i++) if (isFiniteNumber(scores[i])) pairs.push([scores[i]!, labels[i]!]);
  if (pairs.length < 2) return identity;
  pairs.sort((a, b) => a[0] - b[0]);
  // Blocks: mean score (x), mean label (y), weight.
  const xs: number[] = [];
  const ys: number[] = [];
  const ws: number[] = [];
  for (const [s, l] of pairs) {
    xs.push(s);
    ys.push(l);
    ws.push(1);
    while (ys.length > 1 && ys[ys.length - 2]! >= ys[ys.length - 1]!) {
      const w = ws.pop()!;
      const y = ys.pop()!;
      const x = xs.pop()!;
      const k = ys.length - 1;
      const tw = ws[k]! + w;
      ys[k] = (ys[k]! * ws[k]! + y * w) / tw;
      xs[k] = (xs[k]! * ws[k]! + x * w) / tw;
      ws[k] = tw;
    }
  }
  return isotonicFromBlocks(xs, ys);
}

/** The calibrator of fitted block centres (what `fitIsotonic` returns, and what a stored model restores to). */
export function isotonicFromBlocks(xs: readonly number[], ys: readonly number[]): Calibrator {
  if (xs.length !== ys.length || xs.length === 0) throw new Error('isotonic: blocks need as many x as y, at least one');
  const x = Float64Array.from(xs);
  const y = Float64Array.from(ys);
  return {
    method: 'isotonic',
    blocks: { x: [...x], y: [...y] },
    apply(score: number): number {
      if (!isFiniteNumber(score)) return Number.NaN;
      if (score <= x[0]!) return y[0]!;
      const last = x.length - 1;
      if (score >= x[last]!) return y[last]!;
      let lo = 0;
      let hi = last;
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if (x[mid]! <= score) lo = mid;
        else hi = mid;
      }
      const t = (score - x[lo]!) / (x[hi]! - x[lo]!);
      return y[lo]! + t * (y[hi]! - y[lo]!);
    },
  };
}

export const identity: Calibrator = { method: 'none', apply: (s) => s };
