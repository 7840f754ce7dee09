import type { SandboxContext } from '../context.js';
import { createRecord, deleteRecord, requireRecord, updateRecord, upsertRecord } from '../dml.js';
import { SalesforceError } from '../errors.js';
import { type ApiRequest, json, type Route, readJson, readObject } from '../http.js';
import { normalizeId } from '../ids.js';
import { objectOrNotFound, publishEvent, recordJson } from './sobjects.js';

const MAX_RECORDS = 200;
const MAX_RETRIEVE_IDS = 2000;

type SaveResult = {
  id?: string;
  success: boolean;
  errors: Array<ReturnType<SalesforceError['toSaveError']>>;
  created?: boolean;
};

const ROLLED_BACK = new SalesforceError(
  400,
  'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  'Record rolled back because not all records were valid and the request was using AllOrNone header',
);

/**
 * Runs one operation per record. Without allOrNone each record stands alone (a savepoint each); with it the
 * first failure rolls everything back and the other records report ALL_OR_NONE_OPERATION_ROLLED_BACK.
 * JSON type errors fail the whole request, as Salesforce's deserializer does before anything runs.
 */
export function saveEach<T>(
  ctx: SandboxContext,
  items: readonly T[],
  allOrNone: boolean,
  op: (item: T) => { id: string; created?: boolean },
): SaveResult[] {
  const results: SaveResult[] = items.map(() => ({ success: false, errors: [] }));
  const run = (item: T, i: number) => {
    const { id, created } = op(item);
    results[i] = { id, success: true, errors: [], ...(created !== undefined ? { created } : {}) };
  };
  const fail = (error: unknown, i: number) => {
    if (!(error instanceof SalesforceError) || error.errorCode === 'JSON_PARSER_ERROR') throw error;
    results[i] = { success: false, errors: [error.toSaveError()] };
  };
  if (!allOrNone) {
    items.forEach((item, i) => {
      try {
        ctx.state.savepoint(() => run(item, i));
      } catch (error) {
        fail(error, i);
      }
    });
    return results;
  }
  let failedAt = -1;
  try {
    ctx.state.savepoint(() => {
      items.forEach((item, i) => {
        try {
          run(item, i);
        } catch (error) {
          failedAt = i;
          fail(error, i);
          throw error;
        }
      });
    });
  } catch (error) {
    if (failedAt < 0) throw error;
  }
  if (failedAt >= 0) {
    return results.map((r, i) => (i === failedAt ? r : { success: false, errors: [ROLLED_BACK.toSaveError()] }));
  }
  return results;
}

function recordsOf(request: ApiRequest): { allOrNone: boolean; records: Array<Record<string, unknown>> } {
  const body = readObject(request);
  const records = body.records;
  if (!Array.isArray(records)) throw new SalesforceError(400, 'INVALID_FIELD', 'records is required');
  if (records.length > MAX_RECORDS) {
    throw new SalesforceError(400, 'EXCEEDED_ID_LIMIT', `Maximum number of records (${MAX_RECORDS}) exceeded`);
  }
  return { allOrNone: body.allOrNone === true, records: records as Array<Record<string, unknown>> };
}

function typeOf(record: Record<string, unknown>): string {
  const type = (record.attributes as { type?: unknown } | undefined)?.type;
  if (typeof type !== 'string') {
    throw new SalesforceError(400, 'INVALID_TYPE', 'Must send a concrete entity type.', []);
  }
  return type;
}

