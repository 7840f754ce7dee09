import { type BinaryClassifier, trainForest } from '../forest/random-forest.js';
import { expectedCalibrationError } from '../lib/calibration-error.js';
import { isFiniteNumber, max, min } from '../lib/math.js';
import { type Matrix, takeRows, takeValues } from '../lib/matrix.js';
import { auc, brier, calibrationBins } from '../lib/metrics.js';
import { Random, unitHash } from '../lib/random.js';
import { shuffled } from '../lib/stats.js';
import { stratifiedSplit } from '../tabular/stratified-split.js';
import type { ModelQuality } from '../types.js';
import { type Calibrator, fitIsotonic } from './isotonic.js';
import { trainLogistic } from './logistic.js';

export interface ScorerOptions {
  seed: number;
  trees: number;
  /** Forest only with at least this many of each class (Einstein's rule: 200 won and 200 lost). */
  minPerClass: number;
  maxTrainRows: number;
  minSamplesLeaf: number;
  maxDepth: number;
  testShare?: number;
  /** Words for the classes in messages, e.g. ['won', 'lost']. */
  classWords?: [string, string];
  /**
   * A stable key per row (the record's id). With keys, which rows are sampled, held out and drawn into each
   * tree's bootstrap follows from a hash of the key and the seed, not from the rows' positions: the same records
   * give the same model in any order, and a row more or less changes only its own draws (a retrain on nearly the
   * same data gives nearly the same model).
   */
  keys?: readonly string[];
}

export interface FittedScorer {
  quality: ModelQuality;
  /** Calibrated probabilities; null when no model could be trained. */
  model: { classifier: BinaryClassifier; calibrator: Calibrator } | null;
}

/**
 * Which rows the scorer uses: a seeded sample when there are more than `maxTrainRows` (null: all), then, when
 * each class has at least 5, a seeded stratified split of that sample into train and test (indexes into the
 * sample). Exported so a benchmark can give another library exactly the same rows.
 */
export function scorerRows(
  y: Uint8Array,
  options: Pick<ScorerOptions, 'seed' | 'maxTrainRows' | 'testShare' | 'keys'>,
): { sample: Int32Array | null; train: Int32Array | null; test: Int32Array | null } {
  const { keys, seed } = options;
  if (keys && keys.length !== y.length) throw new Error(`scorer: ${y.length} rows but ${keys.length} keys`);
  const rank = keys ? Float64Array.from(keys, (k) => unitHash(seed, k)) : null;
  const sample =
    y.length <= options.maxTrainRows
      ? null
      : rank
        ? Int32Array.from(
            byRank(
              rank,
              Array.from(y, (_, i) => i),
            ).slice(0, options.maxTrainRows),
          ).sort()
        : shuffled(y.length, new Random(seed).fork('sample')).subarray(0, options.maxTrainRows).sort();
  const ys = sample ? takeValues(y, sample) : y;
  let positives = 0;
  for (let i = 0; i < ys.length; i++) positives += ys[i]!;
  if (min(positives, ys.length - positives) < 5) return { sample, train: null, test: null };
  const testShare = options.testShare ?? 0.2;
  if (!rank) return { sample, ...stratifiedSplit(ys, testShare, seed) };
  // Within each class, the rows of lowest hash (another one than the sample's) are held out.
  const held = Float64Array.from(sample ?? Array.from(y, (_, i) => i), (i) => unitHash(seed ^ 0x2545f491, keys![i]!));
  const train: number[] = [];
  const test: number[] = [];
  for (const cls of [0, 1]) {
    const members: number[] = [];
    for (let i = 0; i < ys.length; i++) if (ys[i] === cls) members.push(i);
    const nTest = Math.round(members.length * testShare);
    for (const [k, i] of byRank(held, members).entries()) (k < nTest ? test : train).push(i);
  }
  return {
    sample,
    train: Int32Array.from(train.sort((a, b) => a - b)),
    test: Int32Array.from(test.sort((a, b) => a - b)),
  };
}

/** `rows` ordered by their rank (ties by row). */
function byRank(rank: Float64Array, rows: number[]): number[] {
  return rows.sort((a, b) => rank[a]! - rank[b]! || a - b);
}

/**
 * Trains the scoring model on labelled rows: a random forest (class probabilities, isotonic calibration on the
 * out-of-bag predictions) when both classes reach the minimum, otherwise a logistic regression flagged as the
 * simpler model; one class only gives no model and says why. Held-out AUC, Brier and calibration are measured
 * on a seeded stratified test share the model never saw.
 */
