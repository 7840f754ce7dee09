import { floor, imul, max, min, round, sqrt } from '../lib/math.js';
import type { Matrix } from '../lib/matrix.js';
import { Random, unitHash } from '../lib/random.js';
import { applyBins, type BinnedMatrix, type FeatureBins, fitBins } from './bin-features.js';
import { growTree, leafOf, type Tree, TreeScratch } from './decision-tree.js';

/**
 * A random forest for two classes, on histogram-binned features: bootstrap rows per tree, √d features tried per
 * node, trees grown to purity by default, class-probability leaves averaged over trees (as scikit-learn's
 * `predict_proba`). Replaces ml-random-forest, which took 529 s for 100 trees on Telco churn (see
 * docs/model-quality.md for this one's figures).
 */
export interface ForestOptions {
  trees: number;
  /** Features tried per node; default ⌈√d⌉ (scikit-learn rounds down: max(1, floor(√d))). */
  mtry?: number;
  maxDepth?: number;
  minSamplesSplit?: number;
  minSamplesLeaf?: number;
  /** Bootstrap sample size as a share of rows (1 = n draws with replacement). */
  sampleShare?: number;
  maxBins?: number;
  seed: number;
  /** Called after each tree (a terminal's progress bar); the forest does not depend on it. */
  onTree?: (done: number, total: number) => void;
  /**
   * A stable key per row (a record id): each tree then draws a row `Poisson(1)` times from a hash of the key, the
   * seed and the tree (an online bootstrap), so the draws do not depend on the row's position and a row added or
   * removed changes no other row's draws. Without keys, `n` draws with replacement from the tree's generator.
   */
  keys?: readonly string[];
}

/** What a trained binary classifier offers the engine: small, so another model can replace the forest. */
export interface BinaryClassifier {
  readonly kind: string;
  readonly featureNames: string[];
  /** Probability of the positive class per row. */
  predict(x: Matrix): Float64Array;
  /** Per row, each feature's contribution to its probability (they sum to probability − base). Row-major. */
  contributions(x: Matrix): { base: number; values: Float64Array };
  /**
   * Per row, the standard error of `predict`'s probability (the model's own uncertainty, before calibration); absent
   * when the model cannot say.
   */
  standardErrors?(x: Matrix): Float64Array;
  /** Normalised importance per feature (sums to 1). */
  importance(): Float64Array;
  /** The fitted model as plain JSON-able data (restored by `restoreClassifier`, src/engine/models/). */
  toModel?(): ClassifierModel;
}

/** A fitted classifier as plain data; typed arrays as base64 of their bytes, so every double comes back exact. */
export type ClassifierModel =
  | {
      kind: 'random-forest';
      featureNames: string[];
      /** Per feature: bin edges (Float64 base64). */
      edges: string[];
      counts: number[];
      /** Raw impurity decrease per feature (Float64 base64). */
      importance: string;
      trees: Array<{ feature: string; splitBin: string; left: string; right: string; value: string }>;
    }
  | {
      kind: 'logistic-regression';
      featureNames: string[];
      mean: number[];
      sd: number[];
      w: number[];
      b: number;
      /** Covariance of (b, w…) in standardised units, row-major (d + 1)², for the delta-method standard error. */
      cov: number[];
    };

export interface TrainedForest extends BinaryClassifier {
  /** Out-of-bag probability per training row (NaN where every tree saw the row). */
  readonly oob: Float64Array;
  standardErrors(x: Matrix): Float64Array;
  readonly trees: Tree[];
}

