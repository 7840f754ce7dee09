import type { OutputField } from '../../../src/domain/output-fields.js';
import { CrmApiError } from '../../../src/lib/errors.js';
import type { Logger } from '../../../src/lib/logger.js';
import type { ProvisionReport, WritableObject } from '../../../src/ports/crm-writer.js';
import type { SalesforceClient } from '../client.js';
import { type Describe, describeSchema } from '../schemas.js';
import { quote } from '../soql.js';
import { ensureActionEvent } from './action-event.js';
import { type CustomFieldSpec, customFieldSpecs, valueSet } from './custom-fields.js';
import { grantFieldAccess } from './permission-set.js';
import { queryRows, toolingCreate } from './tooling.js';

type Options = ReadonlyArray<{ value: string; label: string }>;

/** Tooling field types as describe reports them. */
const DESCRIBE_TYPE: Record<string, string> = {
  Percent: 'percent',
  Number: 'double',
  LongTextArea: 'textarea',
  Text: 'string',
  Date: 'date',
  DateTime: 'datetime',
  Picklist: 'picklist',
};

/**
 * Creates or reconciles everything crm-agent writes into: its custom fields through the Tooling API (on Contact,
 * Lead, Account, Opportunity, and the task key on Activity), field-level security through its permission set, and
 * its Platform Event. Idempotent and cheap when nothing changed (a Tooling query, a few queries and describes): a
 * field that exists is never created again, and one whose label or picklist values differ is updated — picklist
 * values are only ever added, so values records hold stay valid.
 */
export async function provision(
  deps: { client: SalesforceClient; logger: Logger },
  request: { fields: readonly OutputField[]; segmentOptions: Options },
): Promise<ProvisionReport> {
  const { client } = deps;
  const report: ProvisionReport = { created: [], updated: [], unchanged: [] };
  const wanted = customFieldSpecs(request.fields, request.segmentOptions);

  // Tooling sees every field, also those field-level security still hides from describe and queries.
  const ids = await existingFieldIds(client, wanted);
  // A picklist is made once it has values (segments exist after the first engine run that found some).
  const specs = wanted.filter((s) => ids.has(s.fullName.toLowerCase()) || !s.options || s.options.length > 0);
  const existed = new Set(ids.keys());
  for (const spec of specs) {
    if (ids.has(spec.fullName.toLowerCase())) continue;
    const id = await toolingCreate(client, 'CustomField', spec.fullName, spec.metadata);
    if (id === 'exists') existed.add(spec.fullName.toLowerCase());
    else {
      ids.set(spec.fullName.toLowerCase(), id);
      report.created.push(spec.fullName);
      const objectType = WRITABLE_OF[spec.sobject];
      if (objectType) {
        report.made ??= [];
        report.made.push({ objectType, field: spec.apiName });
      }
    }
  }
  if ([...existed].some((name) => !ids.has(name))) {
    for (const [name, id] of await existingFieldIds(client, specs)) ids.set(name, id);
  }

  await grantFieldAccess(client, specs, report);

  const bySobject = new Map<string, CustomFieldSpec[]>();
  for (const spec of specs) {
    if (existed.has(spec.fullName.toLowerCase()))
      bySobject.set(spec.sobject, [...(bySobject.get(spec.sobject) ?? []), spec]);
  }
  for (const [sobject, list] of bySobject) {
    const describe = describeSchema.parse(
      await client.json({ method: 'GET', url: client.dataPath(`/sobjects/${sobject}/describe`) }),
    );
    for (const spec of list) {
      const id = ids.get(spec.fullName.toLowerCase());
      const retyped = retypedTo(spec, describe);
      if (retyped !== undefined) {
        // An admin changed its type: changing it back would convert or drop their values, so crm-agent leaves it
        // alone, says so per field, and the write plan goes on without it.
        deps.logger.warn({ field: spec.fullName, type: retyped }, 'a crm-agent field was retyped: left alone');
        const objectType = WRITABLE_OF[spec.sobject];
        if (objectType) {
          report.skipped ??= [];
          report.skipped.push({
            objectType,
            field: spec.apiName,
            reason: `its type is now ${retyped}, crm-agent writes ${DESCRIBE_TYPE[String(spec.metadata.type)]} (${spec.fullName})`,
          });
        }
        report.unchanged.push(spec.fullName);
        continue;
      }
      const metadata = id ? reconciled(spec, describe, deps.logger) : undefined;
      if (!id || !metadata) {
        report.unchanged.push(spec.fullName);
        continue;
      }
      try {
        await client.send({
          method: 'PATCH',
          url: client.dataPath(`/tooling/sobjects/CustomField/${id}`),
          body: JSON.stringify({ FullName: spec.fullName, Metadata: metadata }),
          headers: { 'content-type': 'application/json' },
          idempotent: true,
        });
        report.updated.push(spec.fullName);
      } catch (error) {
        // An existing field that cannot be brought in line is left as the admin has it: writes still work.
        if (!(error instanceof CrmApiError) || error.details.status !== 400) throw error;
        deps.logger.warn({ field: spec.fullName, err: error }, 'could not update an existing crm-agent field');
        report.unchanged.push(spec.fullName);
      }
    }
  }

  await ensureActionEvent(client, report);
  if (report.created.length + report.updated.length > 0) {
    deps.logger.info(
      { created: report.created.length, updated: report.updated.length },
      'provisioned crm-agent fields, permissions and event in Salesforce',
    );
  }
  return report;
}

