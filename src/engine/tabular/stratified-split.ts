import { round } from '../lib/math.js';
import { Random } from '../lib/random.js';
import { shuffled } from '../lib/stats.js';

/**
 * Seeded stratified split: within each class, a shuffled `testShare` of rows goes to test. Both index lists are
 * ascending, so another tool given the same indexes (the Python benchmark) sees the same rows.
 */
export function stratifiedSplit(
  y: Uint8Array,
  testShare: number,
  seed: number,
): { train: Int32Array; test: Int32Array } {
  const rng = new Random(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const cls of [0, 1]) {
    const members: number[] = [];
    for (let i = 0; i < y.length; i++) if (y[i] === cls) members.push(i);
    const order = shuffled(members.length, rng);
    const nTest = round(members.length * testShare);
    for (let k = 0; k < order.length; k++) (k < nTest ? test : train).push(members[order[k]!]!);
  }
  return { train: Int32Array.from(train.sort((a, b) => a - b)), test: Int32Array.from(test.sort((a, b) => a - b)) };
}
