import { describe, expect, it } from '@jest/globals';
import { dayBucket } from '../../../src/engine/features/day-bucket.js';
import { span } from '../../../src/engine/features/feature-text.js';
import { type Matrix, matrix, takeRows, takeValues } from '../../../src/engine/lib/matrix.js';
import { Random } from '../../../src/engine/lib/random.js';
import { fitScorer, scorerRows } from '../../../src/engine/scores/fit-scorer.js';

/** Labelled rows with a record id each: two informative features and noise. */
function labelled(n: number, seed: number) {
  const rng = new Random(seed);
  const x = matrix(n, ['signal', 'weak', 'noise']);
  const y = new Uint8Array(n);
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.normal();
    const b = rng.normal();
    y[i] = 1.2 * a + 0.6 * b + 0.8 * rng.normal() > 0.3 ? 1 : 0;
    x.data.set([a, b, rng.normal()], i * 3);
    keys.push(`rec-${seed}-${i}`);
  }
  return { x, y, keys };
}

/** The rows in another order (a fixed permutation). */
function reorder(x: Matrix, y: Uint8Array, keys: string[]) {
  const order = Int32Array.from({ length: y.length }, (_, i) => i).sort(
    (a, b) => ((a * 7919) % 1009) - ((b * 7919) % 1009) || b - a,
  );
  return { x: takeRows(x, order), y: takeValues(y, order), keys: Array.from(order, (i) => keys[i]!) };
}

const options = { seed: 11, trees: 30, minPerClass: 50, maxTrainRows: 100_000, minSamplesLeaf: 5, maxDepth: 12 };

describe('training keyed by record ids', () => {
  const data = labelled(1200, 1);
  const probe = labelled(300, 2).x;

  it('gives the same model for the same records in another order (rows, bootstrap and held-out share)', () => {
    const a = fitScorer(data.x, data.y, { ...options, keys: data.keys });
    const shuffled = reorder(data.x, data.y, data.keys);
    expect(shuffled.keys).not.toEqual(data.keys);
    const b = fitScorer(shuffled.x, shuffled.y, { ...options, keys: shuffled.keys });
    const pa = a.model!.classifier.predict(probe).map((p) => a.model!.calibrator.apply(p));
    const pb = b.model!.classifier.predict(probe).map((p) => b.model!.calibrator.apply(p));
    expect(Array.from(pb)).toEqual(Array.from(pa));
    expect(b.quality.auc).toBe(a.quality.auc);
    // Without keys the rows' positions decide the draws: another order gives another forest.
    const c = fitScorer(shuffled.x, shuffled.y, options);
    expect(Array.from(c.model!.classifier.predict(probe))).not.toEqual(Array.from(a.model!.classifier.predict(probe)));
  });

  it('holds out the same records whatever their order, stratified by class', () => {
    const rows = scorerRows(data.y, { ...options, keys: data.keys });
    const shuffled = reorder(data.x, data.y, data.keys);
    const again = scorerRows(shuffled.y, { ...options, keys: shuffled.keys });
    const held = (r: typeof rows, keys: string[]) => new Set(Array.from(r.test!, (i) => keys[i]!));
    expect(held(again, shuffled.keys)).toEqual(held(rows, data.keys));
    const positives = data.y.reduce((a, v) => a + v, 0);
    const heldPositives = Array.from(rows.test!).filter((i) => data.y[i] === 1).length;
    expect(heldPositives).toBe(Math.round(positives * 0.2));
  });
});

describe('day counts in buckets', () => {
  it('move only at the edges the reasons say them in', () => {
    expect([0, 0.5, 1, 2.9, 3, 6.9, 7, 13, 14, 29, 30, 60, 61, 90, 91, 181, 182, 364, 365].map(dayBucket)).toEqual([
      0, 0, 1, 1, 3, 3, 7, 7, 14, 14, 30, 30, 61, 61, 91, 91, 182, 182, 365,
    ]);
    expect(dayBucket(1200)).toBe(1095);
    expect(dayBucket(5 * 365 + 40)).toBe(5 * 365);
    expect(dayBucket(Number.NaN)).toBeNaN();
    // A bucket reads as its days do.
    for (const days of [8, 20, 45, 100, 400, 800, 1300, 2000]) expect(span(dayBucket(days))).toBe(span(days));
  });
});
