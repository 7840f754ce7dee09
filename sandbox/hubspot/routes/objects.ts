import { randomUUID } from 'node:crypto';
import { type Request, type Response, Router } from 'express';
import { ASSOCIATION_TYPES } from '../associations.js';
import { HubSpotHttpError, invalidProperties, notFound, standardError, validationError } from '../errors.js';
import { type ObjectTypeName, SINGULAR } from '../object-types.js';
import type { ChangeSource, StoredObject } from '../state.js';
import {
  associationTypesParam,
  batchBody,
  body,
  boolParam,
  idParam,
  inputsOf,
  intParam,
  isoNow,
  listParam,
  objectScopes,
  objectType,
  requireScope,
  type SandboxContext,
  serialize,
} from './context.js';

const API: ChangeSource = { source: 'API' };
const BATCH_MAX = 100;

/** Creates a record with the associations given inline (`[{ to: { id }, types: [...] }]`). */
export function createWithAssociations(
  ctx: SandboxContext,
  type: ObjectTypeName,
  input: Record<string, unknown>,
  source: ChangeSource,
): StoredObject {
  const properties = (input.properties ?? {}) as Record<string, unknown>;
  if (typeof properties !== 'object' || Array.isArray(properties))
    throw validationError("'properties' must be an object.");
  const links = parseInlineAssociations(ctx, type, input.associations);
  const record = ctx.state.create(type, properties, source);
  for (const link of links) ctx.state.associate(type, record.id, link.toType, link.toId, link.typeIds, source);
  return record;
}

function parseInlineAssociations(ctx: SandboxContext, type: ObjectTypeName, raw: unknown) {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw validationError("'associations' must be an array.");
  return raw.map((entry) => {
    const e = (entry ?? {}) as { to?: { id?: unknown }; types?: Array<{ associationTypeId?: unknown }> };
    const typeIds = (e.types ?? []).map((t) => Number(t.associationTypeId));
    const infos = typeIds.map((id) => ASSOCIATION_TYPES.get(id));
    if (typeIds.length === 0 || infos.some((i) => !i || i.from !== type)) {
      throw validationError(`Invalid association types ${JSON.stringify(typeIds)} from ${SINGULAR[type]}.`);
    }
    const toType = infos[0]!.to;
    const toId = idParam(e.to?.id, 'association target id');
    if (!ctx.state.get(toType, toId)) throw validationError(`No ${SINGULAR[toType]} with id ${toId} to associate.`);
    return { toType, toId, typeIds };
  });
}

function readOptions(req: Request) {
  return {
    properties: listParam(req.query.properties),
    propertiesWithHistory: listParam(req.query.propertiesWithHistory),
    associations: associationTypesParam(req.query.associations),
  };
}

/** Looks a record up by id or by a unique property (`idProperty`). */
function findRecord(ctx: SandboxContext, type: ObjectTypeName, id: string, idProperty: unknown, archived = false) {
  if (idProperty !== undefined && idProperty !== 'hs_object_id') {
    const property = String(idProperty);
    if (!ctx.state.isUniqueProperty(type, property)) {
      throw validationError(`${property} is not a unique property of ${type}; it cannot be used as idProperty.`);
    }
    const found = ctx.state.findByProperty(type, property, id);
    return found && found.archived === archived ? found : undefined;
  }
  if (!/^\d+$/.test(id)) return undefined;
  return ctx.state.get(type, Number(id), { archived });
}

