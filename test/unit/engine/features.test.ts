import { describe, expect, it } from '@jest/globals';
import { applyCaps, countCaps, fitCaps } from '../../../src/engine/features/cap-outliers.js';
import { trainForest } from '../../../src/engine/forest/random-forest.js';
import { matrix } from '../../../src/engine/lib/matrix.js';
import { Random } from '../../../src/engine/lib/random.js';
import { topReasons } from '../../../src/engine/scores/top-reasons.js';

describe('outlier capping', () => {
  // Column a: 0..999 with two extremes; column b: a constant with a missing value; column c: not capped.
  const n = 1000;
  const m = matrix(n, ['a', 'b', 'c']);
  for (let i = 0; i < n; i++) m.data.set([i, 5, i * 1e6], i * 3);
  m.data[0] = -1e9;
  m.data[3 * 999] = 1e12;
  m.data[3 * 10 + 1] = Number.NaN;

  it('learns the 0.5th / 99.5th percentiles and clamps only beyond them, counting per feature', () => {
    const caps = fitCaps(m, ['a', 'b']);
    // Sorted a: −1e9, 1, 2, …, 998, 1e12; percentiles by linear interpolation at 0.005·999 and 0.995·999.
    expect(caps[0]!.lo).toBeCloseTo(1 + 3.995, 9);
    expect(caps[0]!.hi).toBeCloseTo(994.005, 9);
    expect(caps[1]).toMatchObject({ feature: 'b', lo: 5, hi: 5 });
    const { matrix: out, capped } = applyCaps(m, caps);
    // Below 4.995: −1e9, 1, 2, 3, 4; above 994.005: 995..998 and 1e12.
    expect(capped).toEqual({ a: 10, b: 0 });
    expect(out.data[0]).toBeCloseTo(4.995, 9);
    expect(out.data[3 * 999]).toBeCloseTo(994.005, 9);
    expect(out.data[3 * 500]).toBe(500);
    expect(out.data[3 * 10 + 1]).toBeNaN();
    expect(out.data[3 * 999 + 2]).toBe(999e6);
    expect(m.data[0]).toBe(-1e9);
  });

  it('fits on chosen rows, finds columns by name, and reports non-zero counts as data-health fixes', () => {
    const caps = fitCaps(
      m,
      ['a'],
      Int32Array.from({ length: 100 }, (_, i) => i + 100),
    );
    expect(caps[0]!.lo).toBeCloseTo(100.495, 9);
    expect(caps[0]!.hi).toBeCloseTo(198.505, 9);
    const other = matrix(2, ['c', 'a'], Float64Array.from([1, 50, 2, 500]));
    expect(Array.from(applyCaps(other, caps).matrix.data)).toEqual([1, 100.495, 2, 198.505]);
    expect(() => applyCaps(matrix(1, ['z']), caps)).toThrow('the matrix has no feature a');
    expect(() => fitCaps(m, ['nope'])).toThrow('unknown feature nope');
    const fixes: Record<string, number> = { 'segments.a_capped': 1 };
    countCaps(fixes, 'segments', { a: 2, b: 0 });
    expect(fixes).toEqual({ 'segments.a_capped': 3 });
  });

  it('reasons state the record’s own value when the model saw a capped one', () => {
    const rng = new Random(2);
    const x = matrix(400, ['amount', 'noise']);
    const y = new Uint8Array(400);
    for (let i = 0; i < 400; i++) {
      const a = rng.next() * 1000;
      x.data.set([a, rng.next()], i * 2);
      y[i] = a > 500 ? 1 : 0;
    }
    const forest = trainForest(x, y, { trees: 10, seed: 1 });
    const shown = matrix(1, ['amount', 'noise'], Float64Array.from([5e9, 0.5]));
    const capped = applyCaps(shown, fitCaps(x, ['amount'])).matrix;
    const [reasons] = topReasons(forest, capped, { shown });
    const amount = reasons!.find((r) => r.feature === 'amount')!;
    expect(amount.value).toBe(5e9);
    expect(amount.text).toMatch(/^deal amount 5000\.0M raises it/);
    expect(() => topReasons(forest, capped, { shown: x })).toThrow('shown values do not match');
  });
});
