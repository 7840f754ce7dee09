import { Router } from 'express';
import { ASSOCIATION_TYPES, type AssociationCategory, associationLabel, defaultTypeId } from '../associations.js';
import { notFound, standardError, validationError } from '../errors.js';
import { OBJECT_TYPE_IDS, type ObjectTypeName, SINGULAR } from '../object-types.js';
import type { ChangeSource } from '../state.js';
import {
  batchBody,
  idParam,
  inputsOf,
  intParam,
  isoNow,
  objectScopes,
  objectType,
  requireScope,
  type SandboxContext,
} from './context.js';

const API: ChangeSource = { source: 'API' };
/** Associations per page of one record's list (and per input of a batch read). */
const PAGE = 500;

function typesOf(typeIds: number[]) {
  return typeIds.map((typeId) => ({
    category: (ASSOCIATION_TYPES.has(typeId) ? 'HUBSPOT_DEFINED' : 'USER_DEFINED') as AssociationCategory,
    typeId,
    label: associationLabel(typeId),
  }));
}

function parseSpecs(raw: unknown, from: ObjectTypeName, to: ObjectTypeName): number[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw validationError('Expected an array of {associationCategory, associationTypeId}.');
  }
  return raw.map((spec) => {
    const s = (spec ?? {}) as { associationCategory?: unknown; associationTypeId?: unknown };
    const typeId = Number(s.associationTypeId);
    const info = ASSOCIATION_TYPES.get(typeId);
    if (!['HUBSPOT_DEFINED', 'USER_DEFINED', 'INTEGRATOR_DEFINED'].includes(String(s.associationCategory))) {
      throw validationError(`Invalid associationCategory ${String(s.associationCategory)}.`);
    }
    if (!info || info.from !== from || info.to !== to) {
      throw validationError(`${typeId} is not a valid association type from ${SINGULAR[from]} to ${SINGULAR[to]}.`);
    }
    return typeId;
  });
}

/** A batch input's `from.id` (and `to.id`). */
function endsOf(input: Record<string, unknown>, withTo = true): { fromId: number; toId: number } {
  const fromId = idParam((input.from as { id?: unknown } | undefined)?.id, 'from.id');
  const toId = withTo ? idParam((input.to as { id?: unknown } | undefined)?.id, 'to.id') : 0;
  return { fromId, toId };
}