export function objectRoutes(ctx: SandboxContext): Router {
  const router = Router();
  const { state } = ctx;

  router.get('/crm/v3/objects/:type', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, objectScopes(type, 'read'));
    const options = readOptions(req);
    let limit = intParam(req.query.limit, 'limit', 10, 100);
    if (options.propertiesWithHistory?.length) limit = Math.min(limit, 50);
    const archived = boolParam(req.query.archived, 'archived');
    const after = req.query.after === undefined ? 0 : idParam(req.query.after, 'after');
    const store = state.objects[type];
    const results: Array<Record<string, unknown>> = [];
    let last = 0;
    let more = false;
    for (let i = store.indexAfter(after); i < store.ids.length; i++) {
      const id = store.ids[i]!;
      const record = state.get(type, id, { followMerges: false, archived });
      if (!record) continue;
      if (results.length === limit) {
        more = true;
        break;
      }
      results.push(serialize(ctx, type, record, options));
      last = id;
    }
    res.json({
      results,
      ...(more
        ? { paging: { next: { after: String(last), link: `${ctx.baseUrl()}/crm/v3/objects/${type}?after=${last}` } } }
        : {}),
    });
  });

  router.get('/crm/v3/objects/:type/:id', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, objectScopes(type, 'read'));
    const record = findRecord(
      ctx,
      type,
      req.params.id,
      req.query.idProperty,
      boolParam(req.query.archived, 'archived'),
    );
    if (!record) throw notFound('Object not found.  objectId are usually numeric.');
    res.json(serialize(ctx, type, record, readOptions(req)));
  });

  router.post('/crm/v3/objects/:type', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, objectScopes(type, 'write'));
    const record = createWithAssociations(ctx, type, body(req), API);
    res.status(201).json(serialize(ctx, type, record, { properties: Object.keys(record.properties) }));
  });

  router.patch('/crm/v3/objects/:type/:id', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, objectScopes(type, 'write'));
    const found = findRecord(ctx, type, req.params.id, req.query.idProperty);
    if (!found) throw notFound('Object not found.  objectId are usually numeric.');
    const properties = body<{ properties?: Record<string, unknown> }>(req).properties ?? {};
    const record = state.update(type, found.id, properties, API);
    res.json(serialize(ctx, type, record, { properties: Object.keys(record.properties) }));
  });

  router.delete('/crm/v3/objects/:type/:id', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, objectScopes(type, 'write'));
    if (/^\d+$/.test(req.params.id)) state.archive(type, Number(req.params.id), API);
    res.status(204).end();
  });

  router.post('/crm/v3/objects/:type/merge', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, objectScopes(type, 'write'));
    const b = body<{ primaryObjectId?: unknown; objectIdToMerge?: unknown }>(req);
    const record = state.merge(
      type,
      idParam(b.primaryObjectId, 'primaryObjectId'),
      idParam(b.objectIdToMerge, 'objectIdToMerge'),
      API,
    );
    res.json(serialize(ctx, type, record, { properties: Object.keys(record.properties) }));
  });

  router.post('/crm/v3/objects/contacts/gdpr-delete', (req, res) => {
    requireScope(req, objectScopes('contacts', 'write'));
    const b = body<{ objectId?: unknown; idProperty?: unknown }>(req);
    const record = findRecord(ctx, 'contacts', String(b.objectId ?? ''), b.idProperty);
    if (!record) throw notFound('Object not found.  objectId are usually numeric.');
    state.purge('contacts', record.id, API);
    res.status(204).end();
  });

  router.post('/crm/v3/objects/:type/batch/read', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, objectScopes(type, 'read'));
    const b = body<{ properties?: string[]; propertiesWithHistory?: string[]; idProperty?: string }>(req);
    const inputs = inputsOf(req, BATCH_MAX);
    const archived = boolParam(req.query.archived, 'archived');
    const startedAt = isoNow(ctx);
    const results: Array<Record<string, unknown>> = [];
    const missing: string[] = [];
    const seen = new Set<number>();
    for (const input of inputs) {
      const id = String(input.id ?? '');
      const record = findRecord(ctx, type, id, b.idProperty, archived);
      if (!record) missing.push(id);
      else if (!seen.has(record.id)) {
        seen.add(record.id);
        results.push(
          serialize(ctx, type, record, {
            properties: Array.isArray(b.properties) && b.properties.length > 0 ? b.properties.map(String) : undefined,
            propertiesWithHistory: Array.isArray(b.propertiesWithHistory)
              ? b.propertiesWithHistory.map(String)
              : undefined,
          }),
        );
      }
    }
    const errors =
      missing.length === 0
        ? []
        : [
            standardError(
              'OBJECT_NOT_FOUND',
              `Could not get some ${SINGULAR[type].toUpperCase()} objects, they may be deleted or not exist. Check that ids are valid.`,
              { ids: missing },
            ),
          ];
    sendBatch(res, ctx, startedAt, results, errors, 200);
  });

  /** A batch write: each input on its own, the failures as HubSpot's error entries (207 when some succeeded). */
  const batchWrite = (
    op: 'create' | 'update' | 'upsert',
    okStatus: number,
    check: (type: ObjectTypeName, inputs: Array<Record<string, unknown>>) => void,
    write: (type: ObjectTypeName, input: Record<string, unknown>) => Record<string, unknown>,
  ) =>
    router.post(`/crm/v3/objects/:type/batch/${op}`, (req, res) => {
      const type = objectType(req.params.type);
      requireScope(req, objectScopes(type, 'write'));
      const inputs = inputsOf(req, BATCH_MAX);
      check(type, inputs);
      const startedAt = isoNow(ctx);
      const results: Array<Record<string, unknown>> = [];
      const errors: Array<Record<string, unknown>> = [];
      for (const input of inputs) {
        try {
          results.push(write(type, input));
        } catch (error) {
          errors.push(batchError(error, input));
        }
      }
      sendBatch(res, ctx, startedAt, results, errors, okStatus);
    });
  const written = (type: ObjectTypeName, record: StoredObject) =>
    serialize(ctx, type, record, { properties: Object.keys(record.properties) });

  batchWrite(
    'create',
    201,
    () => undefined,
    (type, input) => ({
      ...written(type, createWithAssociations(ctx, type, input, API)),
      ...(input.objectWriteTraceId !== undefined ? { objectWriteTraceId: String(input.objectWriteTraceId) } : {}),
    }),
  );

  // Like HubSpot, batch update and upsert are all or nothing for invalid values: one bad value refuses the whole
  // batch with a 400 that names the properties but not the records (only batch create answers 207 per input).
  const rejectInvalidValues = (type: ObjectTypeName, inputs: Array<Record<string, unknown>>) => {
    const errors = inputs.flatMap(
      (i) => state.properties.normalise(type, (i.properties ?? {}) as Record<string, unknown>).errors,
    );
    if (errors.length > 0) throw invalidProperties(errors);
  };

  batchWrite(
    'update',
    200,
    (type, inputs) => {
      rejectDuplicateIds(inputs);
      rejectInvalidValues(type, inputs);
    },
    (type, input) => {
      const found = findRecord(ctx, type, String(input.id ?? ''), input.idProperty);
      if (!found) throw notFound(`Object ${String(input.id)} not found`);
      return written(type, state.update(type, found.id, (input.properties ?? {}) as Record<string, unknown>, API));
    },
  );

  batchWrite(
    'upsert',
    200,
    (type, inputs) => {
      for (const input of inputs) {
        const property = String(input.idProperty ?? '');
        if (property === '' || property === 'hs_object_id' || !state.isUniqueProperty(type, property)) {
          throw validationError(
            `Unable to perform update/upsert by non-unique ${type} property: ${property || '(none)'}. idProperty must name a unique-value property.`,
          );
        }
      }
      rejectDuplicateIds(inputs);
      rejectInvalidValues(type, inputs);
    },
    (type, input) => {
      const property = String(input.idProperty);
      const value = String(input.id ?? '');
      const properties = (input.properties ?? {}) as Record<string, unknown>;
      const found = state.findByProperty(type, property, value);
      const record = found
        ? state.update(type, found.id, properties, API)
        : state.create(type, { ...properties, [property]: value }, API);
      return { ...written(type, record), new: !found };
    },
  );

  router.post('/crm/v3/objects/:type/batch/archive', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, objectScopes(type, 'write'));
    for (const input of inputsOf(req, BATCH_MAX)) {
      if (/^\d+$/.test(String(input.id ?? ''))) state.archive(type, Number(input.id), API);
    }
    res.status(204).end();
  });

  return router;
}

