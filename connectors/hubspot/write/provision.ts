import { type OutputField, PROPERTY_GROUP } from '../../../src/domain/output-fields.js';
import type { Logger } from '../../../src/lib/logger.js';
import type { ProvisionReport, WritableObject } from '../../../src/ports/crm-writer.js';
import { HubSpotApiError, type HubSpotClient } from '../client.js';
import { PropertiesPage, type Property, PropertyBatch, PropertyGroup } from '../schemas.js';
import { TASK_KEY_PROPERTY } from './tasks.js';
import { API_TYPE } from './write-fields.js';

/** A property as crm-agent wants it (the body of `POST /crm/v3/properties/{type}`). */
export interface PropertySpec {
  name: string;
  label: string;
  description: string;
  groupName: string;
  type: 'string' | 'number' | 'date' | 'datetime' | 'enumeration';
  fieldType: 'text' | 'textarea' | 'number' | 'date' | 'select';
  options?: Array<{ label: string; value: string; displayOrder: number; hidden: boolean }>;
  hasUniqueValue?: boolean;
}

const TYPES: Record<OutputField['type'], Pick<PropertySpec, 'type' | 'fieldType'>> = {
  text: { type: 'string', fieldType: 'textarea' },
  number: { type: 'number', fieldType: 'number' },
  enumeration: { type: 'enumeration', fieldType: 'select' },
  date: { type: 'date', fieldType: 'date' },
  datetime: { type: 'datetime', fieldType: 'date' },
};

/** The task property carrying crm-agent's task key: unique, so a key can have only one task and be looked up. */
export const TASK_KEY_SPEC: PropertySpec = {
  name: TASK_KEY_PROPERTY,
  label: 'crm-agent task key',
  description: 'Which next-best-action made this task (crm-agent creates each task once by this key)',
  groupName: PROPERTY_GROUP.name,
  type: 'string',
  fieldType: 'text',
  hasUniqueValue: true,
};

/**
 * The properties crm-agent wants per HubSpot object type: every output field of the object, and the task key on
 * tasks. The segment enumeration takes the run's segment names as options; with no segments yet it is left out
 * (HubSpot requires options on an enumeration), and made on the first run that has some.
 */
export function wantedProperties(
  fields: readonly OutputField[],
  segmentOptions: ReadonlyArray<{ value: string; label: string }>,
): Map<string, PropertySpec[]> {
  const out = new Map<string, PropertySpec[]>();
  for (const [objectType, apiType] of Object.entries(API_TYPE) as Array<[keyof typeof API_TYPE, string]>) {
    const specs: PropertySpec[] = [];
    for (const field of fields) {
      if (!field.objects.includes(objectType)) continue;
      const options = field.type === 'enumeration' ? (field.options ?? segmentOptions) : undefined;
      if (options && options.length === 0) continue;
      specs.push({
        name: field.name,
        label: field.label,
        description: field.description,
        groupName: PROPERTY_GROUP.name,
        ...TYPES[field.type],
        ...(options
          ? { options: options.map((o, i) => ({ label: o.label, value: o.value, displayOrder: i, hidden: false })) }
          : {}),
      });
    }
    out.set(apiType, specs);
  }
  out.set('tasks', [TASK_KEY_SPEC]);
  return out;
}

/**
 * Makes HubSpot hold crm-agent's property group and properties, idempotently: one read of each object's properties;
 * missing ones created in one `batch/create` (the group first, a 409 meaning it exists); existing ones whose label,
 * description, group, type or options differ reconciled with PATCH (options are replaced as a whole, so options
 * crm-agent no longer offers stay, hidden, for the records that still hold them). A 409 on create means another
 * process made it meanwhile: it is read and reconciled like any existing one. A run where everything is in place
 * costs one GET per object type.
 */
export async function provisionHubSpot(
  client: HubSpotClient,
  logger: Logger,
  request: {
    fields: readonly OutputField[];
    segmentOptions: Array<{ value: string; label: string }>;
    /** Read only: report what would be made, changed and left alone, and the calls it would cost. */
    dryRun?: boolean;
  },
): Promise<ProvisionReport> {
  const report: ProvisionReport = { created: [], updated: [], unchanged: [], calls: { checks: 0, changes: 0 } };
  const wanted = wantedProperties(request.fields, request.segmentOptions);
  for (const [apiType, specs] of wanted)
    await provisionType(client, logger, apiType, specs, report, request.dryRun === true);
  return report;
}

