import type { SandboxContext } from '../context.js';
import { describeObjectSummary } from '../describe.js';
import { notFound, SalesforceError } from '../errors.js';
import { json, noContent, type Route, readObject } from '../http.js';
import { normalizeId } from '../ids.js';
import { customFieldDef, platformEventDef, type SfRecord } from '../schema.js';
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
        const def = state.object(m[1]!);
        if (!def || !(CUSTOMIZABLE.includes(def.name) || def.isPlatformEvent)) {
          throw new SalesforceError(400, 'INVALID_TYPE', `Cannot add custom fields to ${m[1]}`);
        }
        const name = m[2]!;
        if (def.fields.has(name.toLowerCase())) {
          throw new SalesforceError(
            400,
            'DUPLICATE_DEVELOPER_NAME',
            `There is already a field named ${name.replace(/__c$/, '')} on ${def.name}.`,
          );
        }
        if (typeof metadata.label !== 'string' || metadata.label === '') {
          throw new SalesforceError(400, 'REQUIRED_FIELD_MISSING', 'Required field is missing: label', ['label']);
        }
        const valueSet = metadata.valueSet as
          | { restricted?: boolean; valueSetDefinition?: { value?: Array<{ fullName?: string }> } }
          | undefined;
        const field = customFieldDef(
          name,
          {
            label: metadata.label,
            type: String(metadata.type ?? ''),
            ...(typeof metadata.length === 'number' ? { length: metadata.length } : {}),
            ...(typeof metadata.precision === 'number' ? { precision: metadata.precision } : {}),
            ...(typeof metadata.scale === 'number' ? { scale: metadata.scale } : {}),
            ...(metadata.externalId === true ? { externalId: true } : {}),
            ...(metadata.unique === true ? { unique: true } : {}),
            ...(typeof metadata.description === 'string' ? { description: metadata.description } : {}),
            ...(valueSet?.valueSetDefinition?.value
              ? {
                  picklistValues: valueSet.valueSetDefinition.value.map((v) => String(v.fullName)),
                  restricted: valueSet.restricted ?? false,
                }
              : {}),
          },
          def.isPlatformEvent ? 'profile' : 'permission-set',
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
        let id = '';
        state.transaction(() => {
          state.addField(def, field);
          for (const record of state.table(def.name).values()) record[field.name] = field.defaultValue ?? null;
          id = toolingRow(
            'CustomField',
            {
              DeveloperName: name.replace(/__c$/, ''),
              TableEnumOrId: def.name,
              FullName: `${def.name}.${name}`,
              Description: field.description ?? null,
            },
            metadata,
          );
        });
        return created(id);
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
        const def = state.object(String(row.TableEnumOrId));
        const key = String(row.FullName).split('.')[1]!.toLowerCase();
        state.transaction(() => {
          def?.fields.delete(key);
          state.purge('CustomField', row.Id as string);
        });
        return noContent();
      },
    },
  ];
}
