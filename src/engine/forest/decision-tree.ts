import { min } from '../lib/math.js';
import type { Random } from '../lib/random.js';
import type { BinnedMatrix } from './bin-features.js';

/**
 * One classification tree on binned features, grown depth-first to purity (or the limits), Gini criterion,
 * features sampled per node. Nodes live in flat typed arrays; every node keeps its positive-class share, so
 * a record's path gives both its probability and each feature's contribution along the way.
 */
export interface Tree {
  /** Split feature per node, -1 on leaves. */
  feature: Int32Array;
  /** Rows whose bin is <= this go left. */
  splitBin: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  /** Weighted share of the positive class among the node's training rows. */
  value: Float64Array;
  size: number;
}

export interface TreeOptions {
  /** Features tried per node. */
  mtry: number;
  maxDepth: number;
  minSamplesSplit: number;
  /** Minimum weight (bootstrap count) on each side of a split. */
  minSamplesLeaf: number;
}

/** Buffers reused across the trees one forest grows. */
export class TreeScratch {
  readonly histW: Float64Array;
  readonly histP: Float64Array;
  readonly perm: Int32Array;
  readonly sortBins: Int32Array;
  readonly sortRows: Int32Array;
  /** Node arrays a tree is grown in (grown as needed, kept for the next tree); the tree keeps exact-size copies. */
  feature = new Int32Array(64);
  splitBin = new Uint8Array(64);
  left = new Int32Array(64);
  right = new Int32Array(64);
  value = new Float64Array(64);

  constructor(cols: number, rows: number) {
    this.histW = new Float64Array(256);
    this.histP = new Float64Array(256);
    this.perm = new Int32Array(cols);
    this.sortBins = new Int32Array(min(rows, 64));
    this.sortRows = new Int32Array(min(rows, 64));
  }
}

/**
 * Grows a tree on the rows in `rows` (unique indexes) with weights `weight[row]` (bootstrap counts) and labels
 * `y[row]` in {0,1}. Adds each split's weighted impurity decrease to `importance[feature]`.
 */
