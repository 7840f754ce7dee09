import { randomUUID } from 'node:crypto';
import type { SandboxContext } from '../context.js';
import { describeObject, describeObjectSummary } from '../describe.js';
import { createRecord, deleteRecord, readValue, requireRecord, updateRecord, upsertRecord } from '../dml.js';
import { notFound, SalesforceError } from '../errors.js';
import { type ApiRequest, json, noContent, type Route, readObject } from '../http.js';
import { compoundValue, type ObjectDef, type SfRecord } from '../schema.js';
import { formatDateTime, parseDateTime, toJsonValue } from '../values.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** getUpdated looks back 30 days; the delete log keeps 15. */
const REPLICATION_WINDOW = 30 * DAY;
const DELETE_LOG_DAYS = 15;

export function objectOrNotFound(ctx: SandboxContext, name: string, options: { tooling?: boolean } = {}): ObjectDef {
  const def = ctx.state.object(name, options);
  if (!def) throw notFound();
  return def;
}

/** A record as the REST API returns it: `attributes`, then the requested (or all visible) fields. */
export function recordJson(
  ctx: SandboxContext,
  def: ObjectDef,
  record: SfRecord,
  request: ApiRequest,
  fields?: readonly string[],
): Record<string, unknown> {
  const base = `/services/data/v${request.version}/${def.tooling ? 'tooling/' : ''}sobjects/${def.name}`;
  const out: Record<string, unknown> = { attributes: { type: def.name, url: `${base}/${record.Id}` } };
  // Without `fields`, a field hidden by field-level security is left out of the record, not refused (REST API
  // Developer Guide, "sObject Rows": the fields the user can see); named in `fields`, it is an error.
  const names =
    fields ?? [...def.fields.values()].filter((f) => ctx.state.access(request.userId, def, f).read).map((f) => f.name);
  for (const name of names) {
    const field = def.fields.get(name.trim().toLowerCase());
    if (!field || !ctx.state.access(request.userId, def, field).read) {
      throw new SalesforceError(400, 'INVALID_FIELD', `No such column '${name}' on sobject of type ${def.name}`);
    }
    out[field.name] = field.components
      ? compoundValue(field, record)
      : toJsonValue(field, readValue(ctx.state, def, record, field.name));
  }
  return out;
}

const fieldList = (request: ApiRequest) =>
  request.query
    .get('fields')
    ?.split(',')
    .map((f) => f.trim())
    .filter(Boolean);

function replicationRange(request: ApiRequest, now: number): { start: number; end: number } {
  const start = parseDateTime(request.query.get('start') ?? '');
  const end = parseDateTime(request.query.get('end') ?? '');
  if (start === undefined || end === undefined) {
    throw new SalesforceError(400, 'INVALID_REPLICATION_DATE', 'start and end must be valid dateTime values');
  }
  if (end <= start) throw new SalesforceError(400, 'INVALID_REPLICATION_DATE', 'EndDate must be after StartDate');
  if (start < now - REPLICATION_WINDOW) {
    throw new SalesforceError(400, 'INVALID_REPLICATION_DATE', 'startDate cannot be more than 30 days ago');
  }
  // Salesforce ignores seconds and covers up to the last whole minute.
  return { start: Math.floor(start / MINUTE) * MINUTE, end: Math.floor(Math.min(end, now) / MINUTE) * MINUTE };
}

