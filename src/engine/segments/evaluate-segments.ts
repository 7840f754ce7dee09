import { EngineInputError } from '../engine-error.js';
import { isNaNNumber, min, sqrt } from '../lib/math.js';
import { Random } from '../lib/random.js';
import { shuffled } from '../lib/stats.js';
import { type CsvTable, cellNumber } from '../tabular/parse-csv.js';
import { kmeans, silhouette } from './kmeans.js';

export interface SegmentsEvaluation {
  inertia: number;
  silhouette: number;
  silhouetteSample: number;
  seconds: number;
  rows: number;
  columns: string[];
  ignored: string[];
}

/**
 * A numeric table standardised (z-scores per column) for k-means: text identifier columns (mostly distinct
 * values) are ignored, any other text is refused, as are missing values (k-means needs every value).
 */
export function standardisedTable(
  table: CsvTable,
  what = 'the CSV',
): { data: Float64Array; rows: number; columns: string[]; ignored: string[] } {
  const n = table.rows.length;
  const columns: number[] = [];
  const ignored: string[] = [];
  table.header.forEach((name, j) => {
    let texts = 0;
    const distinct = new Set<string>();
    for (let i = 0; i < n; i++) {
      const raw = table.rows[i]![j]!;
      const v = cellNumber(raw);
      if (v === undefined) {
        texts++;
        distinct.add(raw);
      } else if (isNaNNumber(v)) {
        throw new EngineInputError(`${what}: column "${name}" line ${i + 2} is missing; k-means needs every value`);
      }
    }
    if (texts === 0) columns.push(j);
    else if (texts === n && distinct.size > 0.5 * n) ignored.push(name);
    else {
      const line = table.rows.findIndex((r) => cellNumber(r[j]!) === undefined) + 2;
      throw new EngineInputError(
        `${what}: column "${name}" has text ("${table.rows[line - 2]![j]}" on line ${line}); segments need numbers`,
      );
    }
  });
  if (columns.length === 0) throw new EngineInputError(`${what} has no number columns to segment on`);
  const d = columns.length;
  const data = new Float64Array(n * d);
  columns.forEach((j, q) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += cellNumber(table.rows[i]![j]!)!;
    const mean = s / n;
    let s2 = 0;
    for (let i = 0; i < n; i++) s2 += (cellNumber(table.rows[i]![j]!)! - mean) ** 2;
    const sd = sqrt(s2 / n);
    for (let i = 0; i < n; i++) data[i * d + q] = sd > 0 ? (cellNumber(table.rows[i]![j]!)! - mean) / sd : 0;
  });
  return { data, rows: n, columns: columns.map((j) => table.header[j]!), ignored };
}

export function evaluateSegments(
  table: CsvTable,
  k: number,
  options: {
    seed: number;
    starts: number;
    what?: string;
    /** Steps done of two (the fit, the silhouette), for a terminal's progress bar. */
    onProgress?: (done: number, total: number) => void;
  },
): SegmentsEvaluation {
  const t = standardisedTable(table, options.what);
  if (!(Number.isInteger(k) && k >= 2 && k <= t.rows)) {
    throw new EngineInputError(`k must be an integer from 2 to the number of rows (${t.rows}), got ${k}`);
  }
  const t0 = performance.now();
  options.onProgress?.(0, 2);
  const fit = kmeans(t.data, t.rows, t.columns.length, { k, seed: options.seed, starts: options.starts });
  const seconds = (performance.now() - t0) / 1000;
  options.onProgress?.(1, 2);
  const sampleSize = min(t.rows, 5000);
  const sample = shuffled(t.rows, new Random(options.seed).fork('silhouette')).subarray(0, sampleSize);
  const score = silhouette(t.data, t.columns.length, fit.labels, k, sample);
  options.onProgress?.(2, 2);
  return {
    inertia: fit.inertia,
    silhouette: score,
    silhouetteSample: sampleSize,
    seconds,
    rows: t.rows,
    columns: t.columns,
    ignored: t.ignored,
  };
}