export function fitScorer(x: Matrix, y: Uint8Array, options: ScorerOptions): FittedScorer {
  const { keys } = options;
  if (keys && keys.length !== y.length) throw new Error(`scorer: ${y.length} rows but ${keys.length} keys`);
  if (keys?.some((k, i) => i > 0 && keys[i - 1]! > k)) {
    // One order for the same records, whichever order they came in (the store's, its dialect's collation's): by
    // key, comparing code points. Sums and ties then fall the same way.
    const order = Int32Array.from(keys, (_, i) => i).sort((a, b) =>
      keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b,
    );
    return fitScorer(takeRows(x, order), takeValues(y, order), {
      ...options,
      keys: Array.from(order, (i) => keys[i]!),
    });
  }
  const [posWord, negWord] = options.classWords ?? ['positive', 'negative'];
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i]!;
  const negatives = y.length - positives;
  const minimumData = {
    positives,
    negatives,
    required: options.minPerClass,
    met: positives >= options.minPerClass && negatives >= options.minPerClass,
  };
  const empty: ModelQuality = {
    status: 'no-model',
    model: 'none',
    message: '',
    minimumData,
    trainRows: 0,
    testRows: 0,
    auc: null,
    brier: null,
    ece: null,
    baseRate: y.length > 0 ? positives / y.length : 0,
    calibration: [],
    calibrationMethod: 'none',
    importanceMethod: 'none',
    importance: [],
  };
  if (positives === 0 || negatives === 0) {
    return {
      quality: {
        ...empty,
        message:
          y.length === 0
            ? `no model: no closed records to learn from`
            : `no model: all ${y.length} closed records are ${positives === 0 ? negWord : posWord}; both outcomes are needed`,
      },
      model: null,
    };
  }
  const rows = scorerRows(y, options);
  const xs = rows.sample ? takeRows(x, rows.sample) : x;
  const ys = rows.sample ? takeValues(y, rows.sample) : y;
  const split = rows.train && rows.test ? { train: rows.train, test: rows.test } : null;
  const trainX = split ? takeRows(xs, split.train) : xs;
  const trainY = split ? takeValues(ys, split.train) : ys;
  const sampledKeys = options.keys && rows.sample ? Array.from(rows.sample, (i) => options.keys![i]!) : options.keys;
  const trainKeys = sampledKeys && split ? Array.from(split.train, (i) => sampledKeys[i]!) : sampledKeys;
  let classifier: BinaryClassifier;
  let calibrator: Calibrator;
  let status: ModelQuality['status'];
  let message: string;
  if (minimumData.met) {
    const forest = trainForest(trainX, trainY, {
      trees: options.trees,
      seed: options.seed,
      minSamplesLeaf: options.minSamplesLeaf,
      maxDepth: options.maxDepth,
      ...(trainKeys ? { keys: trainKeys } : {}),
    });
    classifier = forest;
    calibrator = fitIsotonic(forest.oob, trainY);
    status = 'forest';
    message = `random forest of ${options.trees} trees, isotonic calibration on out-of-bag predictions; ${rowsUsed(y.length, trainX.rows, split?.test.length ?? 0, positives, negatives, posWord, negWord)}`;
  } else {
    classifier = trainLogistic(trainX, trainY);
    calibrator = { method: 'none', apply: (p) => p };
    status = 'simpler-model';
    message = `simpler model (logistic regression): ${positives} ${posWord} and ${negatives} ${negWord}, below the ${options.minPerClass} of each a forest needs; ${rowsUsed(y.length, trainX.rows, split?.test.length ?? 0, positives, negatives, posWord, negWord)}`;
  }
  let aucValue: number | null = null;
  let brierValue: number | null = null;
  let eceValue: number | null = null;
  let calibration: ModelQuality['calibration'] = [];
  let importance = classifier.importance();
  let importanceMethod = classifier.kind === 'random-forest' ? 'mean decrease in impurity' : '|coefficient|';
  if (split) {
    const testX = takeRows(xs, split.test);
    const testY = takeValues(ys, split.test);
    const p = classifier.predict(testX).map((v) => calibrator.apply(v));
    aucValue = finiteOrNull(auc(p, testY));
    brierValue = finiteOrNull(brier(p, testY));
    eceValue = finiteOrNull(expectedCalibrationError(p, testY));
    calibration = calibrationBins(p, testY);
    if (aucValue !== null) {
      importance = permutationImportance(classifier, testX, testY, aucValue, options.seed);
      importanceMethod = 'held-out AUC lost when the feature is shuffled';
    }
  } else message += '; too few of one class to hold out a test set, so no held-out AUC';
  return {
    quality: {
      status,
      model: classifier.kind,
      message,
      minimumData,
      trainRows: trainX.rows,
      testRows: split ? split.test.length : 0,
      auc: aucValue,
      brier: brierValue,
      ece: eceValue,
      baseRate: positives / y.length,
      calibration,
      calibrationMethod: calibrator.method,
      importanceMethod,
      importance: x.names
        .map((feature, j) => ({ feature, importance: importance[j]! }))
        .sort((a, b) => b.importance - a.importance),
    },
    model: { classifier, calibrator },
  };
}

function finiteOrNull(v: number): number | null {
  return isFiniteNumber(v) ? v : null;
}

/** Drop in held-out AUC when one feature's values are shuffled among the test rows (floored at 0). */
function permutationImportance(
  classifier: BinaryClassifier,
  x: Matrix,
  y: Uint8Array,
  baseline: number,
  seed: number,
): Float64Array {
  const out = new Float64Array(x.cols);
  const rng = new Random(seed).fork('permutation');
  const copy = { ...x, data: x.data.slice() };
  for (let j = 0; j < x.cols; j++) {
    const order = shuffled(x.rows, rng);
    for (let i = 0; i < x.rows; i++) copy.data[i * x.cols + j] = x.data[order[i]! * x.cols + j]!;
    const a = auc(classifier.predict(copy), y);
    out[j] = isFiniteNumber(a) ? max(0, baseline - a) : 0;
    for (let i = 0; i < x.rows; i++) copy.data[i * x.cols + j] = x.data[i * x.cols + j]!;
  }
  return out;
}

/**
 * How the labelled records were used, in counts that add up: trained on + held out (+ left out by the sampling
 * cap) = all of them.
 */
function rowsUsed(
  all: number,
  trained: number,
  heldOut: number,
  positives: number,
  negatives: number,
  posWord: string,
  negWord: string,
): string {
  const left = all - trained - heldOut;
  return (
    `${all} labelled records (${positives} ${posWord}, ${negatives} ${negWord}): ${trained} trained on` +
    `${heldOut > 0 ? `, ${heldOut} held out for testing` : ''}${left > 0 ? `, ${left} left out by the sampling cap` : ''}`
  );
}
