import { floor, isFiniteNumber, min } from './math.js';
/** Small numeric helpers on typed arrays. */

/** The q-quantile (0..1) of the finite values, by linear interpolation; NaN when there are none. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = finiteSorted(values);
  return quantileSorted(sorted, q);
}

export function finiteSorted(values: ArrayLike<number>): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (isFiniteNumber(values[i])) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) if (isFiniteNumber(values[i])) out[k++] = values[i]!;
  return out.sort();
}

export function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = floor(pos);
  const hi = min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}

/** Indexes in 0..n-1 of the items, shuffled with `rng`. */
export function shuffled(n: number, rng: { int(n: number): number }): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
