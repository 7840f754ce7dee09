import type { OutputField } from '../../../src/domain/output-fields.js';
import type { FieldValue } from '../../../src/ports/crm-writer.js';
import { SOBJECTS_OF } from './sobjects.js';

/** The Task field holding each task's key: an External ID, unique, so tasks are upserted by key and never doubled. */
export const TASK_KEY_FIELD = 'CrmAgent_Task_Key__c';

/** One custom field crm-agent keeps in the org. */
export interface CustomFieldSpec {
  /** Where Tooling files it: an sObject, or `Activity` for fields on Task (and Event). */
  table: string;
  /** The sObject whose describe and field-level security carry it (Activity fields: Task). */
  sobject: string;
  apiName: string;
  /** `Table.Field__c`, the Tooling API's FullName. */
  fullName: string;
  /** Tooling API `Metadata` for a create (a picklist's value set as wanted now). */
  metadata: Record<string, unknown>;
  /** Picklists: the values and labels the field must offer. */
  options?: ReadonlyArray<{ value: string; label: string }>;
}

/**
 * Tooling `Metadata` of an output field, matching the source crm-agent ships (src/manifest/salesforce-metadata.ts):
 * percents and numbers, long text (values are cut at 1,000 characters), date, datetime, and picklists — restricted
 * when the options are fixed, unrestricted when they follow the data (segment names), so a new segment is writable
 * even before provisioning adds its label.
 */
export function outputFieldMetadata(
  field: OutputField,
  options: ReadonlyArray<{ value: string; label: string }>,
): Record<string, unknown> {
  const base = { label: field.label, description: field.description };
  switch (field.type) {
    case 'number':
      return field.percent
        ? { ...base, type: 'Percent', precision: 5, scale: 1 }
        : { ...base, type: 'Number', precision: 18, scale: 2 };
    case 'text':
      return { ...base, type: 'LongTextArea', length: 1000, visibleLines: 3 };
    case 'date':
      return { ...base, type: 'Date' };
    case 'datetime':
      return { ...base, type: 'DateTime' };
    case 'enumeration':
      return { ...base, type: 'Picklist', valueSet: valueSet(options, field.options !== undefined) };
  }
}

export function valueSet(
  options: ReadonlyArray<{ value: string; label: string }>,
  restricted: boolean,
): Record<string, unknown> {
  return {
    restricted,
    valueSetDefinition: {
      sorted: false,
      value: options.map((o) => ({ fullName: o.value, label: o.label, default: false })),
    },
  };
}

/** Every custom field crm-agent needs: each output field on each sObject of its objects, and the task key. */
export function customFieldSpecs(
  fields: readonly OutputField[],
  segmentOptions: ReadonlyArray<{ value: string; label: string }>,
): CustomFieldSpec[] {
  const specs: CustomFieldSpec[] = [];
  for (const field of fields) {
    const options = field.type === 'enumeration' ? (field.options ?? segmentOptions) : undefined;
    for (const object of field.objects) {
      for (const sobject of SOBJECTS_OF[object]) {
        specs.push({
          table: sobject,
          sobject,
          apiName: field.apiName,
          fullName: `${sobject}.${field.apiName}`,
          metadata: outputFieldMetadata(field, options ?? []),
          ...(options ? { options } : {}),
        });
      }
    }
  }
  specs.push({
    table: 'Activity',
    sobject: 'Task',
    apiName: TASK_KEY_FIELD,
    fullName: `Activity.${TASK_KEY_FIELD}`,
    metadata: {
      label: 'crm-agent task key',
      description: 'The next-best-action episode this task was made for (crm-agent upserts tasks by it)',
      type: 'Text',
      length: 80,
      externalId: true,
      unique: true,
      caseSensitive: true,
    },
  });
  return specs;
}

/** A value as Salesforce's REST API takes it for the field: numbers, `YYYY-MM-DD`, ISO datetimes, text; null clears. */
export function salesforceValue(field: OutputField, value: FieldValue): string | number | null {
  if (value === null || value === '') return null;
  switch (field.type) {
    case 'number': {
      const n = typeof value === 'number' ? value : Number(value);
      return Number.isFinite(n) ? n : null;
    }
    case 'date':
      return String(value).slice(0, 10);
    case 'datetime': {
      const ms = typeof value === 'number' ? value : Date.parse(value);
      return Number.isNaN(ms) ? null : new Date(ms).toISOString();
    }
    default:
      return String(value);
  }
}
