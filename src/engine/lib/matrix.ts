/** A dense row-major matrix of features with readable column names (they become the reasons reps see). */
export interface Matrix {
  rows: number;
  cols: number;
  /** Row-major: value of row i, column j at `data[i * cols + j]`; NaN marks a missing value. */
  data: Float64Array;
  names: string[];
}

export function matrix(rows: number, names: string[], data?: Float64Array): Matrix {
  const cols = names.length;
  const values = data ?? new Float64Array(rows * cols);
  if (values.length !== rows * cols)
    throw new Error(`matrix data has ${values.length} values, expected ${rows * cols}`);
  return { rows, cols, data: values, names };
}

/** The rows at `indexes`, in that order. */
export function takeRows(m: Matrix, indexes: ArrayLike<number>): Matrix {
  const out = new Float64Array(indexes.length * m.cols);
  for (let r = 0; r < indexes.length; r++) {
    const from = indexes[r]! * m.cols;
    out.set(m.data.subarray(from, from + m.cols), r * m.cols);
  }
  return { rows: indexes.length, cols: m.cols, data: out, names: m.names };
}

export function takeValues<T extends Uint8Array | Float64Array | Int32Array>(values: T, indexes: ArrayLike<number>): T {
  const out = new (values.constructor as new (n: number) => T)(indexes.length);
  for (let r = 0; r < indexes.length; r++) out[r] = values[indexes[r]!]!;
  return out;
}

/** The named columns, in that order, of the rows at `indexes` (all rows when absent), optionally into `buffer`. */
export function takeColumns(
  m: Matrix,
  names: readonly string[],
  indexes?: ArrayLike<number>,
  buffer?: Float64Array,
): Matrix {
  const cols = names.map((name) => {
    const j = m.names.indexOf(name);
    if (j < 0) throw new Error(`matrix has no column ${name} (has ${m.names.join(', ')})`);
    return j;
  });
  const rows = indexes ? indexes.length : m.rows;
  const d = cols.length;
  const out = buffer ? buffer.subarray(0, rows * d) : new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    const from = (indexes ? indexes[r]! : r) * m.cols;
    for (let q = 0; q < d; q++) out[r * d + q] = m.data[from + cols[q]!]!;
  }
  return { rows, cols: d, data: out, names: [...names] };
}
