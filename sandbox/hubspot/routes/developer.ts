import { randomUUID } from 'node:crypto';
import { type NextFunction, type Request, type Response, Router } from 'express';
import { HubSpotHttpError, notFound, validationError } from '../errors.js';
import {
  body,
  idParam,
  inputsOf,
  isoNow,
  requireScope,
  type SandboxContext,
  type WorkflowActionDefinition,
} from './context.js';

/**
 * Calls made with the app's developer API key (`?hapikey=`): webhook settings and subscriptions, and custom
 * workflow action definitions. Plus the callback-complete endpoints, which take the portal's OAuth token.
 */
export function developerRoutes(ctx: SandboxContext): { developer: Router; callbacks: Router } {
  const developer = Router();
  const requireKey = (req: Request, _res: Response, next: NextFunction) => {
    if (req.query.hapikey !== ctx.developerApiKey) {
      throw new HubSpotHttpError(401, {
        status: 'error',
        message:
          'The API key provided is invalid. View or manage your API key here: https://app.hubspot.com/l/api-key/',
        correlationId: randomUUID(),
        category: 'INVALID_AUTHENTICATION',
      });
    }
    if (req.params.appId !== undefined && idParam(req.params.appId, 'appId') !== ctx.appId) {
      throw notFound(`App ${req.params.appId} not found`);
    }
    next();
  };
  const hooks = ctx.webhooks;

  developer.get('/webhooks/v3/:appId/settings', requireKey, (_req, res) => {
    if (!hooks.settings) throw notFound('No webhook settings for this app');
    res.json(hooks.settings);
  });
  developer.put('/webhooks/v3/:appId/settings', requireKey, (req, res) => {
    res.json(hooks.configure(body(req)));
  });
  developer.delete('/webhooks/v3/:appId/settings', requireKey, (_req, res) => {
    hooks.clearSettings();
    res.status(204).end();
  });
  developer.get('/webhooks/v3/:appId/subscriptions', requireKey, (_req, res) => {
    res.json({ results: [...hooks.subscriptions.values()] });
  });
  developer.post('/webhooks/v3/:appId/subscriptions', requireKey, (req, res) => {
    res.status(201).json(hooks.subscribe(body(req)));
  });
  developer.post('/webhooks/v3/:appId/subscriptions/batch/update', requireKey, (req, res) => {
    const results = inputsOf(req, 100).map((input) => hooks.updateSubscription(idParam(input.id), input));
    res.json({ status: 'COMPLETE', results, startedAt: isoNow(ctx), completedAt: isoNow(ctx) });
  });
  developer.get('/webhooks/v3/:appId/subscriptions/:id', requireKey, (req, res) => {
    const subscription = hooks.subscriptions.get(idParam(req.params.id));
    if (!subscription) throw notFound(`No subscription ${req.params.id}`);
    res.json(subscription);
  });
  developer.patch('/webhooks/v3/:appId/subscriptions/:id', requireKey, (req, res) => {
    res.json(hooks.updateSubscription(idParam(req.params.id), body(req)));
  });
  developer.delete('/webhooks/v3/:appId/subscriptions/:id', requireKey, (req, res) => {
    hooks.subscriptions.delete(idParam(req.params.id));
    res.status(204).end();
  });

  const definition = (id: string) => {
    const found = ctx.actions.get(id);
    if (!found || found.archived) throw notFound(`No action definition ${id}`);
    return found;
  };
  developer.post('/automation/v4/actions/:appId', requireKey, (req, res) => {
    const b = body(req);
    if (typeof b.actionUrl !== 'string' || !URL.canParse(b.actionUrl))
      throw validationError('actionUrl must be an absolute URL.');
    if (!Array.isArray(b.objectTypes) || b.objectTypes.length === 0) throw validationError('objectTypes is required.');
    if (!b.labels || typeof b.labels !== 'object') throw validationError('labels is required.');
    const created: WorkflowActionDefinition = {
      id: String(ctx.actions.size + 1_000_001),
      revisionId: '1',
      appId: ctx.appId,
      actionUrl: b.actionUrl,
      published: b.published === true,
      objectTypes: b.objectTypes.map(String),
      inputFields: Array.isArray(b.inputFields) ? b.inputFields : [],
      outputFields: Array.isArray(b.outputFields) ? b.outputFields : [],
      labels: b.labels as Record<string, unknown>,
      ...(b.objectRequestOptions !== undefined ? { objectRequestOptions: b.objectRequestOptions } : {}),
      functions: Array.isArray(b.functions) ? b.functions : [],
      archived: false,
    };
    ctx.actions.set(created.id, created);
    res.status(201).json(created);
  });
  developer.get('/automation/v4/actions/:appId', requireKey, (_req, res) => {
    res.json({ results: [...ctx.actions.values()].filter((a) => !a.archived) });
  });
  developer.get('/automation/v4/actions/:appId/:definitionId', requireKey, (req, res) => {
    res.json(definition(req.params.definitionId as string));
  });
  developer.patch('/automation/v4/actions/:appId/:definitionId', requireKey, (req, res) => {
    const found = definition(req.params.definitionId as string);
    const b = body(req);
    if (typeof b.actionUrl === 'string') found.actionUrl = b.actionUrl;
    if (typeof b.published === 'boolean') found.published = b.published;
    if (Array.isArray(b.inputFields)) found.inputFields = b.inputFields;
    if (Array.isArray(b.outputFields)) found.outputFields = b.outputFields;
    if (Array.isArray(b.objectTypes)) found.objectTypes = b.objectTypes.map(String);
    if (b.labels && typeof b.labels === 'object') found.labels = b.labels as Record<string, unknown>;
    found.revisionId = String(Number(found.revisionId) + 1);
    res.json(found);
  });
  developer.delete('/automation/v4/actions/:appId/:definitionId', requireKey, (req, res) => {
    definition(req.params.definitionId as string).archived = true;
    res.status(204).end();
  });

  const callbacks = Router();
  const complete = (callbackId: string, outputFields: unknown) => {
    const callback = ctx.callbacks.get(callbackId);
    if (!callback) throw notFound(`No blocked workflow execution with callbackId ${callbackId}`);
    if (!outputFields || typeof outputFields !== 'object') throw validationError('outputFields is required.');
    callback.status = 'COMPLETED';
    callback.outputFields = outputFields as Record<string, unknown>;
  };
  const single = (req: Request, res: Response) => {
    requireScope(req, ['automation']);
    complete(String(req.params.callbackId), body<{ outputFields?: unknown }>(req).outputFields);
    res.status(204).end();
  };
  const batch = (req: Request, res: Response) => {
    requireScope(req, ['automation']);
    for (const input of inputsOf(req, 100)) complete(String(input.callbackId ?? ''), input.outputFields);
    res.status(204).end();
  };
  callbacks.post('/automation/v4/actions/callbacks/complete', batch);
  callbacks.post('/automation/v4/actions/callbacks/:callbackId/complete', single);
  callbacks.post('/automation/actions/callbacks/2026-03/complete', batch);
  callbacks.post('/automation/actions/callbacks/2026-03/:callbackId/complete', single);
  return { developer, callbacks };
}