export function trainForest(x: Matrix, y: Uint8Array, options: ForestOptions): TrainedForest {
  if (x.rows !== y.length) throw new Error(`forest: ${x.rows} rows but ${y.length} labels`);
  if (x.rows === 0) throw new Error('forest: no rows to train on');
  const fb = fitBins(x, options.maxBins ?? 256);
  const binned = applyBins(x, fb);
  const d = x.cols;
  const n = x.rows;
  const treeOptions = {
    mtry: min(d, max(1, options.mtry ?? floor(sqrt(d)))),
    maxDepth: options.maxDepth ?? 1_000,
    minSamplesSplit: options.minSamplesSplit ?? 2,
    minSamplesLeaf: options.minSamplesLeaf ?? 1,
  };
  const draws = max(1, round(n * (options.sampleShare ?? 1)));
  const { keys } = options;
  if (keys && keys.length !== n) throw new Error(`forest: ${n} rows but ${keys.length} keys`);
  const root = new Random(options.seed);
  const scratch = new TreeScratch(d, n);
  const importance = new Float64Array(d);
  const weight = new Float64Array(n);
  const oobSum = new Float64Array(n);
  const oobCount = new Uint16Array(n);
  const trees: Tree[] = [];
  // One buffer for every tree's in-bag rows (a typed-array allocation per tree costs garbage collections).
  const rowBuffer = new Int32Array(n);
  for (let t = 0; t < options.trees; t++) {
    const rng = root.fork(t);
    weight.fill(0);
    if (keys)
      for (let i = 0; i < n; i++) weight[i] = poissonOne(unitHash(options.seed ^ imul(t + 1, 0x9e3779b1), keys[i]!));
    else for (let k = 0; k < draws; k++) weight[rng.int(n)]! += 1;
    let inBag = 0;
    for (let i = 0; i < n; i++) if (weight[i]! > 0) inBag++;
    // A few rows may all draw nothing for a tree: it then learns from each once.
    if (inBag === 0) inBag = weight.fill(1).length;
    const rows = rowBuffer.subarray(0, inBag);
    let k = 0;
    for (let i = 0; i < n; i++) if (weight[i]! > 0) rows[k++] = i;
    const tree = growTree(binned, y, weight, rows, treeOptions, rng, scratch, importance);
    trees.push(tree);
    for (let i = 0; i < n; i++) {
      if (weight[i]! > 0) continue;
      oobSum[i]! += tree.value[leafOf(tree, binned.bins, i * d)]!;
      oobCount[i]! += 1;
    }
    options.onTree?.(t + 1, options.trees);
  }
  const oob = new Float64Array(n);
  for (let i = 0; i < n; i++) oob[i] = oobCount[i]! > 0 ? oobSum[i]! / oobCount[i]! : Number.NaN;
  return new Forest(trees, fb, x.names, importance, oob);
}

/** Cumulative Poisson(1) probabilities of 0, 1, … 7 draws. */
const POISSON_ONE = [0.3679, 0.7358, 0.9197, 0.981, 0.9963, 0.9994, 0.9999, 1];

/** The number of draws of Poisson(1) whose cumulative probability first exceeds `u` in [0, 1). */
function poissonOne(u: number): number {
  let k = 0;
  while (u >= POISSON_ONE[k]!) k++;
  return k;
}

class Forest implements TrainedForest {
  readonly kind = 'random-forest';

  constructor(
    readonly trees: Tree[],
    private readonly bins: FeatureBins,
    readonly featureNames: string[],
    private readonly rawImportance: Float64Array,
    readonly oob: Float64Array,
  ) {}

  private bin(x: Matrix): BinnedMatrix {
    if (x.cols !== this.featureNames.length) {
      throw new Error(`forest: trained on ${this.featureNames.length} features, given ${x.cols}`);
    }
    return applyBins(x, this.bins);
  }

  predict(x: Matrix): Float64Array {
    const b = this.bin(x);
    const out = new Float64Array(x.rows);
    const d = x.cols;
    for (const tree of this.trees) {
      for (let i = 0; i < x.rows; i++) out[i]! += tree.value[leafOf(tree, b.bins, i * d)]!;
    }
    for (let i = 0; i < x.rows; i++) out[i]! /= this.trees.length;
    return out;
  }

