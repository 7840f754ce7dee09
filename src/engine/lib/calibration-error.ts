import { abs, floor, min } from './math.js';

/**
 * Expected calibration error over equal-mass bins: rows sorted by predicted probability (ties by position) and
 * cut into `bins` groups of as equal size as possible; the mean over groups, weighted by size, of
 * |mean predicted − observed rate|. 0 is perfect; NaN for no rows. Equal-mass bins (rather than ten equal-width
 * ones) keep every bin populated when the probabilities crowd together, as churn risks do.
 */
export function expectedCalibrationError(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins = 10,
): number {
  const n = probabilities.length;
  if (labels.length !== n) throw new Error(`calibration error: ${n} probabilities but ${labels.length} labels`);
  if (!(bins >= 1)) throw new Error(`calibration error: bins must be at least 1, got ${bins}`);
  if (n === 0) return Number.NaN;
  const order = Int32Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => probabilities[a]! - probabilities[b]! || a - b,
  );
  const groups = min(bins, n);
  let total = 0;
  for (let g = 0; g < groups; g++) {
    // Group g holds sorted rows [⌊g·n/groups⌋, ⌊(g+1)·n/groups⌋): sizes differ by at most one.
    const from = floor((g * n) / groups);
    const to = floor(((g + 1) * n) / groups);
    let predicted = 0;
    let observed = 0;
    for (let k = from; k < to; k++) {
      predicted += probabilities[order[k]!]!;
      observed += labels[order[k]!]!;
    }
    total += abs(predicted - observed);
  }
  return total / n;
}