export function growTree(
  x: BinnedMatrix,
  y: Uint8Array,
  weight: Float64Array,
  rows: Int32Array,
  options: TreeOptions,
  rng: Random,
  scratch: TreeScratch,
  importance: Float64Array,
): Tree {
  const d = x.cols;
  const bins = x.bins;
  let capacity = scratch.feature.length;
  let { feature, splitBin, left, right, value } = scratch;
  let size = 0;
  const grow = () => {
    capacity *= 2;
    const f = new Int32Array(capacity);
    f.set(feature);
    feature = f;
    const s = new Uint8Array(capacity);
    s.set(splitBin);
    splitBin = s;
    const l = new Int32Array(capacity);
    l.set(left);
    left = l;
    const r = new Int32Array(capacity);
    r.set(right);
    right = r;
    const v = new Float64Array(capacity);
    v.set(value);
    value = v;
    Object.assign(scratch, { feature, splitBin, left, right, value });
  };
  const { histW, histP, perm, sortBins, sortRows } = scratch;
  for (let j = 0; j < d; j++) perm[j] = j;

  // Explicit stack of nodes: [node, start, end, depth].
  const stack: number[] = [];
  const newNode = () => {
    if (size === capacity) grow();
    feature[size] = -1;
    left[size] = -1;
    right[size] = -1;
    return size++;
  };
  stack.push(newNode(), 0, rows.length, 0);
  while (stack.length > 0) {
    const depth = stack.pop()!;
    const end = stack.pop()!;
    const start = stack.pop()!;
    const node = stack.pop()!;
    let W = 0;
    let P = 0;
    for (let k = start; k < end; k++) {
      const r = rows[k]!;
      W += weight[r]!;
      P += weight[r]! * y[r]!;
    }
    value[node] = W > 0 ? P / W : 0;
    const count = end - start;
    if (P === 0 || P === W || count < options.minSamplesSplit || depth >= options.maxDepth) continue;
    if (W < 2 * options.minSamplesLeaf) continue;

    const parentScore = (P * P + (W - P) * (W - P)) / W;
    let bestScore = parentScore + 1e-12 * W;
    let bestFeature = -1;
    let bestBin = 0;
    let tried = 0;
    const small = count <= sortBins.length;
    for (let k = 0; k < d && tried < options.mtry; k++) {
      const pick = k + rng.int(d - k);
      const f = perm[pick]!;
      perm[pick] = perm[k]!;
      perm[k] = f;
      if (small) {
        // Few rows: sort them by bin (insertion sort) and scan the distinct bins.
        let n = 0;
        for (let q = start; q < end; q++) {
          const r = rows[q]!;
          const b = bins[r * d + f]!;
          let p = n++;
          while (p > 0 && sortBins[p - 1]! > b) {
            sortBins[p] = sortBins[p - 1]!;
            sortRows[p] = sortRows[p - 1]!;
            p--;
          }
          sortBins[p] = b;
          sortRows[p] = r;
        }
        if (sortBins[0] === sortBins[n - 1]) continue;
        tried++;
        let wl = 0;
        let pl = 0;
        for (let q = 0; q < n - 1; q++) {
          const r = sortRows[q]!;
          wl += weight[r]!;
          pl += weight[r]! * y[r]!;
          if (sortBins[q + 1] === sortBins[q]) continue;
          const wr = W - wl;
          if (wl < options.minSamplesLeaf || wr < options.minSamplesLeaf) continue;
          const pr = P - pl;
          const score = (pl * pl + (wl - pl) * (wl - pl)) / wl + (pr * pr + (wr - pr) * (wr - pr)) / wr;
          if (score > bestScore) {
            bestScore = score;
            bestFeature = f;
            bestBin = sortBins[q]!;
          }
        }
        continue;
      }
      let lo = 255;
      let hi = 0;
      for (let q = start; q < end; q++) {
        const r = rows[q]!;
        const b = bins[r * d + f]!;
        const w = weight[r]!;
        histW[b]! += w;
        histP[b]! += w * y[r]!;
        if (b < lo) lo = b;
        if (b > hi) hi = b;
      }
      if (lo === hi) {
        histW[lo] = 0;
        histP[lo] = 0;
        continue;
      }
      tried++;
      let wl = 0;
      let pl = 0;
      for (let b = lo; b < hi; b++) {
        const hw = histW[b]!;
        if (hw === 0) continue;
        wl += hw;
        pl += histP[b]!;
        const wr = W - wl;
        if (wl < options.minSamplesLeaf || wr < options.minSamplesLeaf) continue;
        const pr = P - pl;
        const score = (pl * pl + (wl - pl) * (wl - pl)) / wl + (pr * pr + (wr - pr) * (wr - pr)) / wr;
        if (score > bestScore) {
          bestScore = score;
          bestFeature = f;
          bestBin = b;
        }
      }
      histW.fill(0, lo, hi + 1);
      histP.fill(0, lo, hi + 1);
    }
    if (bestFeature < 0) continue;

    // Partition rows[start, end) so rows with bin <= bestBin come first.
    let i = start;
    let j = end - 1;
    while (i <= j) {
      if (bins[rows[i]! * d + bestFeature]! <= bestBin) i++;
      else {
        const t = rows[i]!;
        rows[i] = rows[j]!;
        rows[j] = t;
        j--;
      }
    }
    // Gini decrease, weighted by node weight: W·gini(parent) − Σ W_child·gini(child) = bestScore − parentScore.
    importance[bestFeature]! += bestScore - parentScore;
    feature[node] = bestFeature;
    splitBin[node] = bestBin;
    const l = newNode();
    const r = newNode();
    left[node] = l;
    right[node] = r;
    stack.push(r, i, end, depth + 1);
    stack.push(l, start, i, depth + 1);
  }
  return {
    feature: feature.slice(0, size),
    splitBin: splitBin.slice(0, size),
    left: left.slice(0, size),
    right: right.slice(0, size),
    value: value.slice(0, size),
    size,
  };
}

/** The leaf a binned row ends in. */
export function leafOf(tree: Tree, bins: Uint8Array, offset: number): number {
  let node = 0;
  const { feature, splitBin, left, right } = tree;
  while (feature[node]! >= 0) node = bins[offset + feature[node]!]! <= splitBin[node]! ? left[node]! : right[node]!;
  return node;
}
