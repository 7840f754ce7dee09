import { SalesforceError } from './errors.js';
import { normalizeId } from './ids.js';
import type { FieldDef, SfRecord, Value } from './schema.js';

/** Salesforce's datetime format on the wire: `2026-11-01T09:30:00.000+0000`. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** A stored value as the REST API writes it in JSON. */
export function toJsonValue(field: FieldDef, value: Value | undefined): Value {
  if (value === undefined || value === null) return null;
  if (field.type === 'datetime' && typeof value === 'number') return formatDateTime(value);
  return value;
}

/** A stored value as Bulk API CSV writes it (nulls are empty cells). */
export function toCsvValue(field: FieldDef, value: Value | undefined): string {
  const v = toJsonValue(field, value);
  return v === null ? '' : String(v);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:?\d{2})?$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Parses a datetime as the API accepts it (ISO-8601, offset optional: GMT assumed); whole seconds kept. */
export function parseDateTime(value: string): number | undefined {
  if (!DATETIME.test(value)) return undefined;
  const normalized = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const withZone = /(?:Z|[+-]\d{2}:\d{2})$/.test(normalized) ? normalized : `${normalized}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000) * 1000;
}

/**
 * Turns one input value (JSON from REST, or a CSV cell from Bulk) into the stored value, or says why it cannot.
 * JSON type mismatches are JSON_PARSER_ERRORs (the whole request fails, as Salesforce's deserializer does);
 * content problems (length, picklist, email, ids) are per-record errors with the field named.
 */
export function coerceValue(field: FieldDef, raw: unknown, source: 'json' | 'csv'): Value {
  if (raw === null || raw === undefined || (source === 'csv' && (raw === '' || raw === '#N/A'))) return null;
  const parseError = (expected: string) =>
    source === 'json'
      ? new SalesforceError(
          400,
          'JSON_PARSER_ERROR',
          `Cannot deserialize instance of ${expected} from ${typeof raw === 'string' ? 'VALUE_STRING' : 'VALUE'} value ${String(raw)} or request may be missing a required field`,
        )
      : new SalesforceError(400, 'INVALID_FIELD', `${field.label}: value not of required type: ${String(raw)}`, [
          field.name,
        ]);
  switch (field.type) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string' && /^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
      throw parseError('boolean');
    }
    case 'int':
    case 'double':
    case 'currency':
    case 'percent': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
      if (!Number.isFinite(n)) throw parseError('double');
      return field.type === 'int' ? Math.trunc(n) : n;
    }
    case 'date': {
      if (typeof raw !== 'string') throw parseError('date');
      const day = raw.slice(0, 10);
      if (!DATE.test(day) || Number.isNaN(Date.parse(day))) throw parseError('date');
      return day;
    }
    case 'datetime': {
      const ms = typeof raw === 'string' ? (DATE.test(raw) ? Date.parse(raw) : parseDateTime(raw)) : undefined;
      if (ms === undefined || Number.isNaN(ms)) throw parseError('datetime');
      return ms;
    }
    case 'id':
    case 'reference': {
      if (typeof raw !== 'string') throw parseError('id');
      const id = normalizeId(raw);
      if (!id)
        throw new SalesforceError(400, 'MALFORMED_ID', `${field.label}: id value of incorrect type: ${raw}`, [
          field.name,
        ]);
      return id;
    }
    default: {
      if (typeof raw === 'object') throw parseError('string');
      const s = String(raw);
      if (field.length !== undefined && s.length > field.length) {
        throw new SalesforceError(
          400,
          'STRING_TOO_LONG',
          `${field.label}: data value too large: ${s.slice(0, 40)} (max length=${field.length})`,
          [field.name],
        );
      }
      if (field.type === 'email' && !EMAIL.test(s)) {
        throw new SalesforceError(400, 'INVALID_EMAIL_ADDRESS', `${field.label}: invalid email address: ${s}`, [
          field.name,
        ]);
      }
      if (field.type === 'picklist' && field.picklist?.restricted && !field.picklist.values.includes(s)) {
        throw new SalesforceError(
          400,
          'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          `${field.label}: bad value for restricted picklist field: ${s}`,
          [field.name],
        );
      }
      return s;
    }
  }
}

/** A copy of a record with only the given fields (and nothing undefined). */
export function pick(record: SfRecord, names: readonly string[]): SfRecord {
  const out: SfRecord = {};
  for (const name of names) out[name] = record[name] ?? null;
  return out;
}
