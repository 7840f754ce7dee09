import { z } from 'zod';
import type { ObjectType, RawProperties } from '../../src/domain/records.js';
import type { RecordChanges } from '../../src/ports/crm-connector.js';
import type { SalesforceSettings } from './settings.js';

/** A row as a query returns it (REST JSON, or a Bulk CSV row converted to the same types). */
export type Row = Record<string, unknown>;

/** Salesforce datetimes (`2026-11-01T09:30:00.000+0000`) and dates (`2026-11-01`) as ISO-8601 UTC. */
export function isoDateTime(value: string): string {
  // The shape Salesforce always sends, converted without parsing (this runs for every timestamp of every row).
  if (value.length === 28 && value.endsWith('+0000') && value[10] === 'T' && value[19] === '.') {
    return `${value.slice(0, 23)}Z`;
  }
  if (value.length === 10 && value[4] === '-' && value[7] === '-') return `${value}T00:00:00.000Z`;
  const normalized = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? `${value}T00:00:00Z`
    : value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(normalized);
  if (Number.isNaN(ms)) throw new Error(`not a date: ${value}`);
  return new Date(ms).toISOString();
}

export const id = z.string().regex(/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/, 'not a Salesforce id');
export const text = z
  .string()
  .nullish()
  .transform((v) => v ?? null);
export const refId = id.nullish().transform((v) => v ?? null);
export const num = z
  .number()
  .nullish()
  .transform((v) => v ?? null);
export const bool = z
  .boolean()
  .nullish()
  .transform((v) => v ?? false);
export const when = z
  .string()
  .nullish()
  .transform((v, ctx) => {
    if (v === null || v === undefined) return null;
    try {
      return isoDateTime(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: `not a date or datetime: ${v}` });
      return z.NEVER;
    }
  });
export const base = z.looseObject({
  Id: id,
  IsDeleted: bool,
  CreatedDate: when,
  LastModifiedDate: when,
  SystemModstamp: when,
});

/** What one page of rows of an object changes locally. */
export interface Mapped {
  changes: RecordChanges;
  /** Rows that could not be mapped: reported, the sync goes on. */
  rejected: NonNullable<RecordChanges['rejected']>;
}

export interface ObjectSpec {
  object: string;
  type: ObjectType;
  /** Fields the mapping reads; queried when the org has them. */
  fields: readonly string[];
  /** Maps one page of rows into changes (records, removals, associations). */
  map(rows: readonly Row[], settings: SalesforceSettings): Mapped;
}

/** Unmapped fields of a row, as the CRM sent them (strings), for `properties`. */
export function properties(row: Row, mapped: ReadonlySet<string>): RawProperties {
  const out: RawProperties = {};
  for (const [key, value] of Object.entries(row)) {
    if (key === 'attributes' || mapped.has(key) || (typeof value === 'object' && value !== null)) continue;
    out[key] = value === null || value === undefined ? null : String(value);
  }
  return out;
}

/** The fields a schema reads: what a spec queries and what stays out of `properties`. */
export const keysOf = (schema: { shape: object }) => Object.keys(schema.shape);

export function recordBase(row: z.infer<typeof base>) {
  return {
    id: row.Id,
    createdAt: row.CreatedDate,
    updatedAt: row.LastModifiedDate ?? row.SystemModstamp,
    archived: false,
    archivedAt: null,
    mergedInto: null,
  };
}

/**
 * The shared shape of every mapping: validate each row, turn deleted (or merged, or converted) rows into removals,
 * map the rest, and report rows that fail instead of stopping.
 */
export function mapWith<S extends z.ZodType<z.infer<typeof base>>, R>(
  type: ObjectType,
  schema: S,
  rows: readonly Row[],
  toRecord: (row: z.infer<S>, raw: Row) => R,
  removal?: (row: z.infer<S>) => { mergedInto: string | null } | undefined,
): {
  records: R[];
  removals: NonNullable<RecordChanges['removals']>;
  rejected: Mapped['rejected'];
  live: Array<z.infer<S>>;
} {
  const records: R[] = [];
  const removals: NonNullable<RecordChanges['removals']> = [];
  const rejected: Mapped['rejected'] = [];
  const live: Array<z.infer<S>> = [];
  for (const raw of rows) {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      rejected.push({
        type,
        id: typeof raw.Id === 'string' ? raw.Id : '(no id)',
        reason: `${issue?.path.join('.') || 'row'}: ${issue?.message ?? 'invalid'}`,
      });
      continue;
    }
    const row = parsed.data;
    const gone = row.IsDeleted
      ? { mergedInto: (raw.MasterRecordId as string | null | undefined) ?? null }
      : removal?.(row);
    if (gone) {
      removals.push({
        type,
        id: row.Id,
        at: row.SystemModstamp ?? new Date(0).toISOString(),
        mergedInto: gone.mergedInto,
      });
      continue;
    }
    records.push(toRecord(row, raw));
    live.push(row);
  }
  return { records, removals, rejected, live };
}
