import { abs, isFiniteNumber, max, min } from '../lib/math.js';
import type { Calibrator } from './isotonic.js';

/**
 * A model's standard error carried through its calibration: half the width the calibration map gives the interval
 * of one standard error either side of the raw probability (clamped to [0, 1]). Where the map is flat the
 * calibrated probability does not move with the raw one, and the error shrinks with it; where it is steep the
 * error grows. NaN in, or no error, gives 0.
 */
export function calibratedError(calibrator: Calibrator, raw: number, error: number | undefined): number {
  if (error === undefined || !isFiniteNumber(raw) || !isFiniteNumber(error) || error <= 0) return 0;
  const lo = calibrator.apply(max(0, raw - error));
  const hi = calibrator.apply(min(1, raw + error));
  const half = abs(hi - lo) / 2;
  return isFiniteNumber(half) ? half : 0;
}