  /**
   * The spread of the trees' votes for each row: their standard deviation over √trees, the standard error of the
   * forest's mean vote. It measures how much the trees disagree about the record (large near leaves of mixed
   * classes, small where every tree agrees), so it is what a retrain's different bootstrap samples move the
   * record's probability by, in the order of magnitude (it leaves out the training data's own sampling noise).
   */
  standardErrors(x: Matrix): Float64Array {
    const b = this.bin(x);
    const sum = new Float64Array(x.rows);
    const squares = new Float64Array(x.rows);
    const d = x.cols;
    for (const tree of this.trees) {
      for (let i = 0; i < x.rows; i++) {
        const v = tree.value[leafOf(tree, b.bins, i * d)]!;
        sum[i]! += v;
        squares[i]! += v * v;
      }
    }
    const t = this.trees.length;
    const out = new Float64Array(x.rows);
    if (t < 2) return out;
    for (let i = 0; i < x.rows; i++) {
      const mean = sum[i]! / t;
      const variance = max(0, (squares[i]! - t * mean * mean) / (t - 1));
      out[i] = sqrt(variance / t);
    }
    return out;
  }

  contributions(x: Matrix): { base: number; values: Float64Array } {
    const b = this.bin(x);
    const d = x.cols;
    const values = new Float64Array(x.rows * d);
    let base = 0;
    const scale = 1 / this.trees.length;
    for (const tree of this.trees) {
      base += tree.value[0]! * scale;
      const { feature, splitBin, left, right, value } = tree;
      for (let i = 0; i < x.rows; i++) {
        let node = 0;
        const offset = i * d;
        while (feature[node]! >= 0) {
          const f = feature[node]!;
          const next = b.bins[offset + f]! <= splitBin[node]! ? left[node]! : right[node]!;
          values[offset + f]! += (value[next]! - value[node]!) * scale;
          node = next;
        }
      }
    }
    return { base, values };
  }

  importance(): Float64Array {
    const total = this.rawImportance.reduce((a, b) => a + b, 0);
    return this.rawImportance.map((v) => (total > 0 ? v / total : 0));
  }

  toModel(): ClassifierModel {
    return {
      kind: 'random-forest',
      featureNames: [...this.featureNames],
      edges: this.bins.edges.map(encodeArray),
      counts: [...this.bins.counts],
      importance: encodeArray(this.rawImportance),
      trees: this.trees.map((t) => ({
        feature: encodeArray(t.feature),
        splitBin: encodeArray(t.splitBin),
        left: encodeArray(t.left),
        right: encodeArray(t.right),
        value: encodeArray(t.value),
      })),
    };
  }
}

/** A forest from `toModel()`'s data: predicts and explains exactly as the fitted one (no out-of-bag values). */
export function restoreForest(model: Extract<ClassifierModel, { kind: 'random-forest' }>): TrainedForest {
  const trees: Tree[] = model.trees.map((t) => {
    const feature = decodeArray(t.feature, Int32Array);
    return {
      feature,
      splitBin: decodeArray(t.splitBin, Uint8Array),
      left: decodeArray(t.left, Int32Array),
      right: decodeArray(t.right, Int32Array),
      value: decodeArray(t.value, Float64Array),
      size: feature.length,
    };
  });
  const bins: FeatureBins = {
    edges: model.edges.map((e) => decodeArray(e, Float64Array)),
    counts: Uint16Array.from(model.counts),
  };
  return new Forest(
    trees,
    bins,
    [...model.featureNames],
    decodeArray(model.importance, Float64Array),
    new Float64Array(0),
  );
}

type Typed = Int32Array | Uint8Array | Float64Array;

/** A typed array's bytes in base64 (platform byte order: little-endian on every machine Node runs on). */
export function encodeArray(a: Typed): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function decodeArray<T extends Typed>(
  text: string,
  type: { new (buffer: ArrayBuffer): T; BYTES_PER_ELEMENT: number },
): T {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength % type.BYTES_PER_ELEMENT !== 0) throw new Error('model: a stored array has a partial element');
  // Copied into a fresh buffer: Buffer's pooled memory need not be aligned for 4- or 8-byte elements.
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return new type(copy);
}
