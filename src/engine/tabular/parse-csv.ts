import { EngineInputError } from '../engine-error.js';
import { isFiniteNumber } from '../lib/math.js';

/** A parsed CSV: header names and rows of raw strings (RFC 4180 quoting; CRLF or LF). */
export interface CsvTable {
  header: string[];
  rows: string[][];
}

export function parseCsv(text: string, what = 'the CSV'): CsvTable {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let i = 0;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  while (i < src.length) {
    const ch = src[i]!;
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && src[i + 1] === '\n') i++;
      record.push(field);
      field = '';
      if (record.length > 1 || record[0] !== '') records.push(record);
      record = [];
    } else field += ch;
    i++;
  }
  if (quoted) throw new EngineInputError(`${what}: a quoted field is never closed`);
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  if (records.length === 0) throw new EngineInputError(`${what} is empty: expected a header line and rows`);
  const header = records[0]!.map((h) => h.trim());
  const seen = new Set<string>();
  for (const h of header) {
    if (h === '') throw new EngineInputError(`${what}: the header has an empty column name`);
    if (seen.has(h)) throw new EngineInputError(`${what}: the header names column "${h}" twice`);
    seen.add(h);
  }
  const rows = records.slice(1);
  rows.forEach((r, k) => {
    if (r.length !== header.length) {
      throw new EngineInputError(`${what}: line ${k + 2} has ${r.length} fields, the header has ${header.length}`);
    }
  });
  if (rows.length === 0) throw new EngineInputError(`${what} has a header but no rows`);
  return { header, rows };
}

const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '?']);

/** A cell as a number: NaN when blank/missing, undefined when it is text. */
export function cellNumber(raw: string): number | undefined {
  const s = raw.trim();
  if (MISSING.has(s.toLowerCase())) return Number.NaN;
  const v = Number(s);
  return isFiniteNumber(v) ? v : undefined;
}
