/** Builds the SOQL the connector sends, with every value escaped and every id checked. */

/** A string literal: backslash and quote escaped, control characters as escapes (SOQL's rules). */
export function quote(value: string): string {
  return `'${value.replace(/[\\'"\n\r\t\b\f]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' })[c]!)}'`;
}

/** A record id (15 or 18 characters) as a literal; anything else is refused, never interpolated. */
export function idLiteral(id: string): string {
  if (!/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(id)) throw new Error(`not a Salesforce id: ${JSON.stringify(id)}`);
  return `'${id}'`;
}

/** A datetime literal, in whole seconds UTC (Salesforce stores timestamps to the second). */
export function dateTimeLiteral(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not a datetime: ${JSON.stringify(iso)}`);
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** A field or object name; refused unless it is a plain API name. */
export function name(value: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)?$/.test(value)) throw new Error(`not an API name: ${value}`);
  return value;
}

export interface Keyset {
  /** The timestamp and id of the last row already read. */
  ts: string;
  id: string;
}

/**
 * The rows after a keyset position in (timestamp, Id) order: `ts > T OR (ts = T AND Id > I)`. Many rows can share
 * one timestamp (a nightly job touches thousands in one second), so the Id breaks ties and none is skipped.
 */
export function after(field: string, position: Keyset): string {
  const t = dateTimeLiteral(position.ts);
  return `(${name(field)} > ${t} OR (${name(field)} = ${t} AND Id > ${idLiteral(position.id)}))`;
}

/** An id below every real id, for a keyset position that has read nothing yet at its timestamp. */
export const NO_ID = '000000000000000';

/** A watermark: the last row a complete pass read, and when that pass began reading (local time). */
export interface Watermark extends Keyset {
  readAt?: string;
}

/**
 * What an incremental pass reads: everything changed since `floor` (the watermark less an overlap, for late commits).
 * When the watermark's second was long over before the last pass read it (earlier than `readAt` less the overlap),
 * no row can still be stamped with it, so the rows at that second the last pass already read (Id ≤ its last Id) are
 * skipped: a nightly job can stamp tens of thousands of rows with one second, and they are not read again every
 * run. A recent watermark second is read again whole: a row edited within it after the read shares its timestamp.
 */
export function changedSince(field: string, floor: string, watermark: Watermark, overlapSeconds: number): string {
  const f = name(field);
  const settled =
    watermark.readAt !== undefined && Date.parse(watermark.ts) <= Date.parse(watermark.readAt) - overlapSeconds * 1000;
  if (!settled) return `${f} >= ${dateTimeLiteral(floor)}`;
  const w = dateTimeLiteral(watermark.ts);
  return `((${f} >= ${dateTimeLiteral(floor)} AND ${f} < ${w}) OR ${f} > ${w} OR (${f} = ${w} AND Id > ${idLiteral(watermark.id)}))`;
}

export function select(options: {
  /** The fields to read; `'COUNT()'` alone counts the rows instead. */
  fields: readonly string[] | 'COUNT()';
  object: string;
  where?: ReadonlyArray<string | undefined>;
  orderBy?: readonly string[];
  limit?: number;
}): string {
  const where = (options.where ?? []).filter((w): w is string => w !== undefined && w !== '');
  return [
    `SELECT ${options.fields === 'COUNT()' ? 'COUNT()' : options.fields.map(name).join(', ')} FROM ${name(options.object)}`,
    where.length > 0 ? `WHERE ${where.join(' AND ')}` : '',
    options.orderBy?.length ? `ORDER BY ${options.orderBy.map((o) => `${name(o)} ASC`).join(', ')}` : '',
    options.limit !== undefined ? `LIMIT ${Math.floor(options.limit)}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}
