import { EngineInputError } from '../engine-error.js';
import { INF, isNaNNumber } from '../lib/math.js';
import { type Matrix, matrix } from '../lib/matrix.js';
import { type CsvTable, cellNumber } from './parse-csv.js';

/** Text columns with more distinct values than this share of rows are identifiers, not features. */
const ID_SHARE = 0.5;
const MAX_LEVELS = 50;

export interface LabelledMatrix {
  x: Matrix;
  y: Uint8Array;
  /** Columns left out, with why. */
  dropped: Array<{ column: string; reason: string }>;
}

/**
 * A labelled CSV as a feature matrix: number columns as they are (blank → missing), text columns one-hot
 * (one column per value, `name=value`, rarer values beyond 50 pooled as `name=other`). A column that is mostly
 * numbers but holds text is refused with the row and value, rather than silently read as a category.
 */
export function tableToMatrix(
  table: CsvTable,
  target: string,
  positive: string,
  drop: readonly string[] = [],
  what = 'the CSV',
): LabelledMatrix {
  const targetIndex = table.header.indexOf(target);
  if (targetIndex < 0) {
    throw new EngineInputError(`${what} has no column "${target}" (columns: ${table.header.join(', ')})`);
  }
  for (const d of drop) {
    if (!table.header.includes(d)) throw new EngineInputError(`${what} has no column "${d}" to leave out`);
  }
  const n = table.rows.length;
  const y = new Uint8Array(n);
  let positives = 0;
  const seenTargets = new Set<string>();
  table.rows.forEach((r, i) => {
    const v = r[targetIndex]!.trim();
    seenTargets.add(v);
    y[i] = v === positive ? 1 : 0;
    positives += y[i]!;
  });
  if (positives === 0) {
    throw new EngineInputError(
      `${what}: no row has ${target}="${positive}" (values seen: ${[...seenTargets].slice(0, 10).join(', ')}); one class only`,
    );
  }
  if (positives === n) throw new EngineInputError(`${what}: every row has ${target}="${positive}"; one class only`);

  const names: string[] = [];
  const columns: Array<(row: string[]) => number[]> = [];
  const dropped: LabelledMatrix['dropped'] = drop.map((column) => ({ column, reason: 'left out on request' }));
  table.header.forEach((name, j) => {
    if (j === targetIndex || drop.includes(name)) return;
    let numbers = 0;
    let texts = 0;
    let firstText = -1;
    const levels = new Map<string, number>();
    let min = INF;
    let max = -INF;
    for (let i = 0; i < n; i++) {
      const raw = table.rows[i]![j]!;
      const v = cellNumber(raw);
      if (v === undefined) {
        texts++;
        if (firstText < 0) firstText = i;
        const key = raw.trim();
        levels.set(key, (levels.get(key) ?? 0) + 1);
      } else if (!isNaNNumber(v)) {
        numbers++;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    if (texts > 0 && numbers > texts) {
      throw new EngineInputError(
        `${what}: column "${name}" holds numbers but line ${firstText + 2} has the text "${table.rows[firstText]![j]}"`,
      );
    }
    if (texts === 0) {
      if (numbers === 0) {
        dropped.push({ column: name, reason: 'every value is missing' });
        return;
      }
      if (min === max) {
        dropped.push({ column: name, reason: `constant (${min})` });
        return;
      }
      names.push(name);
      columns.push((row) => [cellNumber(row[j]!)!]);
      return;
    }
    if (levels.size > ID_SHARE * n && levels.size > MAX_LEVELS) {
      dropped.push({ column: name, reason: `an identifier (${levels.size} distinct values)` });
      return;
    }
    if (levels.size < 2 && numbers === 0) {
      dropped.push({ column: name, reason: 'constant text' });
      return;
    }
    const kept = [...levels.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, MAX_LEVELS)
      .map(([v]) => v)
      .sort();
    const pooled = levels.size > kept.length;
    const index = new Map(kept.map((v, k) => [v, k]));
    for (const v of kept) names.push(`${name}=${v}`);
    if (pooled) names.push(`${name}=other`);
    const width = kept.length + (pooled ? 1 : 0);
    columns.push((row) => {
      const out = new Array<number>(width).fill(0);
      const v = row[j]!.trim();
      const k = index.get(v);
      if (k !== undefined) out[k] = 1;
      else if (pooled && cellNumber(v) === undefined) out[width - 1] = 1;
      return out;
    });
  });
  if (names.length === 0) throw new EngineInputError(`${what}: no usable feature columns besides "${target}"`);
  const x = matrix(n, names);
  for (let i = 0; i < n; i++) {
    let k = i * names.length;
    for (const col of columns) for (const v of col(table.rows[i]!)) x.data[k++] = v;
  }
  return { x, y, dropped };
}