async function provisionType(
  client: HubSpotClient,
  logger: Logger,
  apiType: string,
  specs: PropertySpec[],
  report: ProvisionReport,
  dryRun: boolean,
): Promise<void> {
  const calls = report.calls!;
  const listed = await client.request(
    { method: 'GET', path: `/crm/v3/properties/${apiType}`, budget: 'burst', idempotent: true },
    PropertiesPage,
  );
  calls.checks += 1;
  // A property in crm-agent's group shows the group exists (an admin deleted properties, not the group).
  const groupExists = listed.results.some((p) => p.groupName === PROPERTY_GROUP.name);
  const existing = new Map(listed.results.filter((p) => !p.archived).map((p) => [p.name, p]));
  for (const spec of specs) {
    // hasUniqueValue cannot be changed once a property exists: the task key then cannot guard against duplicates.
    if (spec.hasUniqueValue && existing.has(spec.name) && existing.get(spec.name)!.hasUniqueValue !== true)
      logger.error({ object: apiType, property: spec.name }, 'a crm-agent key property exists without unique values');
  }
  // A property an admin deleted is missing (archived) and made again; one retyped to a type crm-agent cannot write
  // is left alone (changing it back would convert or drop the admin's values) and reported.
  const objectType = (Object.entries(API_TYPE) as Array<[WritableObject, string]>).find(([, a]) => a === apiType)?.[0];
  const retyped = specs.filter((s) => {
    const found = existing.get(s.name);
    return found !== undefined && objectType !== undefined && !writableAs(s, found);
  });
  if (retyped.length > 0) report.skipped ??= [];
  for (const spec of retyped) {
    const found = existing.get(spec.name)!;
    report.skipped?.push({
      objectType: objectType!,
      field: spec.name,
      reason: `its type is now ${found.type}, crm-agent writes ${spec.type} (${apiType}.${spec.name})`,
    });
    logger.warn({ object: apiType, property: spec.name, type: found.type }, 'a crm-agent property was retyped');
  }
  const usable = specs.filter((s) => !retyped.includes(s));
  const missing = usable.filter((s) => !existing.has(s.name));
  const changes = usable.flatMap((s) => {
    const found = existing.get(s.name);
    const patch = found ? reconcile(s, found) : undefined;
    return patch ? [{ spec: s, patch }] : [];
  });
  const needGroup = (missing.length > 0 || changes.some((c) => 'groupName' in c.patch)) && !groupExists;
  for (const spec of usable) {
    if (existing.has(spec.name) && !changes.some((c) => c.spec === spec))
      report.unchanged.push(`${apiType}.${spec.name}`);
  }
  if (dryRun) {
    // What the real run sends: the group (one POST), one batch/create per 100 missing, one PATCH per change. Only a
    // race (another process making the same property meanwhile) or a group without crm-agent's properties in it
    // costs the real run more (a re-read; a GET of the group).
    calls.changes += (needGroup ? 1 : 0) + Math.ceil(missing.length / 100) + changes.length;
    report.created.push(...missing.map((s) => `${apiType}.${s.name}`));
    report.updated.push(...changes.map((c) => `${apiType}.${c.spec.name}`));
    return;
  }
  if (needGroup) await ensureGroup(client, apiType, report);
  if (missing.length > 0) {
    const raced = await createProperties(client, logger, apiType, missing, report);
    if (raced.length > 0) {
      // Made by someone else between our read and our create: read them now and reconcile like existing ones.
      calls.checks += 1;
      const again = await client.request(
        { method: 'GET', path: `/crm/v3/properties/${apiType}`, budget: 'burst', idempotent: true },
        PropertiesPage,
      );
      for (const spec of raced) {
        const found = again.results.find((p) => p.name === spec.name && !p.archived);
        if (!found) {
          logger.error({ object: apiType, property: spec.name }, 'HubSpot neither made nor has a crm-agent property');
          continue;
        }
        const patch = reconcile(spec, found);
        if (patch) changes.push({ spec, patch });
        else report.unchanged.push(`${apiType}.${spec.name}`);
      }
    }
  }
  for (const { spec, patch } of changes) {
    try {
      calls.changes += 1;
      await client.send({
        method: 'PATCH',
        path: `/crm/v3/properties/${apiType}/${encodeURIComponent(spec.name)}`,
        body: patch,
        budget: 'burst',
        idempotent: true,
      });
      report.updated.push(`${apiType}.${spec.name}`);
    } catch (error) {
      if (!(error instanceof HubSpotApiError) || error.details.status !== 400) throw error;
      // HubSpot refuses some changes (a type change while records hold values): writes go on with it as it is.
      logger.warn({ object: apiType, property: spec.name, err: error }, 'cannot reconcile a crm-agent property');
      report.unchanged.push(`${apiType}.${spec.name}`);
    }
  }
}

/**
 * Whether crm-agent can write its values into a property as it exists: only the type it makes (its field type may
 * differ; reconciling moves that back). Anything else (say a number property turned into text, a checkbox or a
 * date) is an admin's change crm-agent does not undo: changing the type back would convert or drop their values.
 */
