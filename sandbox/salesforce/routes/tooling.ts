import type { SandboxContext } from '../context.js';
import { describeObjectSummary } from '../describe.js';
import { notFound, SalesforceError } from '../errors.js';
import { json, noContent, type Route, readObject } from '../http.js';
import { normalizeId } from '../ids.js';
import {
  addressFields,
  customFieldDef,
  type FieldDef,
  locationFields,
  type ObjectDef,
  platformEventDef,
  type SfRecord,
} from '../schema.js';
import { formatDateTime } from '../values.js';

/** Objects whose custom fields crm-agent (or an admin) may add through the Tooling API. */
const CUSTOMIZABLE = ['Account', 'Contact', 'Lead', 'Opportunity', 'OpportunityLineItem', 'Task', 'Product2'];

/**
 * Tooling API metadata: custom fields on standard objects (created hidden: field-level security has to be granted
 * through a permission set before anyone can read or write them) and platform event definitions (`…__e`).
 */
export function toolingRoutes(ctx: SandboxContext): Route[] {
  const { state } = ctx;
  const toolingRow = (object: 'CustomField' | 'CustomObject', fields: SfRecord, metadata: Record<string, unknown>) => {
    const now = state.now();
    const id = state.nextId(object === 'CustomField' ? '00N' : '01I');
    state.insert(
      object,
      { Id: id, NamespacePrefix: null, CreatedDate: now, LastModifiedDate: now, ...fields },
      { quiet: true },
    );
    metadataById.set(id, metadata);
    return id;
  };
  const metadataById = new Map<string, Record<string, unknown>>();
  /** The objects a field table holds: custom activity fields (`Activity`) live on Task (and Event, not modelled). */
  const targetsOf = (table: string): ObjectDef[] =>
    table === 'Activity'
      ? ['Task', 'Event'].map((n) => state.object(n)).filter((d): d is ObjectDef => d !== undefined)
      : [state.object(table)].filter((d): d is ObjectDef => d !== undefined);
  const created = (id: string) => json(201, { id, success: true, errors: [], warnings: [], infos: [] });

  return [
    {
      method: 'GET',
      pattern: /^\/tooling\/sobjects\/?$/,
      handler: (request) =>
        json(200, {
          encoding: 'UTF-8',
          maxBatchSize: 200,
          sobjects: [...state.tooling.values()].map((d) => describeObjectSummary(d, request.version)),
        }),
    },
    {
      method: 'POST',
      pattern: /^\/tooling\/sobjects\/CustomField\/?$/i,
      handler: (request) => {
        const body = readObject(request);
        const fullName = String(body.FullName ?? '');
        const metadata = (body.Metadata ?? {}) as Record<string, unknown>;
        const m = /^(\w+)\.(\w+__c)$/.exec(fullName);
        if (!m)
          throw new SalesforceError(400, 'INVALID_FIELD', `Invalid FullName: ${fullName}. Use Object.Field__c`, [
            'FullName',
          ]);
        const table = m[1]!.toLowerCase() === 'activity' ? 'Activity' : (state.object(m[1]!)?.name ?? m[1]!);
        if (table === 'Task' || table === 'Event') {
          throw new SalesforceError(
            400,
            'INVALID_TYPE',
            `Cannot add custom fields to ${table}: custom activity fields are created on Activity (Activity.${m[2]})`,
          );
        }
        const defs = targetsOf(table);
        if (defs.length === 0 || !defs.every((d) => CUSTOMIZABLE.includes(d.name) || d.isPlatformEvent)) {
          throw new SalesforceError(400, 'INVALID_TYPE', `Cannot add custom fields to ${m[1]}`);
        }
        const name = m[2]!;
        if (defs.some((d) => d.fields.has(name.toLowerCase()))) {
          throw new SalesforceError(
            400,
            'DUPLICATE_DEVELOPER_NAME',
            `There is already a field named ${name.replace(/__c$/, '')} on ${table}.`,
          );
        }
        const made = fieldsFromMetadata(name, metadata, defs[0]!.isPlatformEvent ? 'profile' : 'permission-set');
        const field = made[0]!;
        let id = '';
        state.transaction(() => {
          for (const def of defs) {
            for (const f of made) {
              state.addField(def, { ...f });
              if (f.components) continue;
              for (const record of state.table(def.name).values()) record[f.name] = f.defaultValue ?? null;
            }
          }
          id = toolingRow(
            'CustomField',
            {
              DeveloperName: name.replace(/__c$/, ''),
              TableEnumOrId: table,
              FullName: `${table}.${name}`,
              Description: field.description ?? null,
            },
            metadata,
          );
        });
        return created(id);
      },
    },
    {
      // Updating a field's metadata replaces its definition: label, description, length, picklist values.
      method: 'PATCH',
      pattern: /^\/tooling\/sobjects\/CustomField\/(\w+)\/?$/i,
      handler: (request, [id]) => {
        const normalized = normalizeId(id!);
        const row = normalized ? state.get('CustomField', normalized) : undefined;
        if (!row) throw notFound();
        const metadata = (readObject(request).Metadata ?? {}) as Record<string, unknown>;
        const name = String(row.FullName).split('.')[1]!;
        const defs = targetsOf(String(row.TableEnumOrId));
        const current = defs[0]?.fields.get(name.toLowerCase());
        if (!current) throw notFound();
        const next = fieldFromMetadata(name, metadata, current.access);
        state.transaction(() => {
          for (const def of defs) {
            const field = def.fields.get(name.toLowerCase())!;
            if (next.type !== field.type) {
              // An admin changing the field's type (Setup's "Change Field Type", or this Tooling update): values
              // become text when the new type is text, and are lost otherwise ("Considerations for Converting the
              // Field Type of a Custom Field", help.salesforce.com, notes_on_changing_custom_field_types.htm).
              state.addField(def, { ...next, access: field.access });
              for (const record of state.table(def.name).values()) {
                const value = record[field.name];
                const asText = next.type === 'string' || next.type === 'textarea';
                record[field.name] = value === null || value === undefined || !asText ? null : String(value);
              }
              continue;
            }
            state.addField(def, {
              ...field,
              label: next.label,
              ...(next.length !== undefined ? { length: next.length } : {}),
              ...(next.picklist ? { picklist: next.picklist } : {}),
              ...(next.description !== undefined ? { description: next.description } : {}),
            });
          }
          state.patch('CustomField', row.Id as string, {
            Description: next.description ?? null,
            LastModifiedDate: state.now(),
          });
          metadataById.set(row.Id as string, metadata);
        });
        return noContent();
      },
    },
    {
      method: 'POST',
      pattern: /^\/tooling\/sobjects\/CustomObject\/?$/i,
      handler: (request) => {
        const body = readObject(request);
        const fullName = String(body.FullName ?? '');
        const metadata = (body.Metadata ?? {}) as Record<string, unknown>;
        if (!/^\w+__e$/.test(fullName)) {
          throw new SalesforceError(
            400,
            'INVALID_TYPE',
            `This org accepts platform event definitions (…__e) here; got ${fullName}`,
          );
        }
        if (state.object(fullName))
          throw new SalesforceError(400, 'DUPLICATE_DEVELOPER_NAME', `There is already an object named ${fullName}.`);
        let id = '';
        state.transaction(() => {
          state.addObject(platformEventDef(fullName, String(metadata.label ?? fullName)));
          id = toolingRow(
            'CustomObject',
            { DeveloperName: fullName.replace(/__e$/, ''), FullName: fullName },
            metadata,
          );
        });
        return created(id);
      },
    },
    {
      method: 'GET',
      pattern: /^\/tooling\/sobjects\/(CustomField|CustomObject)\/(\w+)\/?$/i,
      handler: (request, [object, id]) => {
        const def = state.object(object!, { tooling: true })!;
        const normalized = normalizeId(id!);
        const record = normalized ? state.get(def.name, normalized) : undefined;
        if (!record) throw notFound();
        const out: Record<string, unknown> = {
          attributes: {
            type: def.name,
            url: `/services/data/v${request.version}/tooling/sobjects/${def.name}/${record.Id}`,
          },
        };
        for (const field of def.fields.values()) {
          const v = record[field.name] ?? null;
          out[field.name] = field.type === 'datetime' && typeof v === 'number' ? formatDateTime(v) : v;
        }
        out.Metadata = metadataById.get(record.Id as string) ?? null;
        return json(200, out);
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/tooling\/sobjects\/CustomField\/(\w+)\/?$/i,
      handler: (_request, [id]) => {
        const normalized = normalizeId(id!);
        const row = normalized ? state.get('CustomField', normalized) : undefined;
        if (!row) throw notFound();
        const key = String(row.FullName).split('.')[1]!.toLowerCase();
        state.transaction(() => {
          for (const def of targetsOf(String(row.TableEnumOrId))) {
            def.fields.delete(key);
            // A compound's components go with it.
            for (const f of [...def.fields.values()])
              if (f.compoundFieldName?.toLowerCase() === key) def.fields.delete(f.name.toLowerCase());
          }
          state.purge('CustomField', row.Id as string);
        });
        return noContent();
      },
    },
  ];
}

/**
 * The fields a Tooling `CustomField` makes: one, or for a compound type (`Location`, `Address`) the compound and its
 * components (`X__Latitude__s`, `X__Longitude__s`; `X__Street__s`, `X__City__s`, …), as Salesforce does.
 */
function fieldsFromMetadata(name: string, metadata: Record<string, unknown>, access: FieldDef['access']): FieldDef[] {
  const label = requiredLabel(metadata);
  if (metadata.type === 'Location') {
    const scale = typeof metadata.scale === 'number' ? metadata.scale : 6;
    return locationFields(name, label, access, scale);
  }
  if (metadata.type === 'Address') {
    const base = name.replace(/__c$/, '');
    return addressFields(name, label, (part) => `${base}__${part}__s`, { custom: true, access });
  }
  return [fieldFromMetadata(name, metadata, access)];
}

function requiredLabel(metadata: Record<string, unknown>): string {
  if (typeof metadata.label !== 'string' || metadata.label === '') {
    throw new SalesforceError(400, 'REQUIRED_FIELD_MISSING', 'Required field is missing: label', ['label']);
  }
  return metadata.label;
}

/** A field definition from Tooling `Metadata` (label, type, length, precision, picklist value set…). */
function fieldFromMetadata(name: string, metadata: Record<string, unknown>, access: FieldDef['access']): FieldDef {
  const label = requiredLabel(metadata);
  if (metadata.type === 'Location' || metadata.type === 'Address')
    return fieldsFromMetadata(name, metadata, access)[0]!;
  const valueSet = metadata.valueSet as
    | { restricted?: boolean; valueSetDefinition?: { value?: Array<{ fullName?: string; label?: string }> } }
    | undefined;
  const values = valueSet?.valueSetDefinition?.value;
  const field = customFieldDef(
    name,
    {
      label,
      type: String(metadata.type ?? ''),
      ...(typeof metadata.length === 'number' ? { length: metadata.length } : {}),
      ...(typeof metadata.precision === 'number' ? { precision: metadata.precision } : {}),
      ...(typeof metadata.scale === 'number' ? { scale: metadata.scale } : {}),
      ...(metadata.externalId === true ? { externalId: true } : {}),
      ...(metadata.unique === true ? { unique: true } : {}),
      ...(typeof metadata.description === 'string' ? { description: metadata.description } : {}),
      ...(values
        ? {
            picklistValues: values.map((v) => String(v.fullName)),
            picklistLabels: Object.fromEntries(
              values.filter((v) => typeof v.label === 'string').map((v) => [String(v.fullName), String(v.label)]),
            ),
            restricted: valueSet?.restricted ?? false,
          }
        : {}),
    },
    access,
  );
  if (!field) {
    throw new SalesforceError(
      400,
      'FIELD_INTEGRITY_EXCEPTION',
      `Invalid or unsupported field type: ${String(metadata.type)}`,
      ['type'],
    );
  }
  if (field.type === 'string' && (field.length ?? 0) > 255) {
    throw new SalesforceError(400, 'FIELD_INTEGRITY_EXCEPTION', 'Length must be 255 or less for Text fields', [
      'length',
    ]);
  }
  return field;
}