function rejectDuplicateIds(inputs: Array<Record<string, unknown>>): void {
  const ids = inputs.map((i) => String(i.id ?? ''));
  const duplicates = [...new Set(ids.filter((id, k) => ids.indexOf(id) !== k))];
  if (duplicates.length > 0) {
    throw validationError(`Duplicate IDs found in batch input: ${JSON.stringify(duplicates)}. IDs must be unique`);
  }
}

function batchError(error: unknown, input: Record<string, unknown>): Record<string, unknown> {
  if (!(error instanceof HubSpotHttpError)) throw error;
  const b = error.body as { category?: string; message?: string; errors?: unknown[] };
  return {
    ...standardError(b.category ?? 'VALIDATION_ERROR', b.message ?? 'invalid input', {
      ...(input.id !== undefined ? { ids: [String(input.id)] } : {}),
      ...(input.objectWriteTraceId !== undefined ? { objectWriteTraceId: [String(input.objectWriteTraceId)] } : {}),
    }),
    errors: b.errors ?? [],
  };
}

/** 2xx with every result, 207 when some inputs failed, the first error's status when all did. */
function sendBatch(
  res: Response,
  ctx: SandboxContext,
  startedAt: string,
  results: Array<Record<string, unknown>>,
  errors: Array<Record<string, unknown>>,
  okStatus: number,
): void {
  if (errors.length > 0 && results.length === 0 && errors[0]!.category !== 'OBJECT_NOT_FOUND') {
    const first = errors[0]!;
    res.status(first.category === 'CONFLICT' ? 409 : 400).json({
      status: 'error',
      message: first.message,
      correlationId: randomUUID(),
      category: first.category,
      context: first.context,
      errors: first.errors,
    });
    return;
  }
  res.status(errors.length > 0 ? 207 : okStatus).json(batchBody(ctx, startedAt, results, errors));
}