/** sObject Collections: create, update, upsert, delete and retrieve up to 200 (retrieve: 2,000) records per call. */
export function collectionRoutes(ctx: SandboxContext): Route[] {
  const { state } = ctx;
  const retrieve = (request: ApiRequest, name: string, ids: string[], fields: string[] | undefined) => {
    const def = objectOrNotFound(ctx, name);
    if (!fields || fields.length === 0) throw new SalesforceError(400, 'INVALID_FIELD', 'fields is required');
    if (ids.length > MAX_RETRIEVE_IDS)
      throw new SalesforceError(400, 'EXCEEDED_ID_LIMIT', `Maximum number of ids (${MAX_RETRIEVE_IDS}) exceeded`);
    return json(
      200,
      ids.map((id) => {
        const normalized = normalizeId(id);
        const record = normalized ? state.get(def.name, normalized) : undefined;
        return record && record.IsDeleted !== true ? recordJson(ctx, def, record, request, fields) : null;
      }),
    );
  };
  return [
    {
      method: 'POST',
      pattern: /^\/composite\/sobjects\/?$/,
      heavy: true,
      handler: (request) => {
        const { allOrNone, records } = recordsOf(request);
        // Platform events publish through collections too (each one enqueued, never stored as a row).
        const defs = records.map((record) => objectOrNotFound(ctx, typeOf(record)));
        if (defs.length > 0 && defs.every((d) => d.isPlatformEvent)) {
          return json(
            200,
            records.map((record, i) => {
              try {
                return publishEvent(ctx, defs[i]!, record, request.userId);
              } catch (error) {
                if (!(error instanceof SalesforceError)) throw error;
                return { success: false, errors: [error.toSaveError()] };
              }
            }),
          );
        }
        return json(
          200,
          saveEach(ctx, records, allOrNone, (record) => {
            const { attributes: _a, ...fields } = record;
            return {
              id: createRecord(state, objectOrNotFound(ctx, typeOf(record)).name, fields, { userId: request.userId }),
            };
          }),
        );
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/composite\/sobjects\/?$/,
      heavy: true,
      handler: (request) => {
        const { allOrNone, records } = recordsOf(request);
        return json(
          200,
          saveEach(ctx, records, allOrNone, (record) => {
            // Field names are case-insensitive: jsforce sends `id`.
            const idKey = Object.keys(record).find((k) => k.toLowerCase() === 'id');
            const id = idKey === undefined ? undefined : record[idKey];
            if (typeof id !== 'string')
              throw new SalesforceError(400, 'MISSING_ARGUMENT', 'Id not specified in an update call', ['Id']);
            const def = objectOrNotFound(ctx, typeOf(record));
            const { attributes: _a, [idKey!]: _id, ...fields } = record;
            updateRecord(state, def.name, id, fields, { userId: request.userId });
            return { id: requireRecord(state, def, id).Id as string };
          }),
        );
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/composite\/sobjects\/(\w+)\/(\w+)\/?$/,
      heavy: true,
      handler: (request, [name, field]) => {
        const { allOrNone, records } = recordsOf(request);
        const def = objectOrNotFound(ctx, name!);
        return json(
          200,
          saveEach(ctx, records, allOrNone, (record) => {
            const key = Object.keys(record).find((k) => k.toLowerCase() === field!.toLowerCase());
            const value = key === undefined ? undefined : record[key];
            if (typeof value !== 'string' && typeof value !== 'number') {
              throw new SalesforceError(400, 'MISSING_ARGUMENT', `${field} not specified`, [field!]);
            }
            const { attributes: _a, ...fields } = record;
            return upsertRecord(state, def.name, field!, String(value), fields, { userId: request.userId });
          }),
        );
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/composite\/sobjects\/?$/,
      heavy: true,
      handler: (request) => {
        const ids = (request.query.get('ids') ?? '').split(',').filter(Boolean);
        if (ids.length > MAX_RECORDS)
          throw new SalesforceError(400, 'EXCEEDED_ID_LIMIT', `Maximum number of ids (${MAX_RECORDS}) exceeded`);
        return json(
          200,
          saveEach(ctx, ids, request.query.get('allOrNone') === 'true', (id) => {
            const normalized = normalizeId(id);
            const found = normalized ? state.findById(normalized) : undefined;
            if (!found) throw new SalesforceError(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id');
            if (found.record.IsDeleted === true)
              throw new SalesforceError(400, 'ENTITY_IS_DELETED', 'entity is deleted');
            deleteRecord(state, found.object, normalized!, { userId: request.userId });
            return { id: normalized! };
          }),
        );
      },
    },
    {
      method: 'GET',
      pattern: /^\/composite\/sobjects\/(\w+)\/?$/,
      heavy: true,
      handler: (request, [name]) =>
        retrieve(
          request,
          name!,
          (request.query.get('ids') ?? '').split(',').filter(Boolean),
          request.query
            .get('fields')
            ?.split(',')
            .map((f) => f.trim()),
        ),
    },
    {
      method: 'POST',
      pattern: /^\/composite\/sobjects\/(\w+)\/?$/,
      heavy: true,
      handler: (request, [name]) => {
        const body = readJson(request) as { ids?: unknown; fields?: unknown };
        const ids = Array.isArray(body.ids) ? body.ids.map(String) : [];
        const fields = Array.isArray(body.fields) ? body.fields.map(String) : undefined;
        return retrieve(request, name!, ids, fields);
      },
    },
  ];
}