/** Describe, single-record CRUD, upsert by external id, getUpdated / getDeleted, platform event publishing. */
export function sobjectRoutes(ctx: SandboxContext): Route[] {
  const { state } = ctx;
  const actor = (request: ApiRequest) => ({ userId: request.userId });
  return [
    {
      method: 'GET',
      pattern: /^\/?$/,
      handler: (request) => {
        const base = `/services/data/v${request.version}`;
        const resources = [
          'tooling',
          'metadata',
          'eclair',
          'folders',
          'prechatForms',
          'chatter',
          'tabs',
          'appMenu',
          'quickActions',
          'queryAll',
          'commerce',
          'wave',
          'analytics',
          'search',
          'identity',
          'composite',
          'parameterizedSearch',
          'theme',
          'nouns',
          'event',
          'serviceTemplates',
          'recent',
          'connect',
          'licensing',
          'limits',
          'process',
          'async-queries',
          'query',
          'jobs',
          'match',
          'emailConnect',
          'compactLayouts',
          'knowledgeManagement',
          'sobjects',
          'actions',
          'support',
        ];
        return json(
          200,
          Object.fromEntries(
            resources.map((r) => [r, r === 'identity' ? ctx.oauth.identityUrl(request.userId) : `${base}/${r}`]),
          ),
        );
      },
    },
    { method: 'GET', pattern: /^\/limits\/?$/, handler: () => json(200, ctx.limits.describe()) },
    {
      method: 'GET',
      pattern: /^\/sobjects\/?$/,
      handler: (request) =>
        json(200, {
          encoding: 'UTF-8',
          maxBatchSize: 200,
          sobjects: [...state.schema.values()].map((d) => describeObjectSummary(d, request.version)),
        }),
    },
    {
      method: 'GET',
      pattern: /^\/(tooling\/)?sobjects\/(\w+)\/describe\/?$/,
      handler: (request, [tooling, name]) => {
        const def = objectOrNotFound(ctx, name!, { tooling: tooling !== '' });
        return json(200, describeObject(state, def, request.userId, request.version));
      },
    },
    {
      method: 'GET',
      pattern: /^\/sobjects\/(\w+)\/updated\/?$/,
      handler: (request, [name]) => {
        const def = objectOrNotFound(ctx, name!);
        if (!def.replicateable)
          throw new SalesforceError(400, 'INVALID_TYPE', `sObject type '${def.name}' does not support replication`);
        const { start, end } = replicationRange(request, state.clock.now());
        const ids: string[] = [];
        for (const r of state.table(def.name).values()) {
          const ts = r.SystemModstamp as number;
          if (r.IsDeleted !== true && ts >= start && ts < end) ids.push(r.Id as string);
        }
        if (ids.length > 600_000) {
          throw new SalesforceError(400, 'EXCEEDED_ID_LIMIT', 'record limit reached. narrow the date range');
        }
        return json(200, { ids, latestDateCovered: formatDateTime(end) });
      },
    },
    {
      method: 'GET',
      pattern: /^\/sobjects\/(\w+)\/deleted\/?$/,
      handler: (request, [name]) => {
        const def = objectOrNotFound(ctx, name!);
        if (!def.replicateable)
          throw new SalesforceError(400, 'INVALID_TYPE', `sObject type '${def.name}' does not support replication`);
        const now = state.clock.now();
        const { start, end } = replicationRange(request, now);
        const earliest = Math.max(
          Math.floor((now - DELETE_LOG_DAYS * DAY) / MINUTE) * MINUTE,
          ctx.deleteLogTrimmedBefore,
        );
        const deletedRecords = state.deleteLog
          .filter((e) => e.object === def.name && e.deletedAt >= Math.max(start, earliest) && e.deletedAt < end)
          .map((e) => ({ id: e.id, deletedDate: formatDateTime(e.deletedAt) }));
        return json(200, {
          deletedRecords,
          earliestDateAvailable: formatDateTime(earliest),
          latestDateCovered: formatDateTime(end),
        });
      },
    },
    {
      method: 'GET',
      pattern: /^\/sobjects\/(\w+)\/?$/,
      handler: (request, [name]) => {
        const def = objectOrNotFound(ctx, name!);
        return json(200, { objectDescribe: describeObjectSummary(def, request.version), recentItems: [] });
      },
    },
    {
      method: 'POST',
      pattern: /^\/sobjects\/(\w+)\/?$/,
      handler: (request, [name]) => {
        const def = objectOrNotFound(ctx, name!);
        if (def.isPlatformEvent) return json(201, publishEvent(ctx, def, readObject(request), request.userId));
        const id = createRecord(state, def.name, readObject(request), actor(request));
        return json(
          201,
          { id, success: true, errors: [] },
          { location: `/services/data/v${request.version}/sobjects/${def.name}/${id}` },
        );
      },
    },
    {
      method: 'GET',
      pattern: /^\/sobjects\/(\w+)\/([a-zA-Z0-9]{15}|[a-zA-Z0-9]{18})\/?$/,
      handler: (request, [name, id]) => {
        const def = objectOrNotFound(ctx, name!);
        const record = requireRecord(state, def, id!);
        return json(200, recordJson(ctx, def, record, request, fieldList(request)));
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/sobjects\/(\w+)\/([a-zA-Z0-9]{15}|[a-zA-Z0-9]{18})\/?$/,
      handler: (request, [name, id]) => {
        updateRecord(state, objectOrNotFound(ctx, name!).name, id!, readObject(request), actor(request));
        return noContent();
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/sobjects\/(\w+)\/([a-zA-Z0-9]{15}|[a-zA-Z0-9]{18})\/?$/,
      handler: (request, [name, id]) => {
        deleteRecord(state, objectOrNotFound(ctx, name!).name, id!, actor(request));
        return noContent();
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/sobjects\/(\w+)\/(\w+)\/([^/]+)$/,
      handler: (request, [name, field, value]) => {
        const def = objectOrNotFound(ctx, name!);
        const result = upsertRecord(state, def.name, field!, value!, readObject(request), actor(request));
        return json(result.created ? 201 : 200, { id: result.id, success: true, errors: [], created: result.created });
      },
    },
    {
      method: 'GET',
      pattern: /^\/sobjects\/(\w+)\/(\w+)\/([^/]+)$/,
      handler: (request, [name, fieldName, value]) => {
        const def = objectOrNotFound(ctx, name!);
        const field = def.fields.get(fieldName!.toLowerCase());
        if (!field || !(field.externalId || field.idLookup) || !state.access(request.userId, def, field).read) {
          throw notFound(`Provided external ID field does not exist or is not accessible: ${fieldName}`);
        }
        const key = value!.toLowerCase();
        const matches = [...state.table(def.name).values()].filter(
          (r) => r.IsDeleted !== true && String(r[field.name] ?? '').toLowerCase() === key,
        );
        if (matches.length === 0) throw notFound();
        if (matches.length > 1)
          return json(
            300,
            matches.map((m) => `/services/data/v${request.version}/sobjects/${def.name}/${m.Id}`),
          );
        return json(200, recordJson(ctx, def, matches[0]!, request, fieldList(request)));
      },
    },
  ];
}

/** Publishing a platform event: validated like an insert, kept in the event bus, answered OPERATION_ENQUEUED. */
export function publishEvent(
  ctx: SandboxContext,
  def: ObjectDef,
  input: Record<string, unknown>,
  userId: string,
): { id: string; success: true; errors: Array<{ statusCode: string; message: string; fields: string[] }> } {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === 'attributes') continue;
    const field = def.fields.get(key.toLowerCase());
    if (!field)
      throw new SalesforceError(400, 'INVALID_FIELD', `No such column '${key}' on sobject of type ${def.name}`, [key]);
    if (!field.createable) {
      throw new SalesforceError(
        400,
        'INVALID_FIELD_FOR_INSERT_UPDATE',
        `Unable to create/update fields: ${field.name}.`,
        [field.name],
      );
    }
    fields[field.name] = value;
  }
  const uuid = randomUUID();
  const replayId = ctx.events.length + 1;
  ctx.events.push({
    object: def.name,
    uuid,
    replayId,
    publishedAt: ctx.clock.now(),
    fields: { ...fields, CreatedById: userId },
  });
  return {
    id: ctx.state.nextId('e00'),
    success: true,
    errors: [{ statusCode: 'OPERATION_ENQUEUED', message: uuid, fields: [] }],
  };
}