/** `Table.Field__c` (lower case) → CustomField id, for the fields crm-agent wants that the org has. */
async function existingFieldIds(
  client: SalesforceClient,
  specs: readonly CustomFieldSpec[],
): Promise<Map<string, string>> {
  const names = [...new Set(specs.map((s) => s.apiName.replace(/__c$/, '')))];
  const rows = await queryRows(
    client,
    `SELECT Id, DeveloperName, TableEnumOrId FROM CustomField WHERE DeveloperName IN (${names.map(quote).join(', ')})`,
    { tooling: true },
  );
  const wanted = new Set(specs.map((s) => s.fullName.toLowerCase()));
  const out = new Map<string, string>();
  for (const row of rows) {
    const name = `${String(row.TableEnumOrId)}.${String(row.DeveloperName)}__c`.toLowerCase();
    if (wanted.has(name)) out.set(name, String(row.Id));
  }
  return out;
}

/** The sObjects whose fields crm-agent writes, as the write plan names them (a Lead is a canonical contact). */
const WRITABLE_OF: Readonly<Record<string, WritableObject>> = {
  Contact: 'contact',
  Lead: 'contact',
  Account: 'company',
  Opportunity: 'deal',
};

/** Describe types that take the same values: crm-agent writes text into any text field, numbers into any number. */
const FAMILY: Readonly<Record<string, string>> = {
  string: 'text',
  textarea: 'text',
  percent: 'number',
  double: 'number',
};

/**
 * The describe type of an existing field when it cannot take what crm-agent writes (an admin retyped it, say a
 * number field into a checkbox or text); undefined when it can.
 */
export function retypedTo(spec: CustomFieldSpec, describe: Describe): string | undefined {
  const current = describe.fields.find((f) => f.name.toLowerCase() === spec.apiName.toLowerCase());
  const wanted = DESCRIBE_TYPE[String(spec.metadata.type)];
  if (!current || !wanted) return undefined;
  return (FAMILY[current.type] ?? current.type) === (FAMILY[wanted] ?? wanted) ? undefined : current.type;
}

/**
 * The metadata to update an existing field with, or undefined when its label and picklist already match. A
 * picklist keeps every value it has (records may hold them) and gains the missing ones, labels as wanted now.
 */
function reconciled(spec: CustomFieldSpec, describe: Describe, logger: Logger): Record<string, unknown> | undefined {
  const current = describe.fields.find((f) => f.name.toLowerCase() === spec.apiName.toLowerCase()) as
    | (Describe['fields'][number] & {
        label?: string;
        picklistValues?: Array<{ value: string; label: string; active?: boolean }>;
        restrictedPicklist?: boolean;
      })
    | undefined;
  // Hidden from this user (field-level security not granted yet) or gone: nothing to compare with.
  if (!current) return undefined;
  const type = DESCRIBE_TYPE[String(spec.metadata.type)];
  if (type && current.type !== type) {
    // Someone made a field of this name with another type: crm-agent never changes a field's type.
    logger.warn(
      { field: spec.fullName, type: current.type, wanted: type },
      'an existing field has another type than crm-agent makes',
    );
    return undefined;
  }
  const labelDiffers = current.label !== spec.metadata.label;
  if (!spec.options) return labelDiffers ? spec.metadata : undefined;
  const have = new Map((current.picklistValues ?? []).map((v) => [v.value, v.label]));
  const missing = spec.options.filter((o) => have.get(o.value) !== o.label);
  if (!labelDiffers && missing.length === 0) return undefined;
  const wanted = new Map(spec.options.map((o) => [o.value, o.label]));
  const merged = [
    ...[...have].map(([value, label]) => ({ value, label: wanted.get(value) ?? label })),
    ...spec.options.filter((o) => !have.has(o.value)),
  ];
  const restricted = (spec.metadata.valueSet as { restricted?: boolean } | undefined)?.restricted ?? false;
  return { ...spec.metadata, valueSet: valueSet(merged, restricted) };
}
