import { describe, expect, it } from '@jest/globals';
import { trainForest } from '../../../src/engine/forest/random-forest.js';
import { matrix } from '../../../src/engine/lib/matrix.js';
import { adjustedRandIndex, auc, brier, calibrationBins } from '../../../src/engine/lib/metrics.js';
import { Random } from '../../../src/engine/lib/random.js';
import { fitScorer } from '../../../src/engine/scores/fit-scorer.js';
import { fitIsotonic } from '../../../src/engine/scores/isotonic.js';
import { kmeans, silhouette } from '../../../src/engine/segments/kmeans.js';

/** Two informative features, one noise column, one constant column, a few missing values. */
function labelled(n: number, seed: number) {
  const rng = new Random(seed);
  const x = matrix(n, ['signal', 'weak', 'noise', 'constant']);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.normal();
    const b = rng.normal();
    y[i] = 1.5 * a + 0.5 * b + 0.5 * rng.normal() > 0 ? 1 : 0;
    x.data.set([i % 37 === 0 ? Number.NaN : a, b, rng.normal(), 7], i * 4);
  }
  return { x, y };
}

describe('metrics', () => {
  it.each([
    [[0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], 0.75],
    [[0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1], 1],
    [[0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1], 0.5],
  ])('auc(%j, %j) = %d', (s, l, expected) => {
    expect(auc(s, l)).toBeCloseTo(expected, 10);
  });

  it('auc is NaN with one class; brier and calibration bins are exact', () => {
    expect(auc([0.2, 0.3], [1, 1])).toBeNaN();
    expect(brier([0, 1, 0.5], [0, 1, 1])).toBeCloseTo(0.25 / 3, 10);
    const bins = calibrationBins([0.05, 0.07, 0.95], [0, 1, 1]);
    expect(bins.map((b) => [b.from, b.to, b.count, b.observedRate])).toEqual([
      [0, 0.1, 2, 0.5],
      [0.9, 1, 1, 1],
    ]);
    expect(bins[0]!.meanPredicted).toBeCloseTo(0.06, 12);
  });

  it('adjusted Rand index is 1 for relabelled partitions and near 0 for unrelated ones', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2], ['b', 'b', 'a', 'a', 'c'])).toBe(1);
    const rng = new Random(3);
    const a = Array.from({ length: 2000 }, () => rng.int(4));
    const b = Array.from({ length: 2000 }, () => rng.int(4));
    expect(Math.abs(adjustedRandIndex(a, b))).toBeLessThan(0.02);
  });
});

