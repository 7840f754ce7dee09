import { describe, expect, it } from '@jest/globals';
import { expectedCalibrationError } from '../../../src/engine/lib/calibration-error.js';
import { Random } from '../../../src/engine/lib/random.js';

describe('expectedCalibrationError (equal-mass bins)', () => {
  it('is the size-weighted mean gap between predicted and observed per bin', () => {
    // Two bins of two rows: {0.1, 0.2} with 0 of 2 positive (gap 0.15), {0.7, 0.9} with 2 of 2 (gap 0.2).
    expect(expectedCalibrationError([0.9, 0.1, 0.7, 0.2], [1, 0, 1, 0], 2)).toBeCloseTo((0.15 * 2 + 0.2 * 2) / 4, 12);
    // One bin: the gap between the mean prediction and the base rate.
    expect(expectedCalibrationError([0.2, 0.4, 0.6], [1, 0, 0], 1)).toBeCloseTo(abs(0.4 - 1 / 3), 12);
    // Five rows in two bins: sizes 2 and 3 (cut at ⌊5/2⌋), sorted by probability.
    expect(expectedCalibrationError([0.5, 0.1, 0.3, 0.2, 0.4], [1, 0, 0, 1, 1], 2)).toBeCloseTo(
      (abs(0.1 + 0.2 - 1) + abs(0.3 + 0.4 + 0.5 - 2)) / 5,
      12,
    );
  });

  it('is 0 for predictions equal to each bin’s rate and 1 for confident wrong ones', () => {
    expect(expectedCalibrationError([0.5, 0.5, 0.5, 0.5], [0, 1, 1, 0], 1)).toBe(0);
    expect(expectedCalibrationError([1, 1, 0, 0], [0, 0, 1, 1], 2)).toBe(1);
  });

  it('uses no more bins than rows, and is NaN with no rows', () => {
    expect(expectedCalibrationError([0.3], [1], 10)).toBeCloseTo(0.7, 12);
    expect(expectedCalibrationError([], [], 10)).toBeNaN();
    expect(() => expectedCalibrationError([0.1], [1, 0])).toThrow('1 probabilities but 2 labels');
  });

  it('is small for calibrated draws and large for overconfident ones', () => {
    const rng = new Random(7);
    const n = 20_000;
    const p = new Float64Array(n);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      p[i] = rng.next();
      y[i] = rng.next() < p[i]! ? 1 : 0;
    }
    expect(expectedCalibrationError(p, y)).toBeLessThan(0.02);
    const pushed = p.map((v) => Math.min(1, Math.max(0, 0.5 + (v - 0.5) * 2)));
    expect(expectedCalibrationError(pushed, y)).toBeGreaterThan(0.1);
  });
});

function abs(v: number): number {
  return v < 0 ? -v : v;
}
