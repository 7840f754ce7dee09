import { Router } from 'express';
import { HubSpotHttpError, notFound, standardError } from '../errors.js';
import type { ObjectTypeName } from '../object-types.js';
import type { PropertyDefinition } from '../properties.js';
import {
  batchBody,
  body,
  boolParam,
  inputsOf,
  isoNow,
  objectType,
  requireScope,
  type SandboxContext,
} from './context.js';

function schemaScopes(type: ObjectTypeName, access: 'read' | 'write'): string[] {
  const scopes = [`crm.schemas.${type}.${access}`];
  if (access === 'read') scopes.push(`crm.objects.${type}.read`, `crm.schemas.${type}.write`);
  if (type === 'products' || type === 'line_items') scopes.push('e-commerce');
  if (type === 'tasks') scopes.push(`crm.objects.contacts.${access}`);
  return scopes;
}

/** A property as the API shows it (`Property`). */
function show(def: PropertyDefinition): Record<string, unknown> {
  const { readOnlyValue, ...rest } = def;
  return {
    ...rest,
    modificationMetadata: {
      archivable: !def.hubspotDefined,
      readOnlyDefinition: def.hubspotDefined,
      readOnlyValue,
    },
  };
}

/** Properties v3: definitions and groups per object type, with HubSpot's 409 on a duplicate name. */
export function propertyRoutes(ctx: SandboxContext): Router {
  const router = Router();
  const registry = ctx.state.properties;

  router.get('/crm/v3/properties/:type/groups', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, schemaScopes(type, 'read'));
    res.json({ results: registry.listGroups(type) });
  });
  router.get('/crm/v3/properties/:type/groups/:name', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, schemaScopes(type, 'read'));
    res.json(registry.getGroup(type, req.params.name));
  });
  router.post('/crm/v3/properties/:type/groups', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, schemaScopes(type, 'write'));
    res.status(201).json(registry.createGroup(type, body(req)));
  });
  router.patch('/crm/v3/properties/:type/groups/:name', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, schemaScopes(type, 'write'));
    res.json(registry.updateGroup(type, req.params.name, body(req)));
  });
  router.delete('/crm/v3/properties/:type/groups/:name', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, schemaScopes(type, 'write'));
    registry.archiveGroup(type, req.params.name);
    res.status(204).end();
  });

  router.post('/crm/v3/properties/:type/batch/read', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, schemaScopes(type, 'read'));
    const archived = body<{ archived?: unknown }>(req).archived === true;
    const startedAt = isoNow(ctx);
    const results = [];
    const missing: string[] = [];
    for (const input of inputsOf(req, 100)) {
      const name = String(input.name ?? '');
      const def = registry.list(type, archived).find((d) => d.name === name);
      if (def) results.push(show(def));
      else missing.push(name);
    }
    const errors =
      missing.length > 0 ? [standardError('OBJECT_NOT_FOUND', 'Some properties do not exist', { names: missing })] : [];
    res.status(missing.length > 0 ? 207 : 200).json(batchBody(ctx, startedAt, results, errors));
  });
  router.post('/crm/v3/properties/:type/batch/create', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, schemaScopes(type, 'write'));
    const startedAt = isoNow(ctx);
    const results = [];
    const errors = [];
    for (const input of inputsOf(req, 100)) {
      try {
        results.push(show(registry.create(type, input)));
      } catch (error) {
        if (!(error instanceof HubSpotHttpError)) throw error;
        const b = error.body as { category?: string; message?: string; subCategory?: string };
        errors.push({
          ...standardError(b.category ?? 'VALIDATION_ERROR', b.message ?? 'invalid', { name: [String(input.name)] }),
          ...(b.subCategory ? { subCategory: b.subCategory } : {}),
        });
      }
    }
    res.status(errors.length === 0 ? 201 : 207).json(batchBody(ctx, startedAt, results, errors));
  });
  router.post('/crm/v3/properties/:type/batch/archive', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, schemaScopes(type, 'write'));
    for (const input of inputsOf(req, 100)) {
      // Like HubSpot: 204 even for a property that is already gone.
      if (registry.get(type, String(input.name ?? ''))) registry.archive(type, String(input.name));
    }
    res.status(204).end();
  });

  router.get('/crm/v3/properties/:type', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, schemaScopes(type, 'read'));
    res.json({ results: registry.list(type, boolParam(req.query.archived, 'archived')).map(show) });
  });
  router.get('/crm/v3/properties/:type/:name', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, schemaScopes(type, 'read'));
    const def = registry.list(type, boolParam(req.query.archived, 'archived')).find((d) => d.name === req.params.name);
    if (!def) throw notFound(`Unable to find property ${req.params.name}`);
    res.json(show(def));
  });
  router.post('/crm/v3/properties/:type', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, schemaScopes(type, 'write'));
    res.status(201).json(show(registry.create(type, body(req))));
  });
  router.patch('/crm/v3/properties/:type/:name', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, schemaScopes(type, 'write'));
    res.json(show(registry.update(type, req.params.name, body(req))));
  });
  router.delete('/crm/v3/properties/:type/:name', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, schemaScopes(type, 'write'));
    registry.archive(type, req.params.name);
    res.status(204).end();
  });
  return router;
}
