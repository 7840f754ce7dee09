import { OUTPUT_FIELDS } from '../../../src/domain/output-fields.js';
import type { FieldValue } from '../../../src/ports/crm-writer.js';

const FIELDS = new Map(OUTPUT_FIELDS.map((f) => [f.name, f]));

/**
 * A value as HubSpot takes it on a record write (every property value is a string on the wire): numbers as decimal
 * strings, date properties as midnight UTC in milliseconds (HubSpot refuses any other time of day), datetimes as
 * ISO-8601 UTC, and '' to clear. https://developers.hubspot.com/docs/api/crm/properties#property-values
 */
export function wireValue(property: string, value: FieldValue): string {
  if (value === null) return '';
  const type = FIELDS.get(property)?.type;
  if (type === 'number') {
    const n = typeof value === 'number' ? value : Number(value);
    return Number.isFinite(n) ? String(n) : '';
  }
  if (type === 'date') {
    const ms = Date.parse(`${String(value).slice(0, 10)}T00:00:00.000Z`);
    return Number.isNaN(ms) ? String(value) : String(ms);
  }
  if (type === 'datetime') {
    const ms = typeof value === 'number' ? value : Date.parse(String(value));
    return Number.isNaN(ms) ? String(value) : new Date(ms).toISOString();
  }
  return String(value);
}

export function wireValues(values: Record<string, FieldValue>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, wireValue(name, value)]));
}