/** Associations v4: per-record lists, labelled and default links, and batches (each input paged on its own). */
export function associationRoutes(ctx: SandboxContext): Router {
  const router = Router();
  const { state } = ctx;
  const pageOf = (type: ObjectTypeName, id: number, toType: ObjectTypeName, after: number, limit: number) => {
    const links = state.associations.list(type, id, toType).filter((l) => l.toId > after);
    const shown = links.slice(0, limit);
    return {
      results: shown.map((l) => ({ toObjectId: l.toId, associationTypes: typesOf(l.typeIds) })),
      ...(links.length > shown.length ? { paging: { next: { after: String(shown[shown.length - 1]!.toId) } } } : {}),
    };
  };
  const linkResult = (from: ObjectTypeName, fromId: number, to: ObjectTypeName, toId: number, typeIds: number[]) => ({
    fromObjectTypeId: OBJECT_TYPE_IDS[from],
    fromObjectId: fromId,
    toObjectTypeId: OBJECT_TYPE_IDS[to],
    toObjectId: toId,
    labels: typeIds.map(associationLabel).filter((l): l is string => l !== null),
  });

  router.get('/crm/v4/objects/:type/:id/associations/:toType', (req, res) => {
    const type = objectType(req.params.type);
    const toType = objectType(req.params.toType);
    requireScope(req, objectScopes(type, 'read'));
    const id = idParam(req.params.id);
    if (!state.get(type, id)) throw notFound(`No ${SINGULAR[type]} with id ${id}`);
    const after = req.query.after === undefined ? 0 : idParam(req.query.after, 'after');
    res.json(
      pageOf(type, state.objects[type].resolve(id), toType, after, intParam(req.query.limit, 'limit', PAGE, PAGE)),
    );
  });

  router.put('/crm/v4/objects/:type/:id/associations/default/:toType/:toId', (req, res) => {
    const type = objectType(req.params.type);
    const toType = objectType(req.params.toType);
    requireScope(req, objectScopes(type, 'write'));
    const typeId = defaultTypeId(type, toType);
    if (typeId === undefined) throw validationError(`${type} and ${toType} cannot be associated.`);
    const startedAt = isoNow(ctx);
    const fromId = idParam(req.params.id);
    const toId = idParam(req.params.toId);
    state.associate(type, fromId, toType, toId, [typeId], API);
    res.json({
      status: 'COMPLETE',
      results: [
        {
          from: { id: String(fromId) },
          to: { id: String(toId) },
          associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId },
        },
      ],
      startedAt,
      completedAt: isoNow(ctx),
    });
  });

  router.put('/crm/v4/objects/:type/:id/associations/:toType/:toId', (req, res) => {
    const type = objectType(req.params.type);
    const toType = objectType(req.params.toType);
    requireScope(req, objectScopes(type, 'write'));
    const typeIds = parseSpecs(req.body, type, toType);
    const fromId = idParam(req.params.id);
    const toId = idParam(req.params.toId);
    state.associate(type, fromId, toType, toId, typeIds, API);
    res.status(201).json(linkResult(type, fromId, toType, toId, typeIds));
  });

  router.delete('/crm/v4/objects/:type/:id/associations/:toType/:toId', (req, res) => {
    const type = objectType(req.params.type);
    const toType = objectType(req.params.toType);
    requireScope(req, objectScopes(type, 'write'));
    state.unassociate(type, idParam(req.params.id), toType, idParam(req.params.toId), API);
    res.status(204).end();
  });

  router.post('/crm/v4/associations/:type/:toType/batch/read', (req, res) => {
    const type = objectType(req.params.type);
    const toType = objectType(req.params.toType);
    requireScope(req, objectScopes(type, 'read'));
    const startedAt = isoNow(ctx);
    const results = [];
    const missing: string[] = [];
    for (const input of inputsOf(req, 1000)) {
      const id = String(input.id ?? '');
      const record = /^\d+$/.test(id) ? state.get(type, Number(id)) : undefined;
      if (!record) {
        missing.push(id);
        continue;
      }
      const after = input.after === undefined ? 0 : idParam(input.after, 'after');
      const page = pageOf(type, record.id, toType, after, PAGE);
      if (page.results.length === 0) continue;
      results.push({ from: { id }, to: page.results, ...(page.paging ? { paging: page.paging } : {}) });
    }
    const errors = missing.length
      ? [standardError('OBJECT_NOT_FOUND', `No ${SINGULAR[type]} with these ids`, { fromObjectIds: missing })]
      : [];
    res.status(errors.length > 0 ? 207 : 200).json(batchBody(ctx, startedAt, results, errors));
  });

  router.post('/crm/v4/associations/:type/:toType/batch/create', (req, res) => {
    const type = objectType(req.params.type);
    const toType = objectType(req.params.toType);
    requireScope(req, objectScopes(type, 'write'));
    const startedAt = isoNow(ctx);
    const results = [];
    const errors = [];
    for (const input of inputsOf(req, 2000)) {
      const { fromId, toId } = endsOf(input);
      const typeIds = parseSpecs(input.types, type, toType);
      if (!state.get(type, fromId) || !state.get(toType, toId)) {
        errors.push(
          standardError('OBJECT_NOT_FOUND', 'No such records to associate', {
            fromObjectId: [String(fromId)],
            toObjectId: [String(toId)],
          }),
        );
        continue;
      }
      state.associate(type, fromId, toType, toId, typeIds, API);
      results.push(linkResult(type, fromId, toType, toId, typeIds));
    }
    res.status(errors.length > 0 ? 207 : 201).json(batchBody(ctx, startedAt, results, errors));
  });

  router.post('/crm/v4/associations/:type/:toType/batch/associate/default', (req, res) => {
    const type = objectType(req.params.type);
    const toType = objectType(req.params.toType);
    requireScope(req, objectScopes(type, 'write'));
    const typeId = defaultTypeId(type, toType);
    if (typeId === undefined) throw validationError(`${type} and ${toType} cannot be associated.`);
    const startedAt = isoNow(ctx);
    const results = [];
    for (const input of inputsOf(req, 2000)) {
      const { fromId, toId } = endsOf(input);
      state.associate(type, fromId, toType, toId, [typeId], API);
      results.push({
        from: { id: String(fromId) },
        to: { id: String(toId) },
        associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId },
      });
    }
    res.status(201).json({ status: 'COMPLETE', results, startedAt, completedAt: isoNow(ctx) });
  });

  router.post('/crm/v4/associations/:type/:toType/batch/archive', (req, res) => {
    const type = objectType(req.params.type);
    const toType = objectType(req.params.toType);
    requireScope(req, objectScopes(type, 'write'));
    for (const input of inputsOf(req, 2000)) {
      const { fromId } = endsOf(input, false);
      const targets = Array.isArray(input.to) ? (input.to as Array<{ id?: unknown }>) : [];
      for (const target of targets) state.unassociate(type, fromId, toType, idParam(target.id, 'to.id'), API);
    }
    res.status(204).end();
  });

  router.post('/crm/v4/associations/:type/:toType/batch/labels/archive', (req, res) => {
    const type = objectType(req.params.type);
    const toType = objectType(req.params.toType);
    requireScope(req, objectScopes(type, 'write'));
    for (const input of inputsOf(req, 2000)) {
      const { fromId, toId } = endsOf(input);
      const typeIds = parseSpecs(input.types, type, toType);
      state.associations.removeTypes(type, fromId, toType, toId, typeIds);
      const at = state.now();
      state.touchCounts(type, fromId, at);
      state.touchCounts(toType, toId, at);
    }
    res.status(204).end();
  });

  return router;
}