describe('random forest', () => {
  const train = labelled(1500, 1);
  const test = labelled(600, 2);
  const forest = trainForest(train.x, train.y, { trees: 40, seed: 5 });

  it('learns a signal: held-out AUC above 0.9, and the informative feature matters most', () => {
    expect(auc(forest.predict(test.x), test.y)).toBeGreaterThan(0.9);
    const imp = forest.importance();
    expect(imp[0]).toBeGreaterThan(imp[1]!);
    expect(imp[1]).toBeGreaterThan(imp[3]!);
    expect(imp[3]).toBe(0);
    expect(imp.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const again = trainForest(train.x, train.y, { trees: 40, seed: 5 });
    expect(Array.from(again.predict(test.x))).toEqual(Array.from(forest.predict(test.x)));
    const other = trainForest(train.x, train.y, { trees: 40, seed: 6 });
    expect(Array.from(other.predict(test.x))).not.toEqual(Array.from(forest.predict(test.x)));
  });

  it('gives probabilities equal to the mean of the trees, and contributions that sum to probability − base', () => {
    const p = forest.predict(test.x);
    const { base, values } = forest.contributions(test.x);
    for (let i = 0; i < 50; i++) {
      expect(p[i]).toBeGreaterThanOrEqual(0);
      expect(p[i]).toBeLessThanOrEqual(1);
      let s = base;
      for (let j = 0; j < 4; j++) s += values[i * 4 + j]!;
      expect(s).toBeCloseTo(p[i]!, 10);
    }
  });

  it('gives out-of-bag predictions for rows left out of some trees', () => {
    const finite = Array.from(forest.oob).filter(Number.isFinite);
    expect(finite.length).toBeGreaterThan(1400);
    const ys = Array.from(train.y).filter((_, i) => Number.isFinite(forest.oob[i]));
    expect(auc(finite, ys)).toBeGreaterThan(0.85);
  });

  it('refuses mismatched input', () => {
    expect(() => trainForest(train.x, new Uint8Array(3), { trees: 1, seed: 1 })).toThrow('1500 rows but 3 labels');
    expect(() => forest.predict(matrix(1, ['a']))).toThrow('trained on 4 features, given 1');
  });
});

describe('calibration and the scorer', () => {
  it('isotonic calibration is monotone and maps to observed rates', () => {
    const cal = fitIsotonic([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0, 0, 1, 0, 1, 1]);
    const out = [0, 0.1, 0.25, 0.35, 0.45, 0.6, 1].map((s) => cal.apply(s));
    for (let i = 1; i < out.length; i++) expect(out[i]!).toBeGreaterThanOrEqual(out[i - 1]!);
    expect(out[0]).toBe(0);
    expect(out[6]).toBe(1);
  });

  it('uses the forest above the minimum data, a flagged logistic model below it, and no model with one class', () => {
    const { x, y } = labelled(1200, 4);
    const options = { seed: 1, trees: 30, minPerClass: 200, maxTrainRows: 10_000, minSamplesLeaf: 1, maxDepth: 30 };
    const forest = fitScorer(x, y, options);
    expect(forest.quality.status).toBe('forest');
    expect(forest.quality.auc!).toBeGreaterThan(0.9);
    expect(forest.quality.importance[0]!.feature).toBe('signal');
    // Calibration error on the held-out rows, the figure the model page shows (a calibrated forest: small).
    expect(forest.quality.ece).toBeGreaterThanOrEqual(0);
    expect(forest.quality.ece!).toBeLessThan(0.1);
    // The counts it quotes add up: trained on + held out (+ left out by the sampling cap) = every labelled record.
    const used = /(\d+) labelled records .*: (\d+) trained on, (\d+) held out for testing(?:, (\d+) left out)?/.exec(
      fitScorer(x, y, { ...options, maxTrainRows: 1000 }).quality.message,
    );
    expect(used).not.toBeNull();
    const [all, trained, heldOut, left] = used!.slice(1).map((v) => Number(v ?? 0));
    expect([all, trained! + heldOut! + left!, left]).toEqual([1200, 1200, 200]);
    const small = labelled(120, 5);
    const simple = fitScorer(small.x, small.y, options);
    expect(simple.quality.status).toBe('simpler-model');
    expect(simple.quality.message).toMatch(/below the 200 of each/);
    expect(simple.quality.minimumData.met).toBe(false);
    expect(simple.quality.auc!).toBeGreaterThan(0.75);
    const one = fitScorer(small.x, new Uint8Array(120).fill(1), { ...options, classWords: ['won', 'lost'] });
    expect(one.model).toBeNull();
    expect(one.quality.message).toBe('no model: all 120 closed records are won; both outcomes are needed');
    expect(one.quality.ece).toBeNull();
  });
});

describe('k-means', () => {
  const rng = new Random(9);
  const centres = [
    [0, 0, 0],
    [10, 0, 0],
    [0, 10, 0],
    [0, 0, 10],
  ];
  const n = 800;
  const data = new Float64Array(n * 3);
  const truth: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    truth.push(c);
    for (let j = 0; j < 3; j++) data[i * 3 + j] = centres[c]![j]! + rng.normal();
  }

  it('recovers well-separated blobs, deterministically for a seed', () => {
    const r = kmeans(data, n, 3, { k: 4, seed: 1 });
    expect(adjustedRandIndex(truth, Array.from(r.labels))).toBe(1);
    expect(Array.from(r.sizes).sort()).toEqual([200, 200, 200, 200]);
    expect(r.inertia).toBeGreaterThan(n * 3 * 0.8);
    expect(r.inertia).toBeLessThan(n * 3 * 1.2);
    expect(kmeans(data, n, 3, { k: 4, seed: 1 }).inertia).toBe(r.inertia);
    const sample = Int32Array.from({ length: 400 }, (_, i) => i * 2);
    expect(silhouette(data, 3, r.labels, 4, sample)).toBeGreaterThan(0.6);
  });

  it('inertia falls as k grows', () => {
    const inertias = [2, 3, 4, 6].map((k) => kmeans(data, n, 3, { k, seed: 2 }).inertia);
    for (let i = 1; i < inertias.length; i++) expect(inertias[i]!).toBeLessThan(inertias[i - 1]!);
  });

  it('names bad input', () => {
    const bad = data.slice();
    bad[7] = Number.NaN;
    expect(() => kmeans(bad, n, 3, { k: 2, seed: 1 })).toThrow('value NaN at row 2 is not finite');
    expect(() => kmeans(data, n, 3, { k: 0, seed: 1 })).toThrow('k=0 must be between 1');
    expect(() => kmeans(new Float64Array(0), 0, 3, { k: 1, seed: 1 })).toThrow('no rows');
  });
});