export function writableAs(spec: PropertySpec, found: Property): boolean {
  return found.type === spec.type;
}

/** The PATCH that makes an existing property what crm-agent wants, or undefined when it already is. */
export function reconcile(spec: PropertySpec, found: Property): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  if (found.label !== spec.label) patch.label = spec.label;
  if ((found.description ?? '') !== spec.description) patch.description = spec.description;
  if (found.groupName !== spec.groupName) patch.groupName = spec.groupName;
  if (found.type !== spec.type || (found.fieldType !== undefined && found.fieldType !== spec.fieldType)) {
    patch.type = spec.type;
    patch.fieldType = spec.fieldType;
  }
  if (spec.options) {
    const offered = new Set(spec.options.map((o) => o.value));
    const kept = (found.options ?? [])
      .filter((o) => !offered.has(o.value))
      .map((o, i) => ({ label: o.label, value: o.value, displayOrder: spec.options!.length + i, hidden: true }));
    const options = [...spec.options, ...kept];
    const current = new Map((found.options ?? []).map((o) => [o.value, o]));
    const same =
      current.size === options.length &&
      options.every((o) => {
        const c = current.get(o.value);
        return c !== undefined && c.label === o.label && (c.hidden ?? false) === o.hidden;
      });
    if (!same) patch.options = options;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** Creates the `crm_agent` group on an object type; 409 means it exists (its label is then reconciled). */
async function ensureGroup(client: HubSpotClient, apiType: string, report: ProvisionReport): Promise<void> {
  const name = `${apiType}.group:${PROPERTY_GROUP.name}`;
  const calls = report.calls ?? { checks: 0, changes: 0 };
  try {
    calls.changes += 1;
    await client.request(
      {
        method: 'POST',
        path: `/crm/v3/properties/${apiType}/groups`,
        body: { name: PROPERTY_GROUP.name, label: PROPERTY_GROUP.label },
        budget: 'burst',
        idempotent: false,
      },
      PropertyGroup,
    );
    report.created.push(name);
  } catch (error) {
    if (!(error instanceof HubSpotApiError) || error.details.status !== 409) throw error;
    calls.checks += 1;
    const group = await client.request(
      {
        method: 'GET',
        path: `/crm/v3/properties/${apiType}/groups/${PROPERTY_GROUP.name}`,
        budget: 'burst',
        idempotent: true,
      },
      PropertyGroup,
    );
    if (group.label === PROPERTY_GROUP.label) {
      report.unchanged.push(name);
      return;
    }
    calls.changes += 1;
    await client.request(
      {
        method: 'PATCH',
        path: `/crm/v3/properties/${apiType}/groups/${PROPERTY_GROUP.name}`,
        body: { label: PROPERTY_GROUP.label },
        budget: 'burst',
        idempotent: true,
      },
      PropertyGroup,
    );
    report.updated.push(name);
  }
}

/**
 * `POST /crm/v3/properties/{type}/batch/create`; returns the specs HubSpot says already exist (409
 * OBJECT_ALREADY_EXISTS, per input in a 207, or for the whole batch when every input exists).
 */
async function createProperties(
  client: HubSpotClient,
  logger: Logger,
  apiType: string,
  specs: PropertySpec[],
  report: ProvisionReport,
): Promise<PropertySpec[]> {
  let answer: PropertyBatch;
  try {
    if (report.calls) report.calls.changes += 1;
    answer = await client.request(
      {
        method: 'POST',
        path: `/crm/v3/properties/${apiType}/batch/create`,
        body: { inputs: specs },
        budget: 'burst',
        idempotent: false,
      },
      PropertyBatch,
    );
  } catch (error) {
    if (error instanceof HubSpotApiError && error.details.status === 409) return specs;
    throw error;
  }
  const made = new Set(answer.results.map((r) => (r as { name?: unknown }).name).filter((n) => typeof n === 'string'));
  const raced: PropertySpec[] = [];
  for (const spec of specs) {
    if (made.has(spec.name)) {
      report.created.push(`${apiType}.${spec.name}`);
      const objectType = (Object.entries(API_TYPE) as Array<[WritableObject, string]>).find(([, a]) => a === apiType);
      if (objectType) {
        report.made ??= [];
        report.made.push({ objectType: objectType[0], field: spec.name });
      }
      continue;
    }
    const error = (answer.errors ?? []).find((e) => (e.context?.name ?? []).includes(spec.name));
    if (error?.category === 'OBJECT_ALREADY_EXISTS' || error === undefined) raced.push(spec);
    else
      logger.error(
        { object: apiType, property: spec.name, error: error.message },
        'HubSpot refused a crm-agent property',
      );
  }
  return raced;
}
