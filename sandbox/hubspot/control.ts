import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { defaultTypeId } from './associations.js';
import { notFound, validationError } from './errors.js';
import { OBJECT_TYPES, type ObjectTypeName } from './object-types.js';
import { body, idParam, objectType, type SandboxContext } from './routes/context.js';
import { createWithAssociations } from './routes/objects.js';
import type { ChangeSource, StoredObject } from './state.js';
import { signV2 } from './webhooks.js';

const UI: ChangeSource = { source: 'CRM_UI', sourceId: 'userId:7000001' };

/** A record as the ground-truth export shows it. */
export interface ExportedRecord {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

/** The portal's state at a moment, for tests comparing a synced copy with the CRM. */
export interface PortalExport {
  records: Record<ObjectTypeName, ExportedRecord[]>;
  archived: Record<ObjectTypeName, string[]>;
  merged: Record<ObjectTypeName, Record<string, string>>;
  /** `fromType:toType` → [fromId, toId, typeIds] for every live link. */
  associations: Record<string, Array<[string, string, number[]]>>;
}

export interface FaultSettings {
  throttle?: Array<{ probability: number; from?: number; until?: number }> | null;
  serverErrors?: { probability: number; status?: number } | null;
  malformed?: string[];
}

/**
 * What a user (or an operator) does to the portal outside the API: edits, creations, merges and deletions made
 * in the CRM's UI (they fire webhooks like API writes), token expiry and revocation, injected faults, and the
 * ground-truth exports. Each is a method here and a `POST /__sandbox/...` endpoint.
 */
export class SandboxControl {
  constructor(
    private readonly ctx: SandboxContext,
    private readonly truthExport: () => Record<string, unknown>,
  ) {}

  create(type: ObjectTypeName, properties: Record<string, unknown>, associations?: unknown): StoredObject {
    return createWithAssociations(this.ctx, type, { properties, ...(associations ? { associations } : {}) }, UI);
  }

  edit(type: ObjectTypeName, id: number, properties: Record<string, unknown>): StoredObject {
    return this.ctx.state.update(type, id, properties, UI);
  }

  /**
   * A rep logs notes on a record in the UI: HubSpot then recalculates its read-only activity properties
   * (`num_notes`, `notes_last_updated`), which fire property-change webhooks like any edit.
   */
  logNotes(type: ObjectTypeName, id: number, notes: number): StoredObject {
    const record = this.ctx.state.get(type, id);
    const count = Number(record?.properties.num_notes ?? 0) + notes;
    return this.ctx.state.update(
      type,
      id,
      { num_notes: String(count), notes_last_updated: new Date(this.ctx.clock.now()).toISOString() },
      { source: 'CALCULATED' },
      { system: true },
    );
  }

  delete(type: ObjectTypeName, id: number): boolean {
    return this.ctx.state.archive(type, id, UI);
  }

  restore(type: ObjectTypeName, id: number): StoredObject {
    return this.ctx.state.restore(type, id, UI);
  }

  merge(type: ObjectTypeName, primaryId: number, mergedId: number): StoredObject {
    return this.ctx.state.merge(type, primaryId, mergedId, UI);
  }

  privacyDelete(id: number): boolean {
    return this.ctx.state.purge('contacts', id, UI);
  }

  associate(from: ObjectTypeName, fromId: number, to: ObjectTypeName, toId: number, typeIds?: number[]): void {
    const types = typeIds ?? [defaultTypeId(from, to) ?? -1];
    if (types.includes(-1)) throw validationError(`${from} and ${to} cannot be associated.`);
    this.ctx.state.associate(from, fromId, to, toId, types, UI);
  }

  unassociate(from: ObjectTypeName, fromId: number, to: ObjectTypeName, toId: number): boolean {
    return this.ctx.state.unassociate(from, fromId, to, toId, UI);
  }

  /** OAuth tokens for the portal without the browser step. */
  issueTokens(scopes: string[] = ALL_SCOPES) {
    return this.ctx.state.tokens.issueForTests(scopes);
  }

  expireTokens(): number {
    return this.ctx.state.tokens.expireAccessTokens();
  }

  revokeRefreshToken(token: string): boolean {
    return this.ctx.state.tokens.revokeRefreshToken(token);
  }

  /** Deletes a private app (or revokes an access token): calls with it answer 401 from now on. */
  revokeAccessToken(token: string): boolean {
    return this.ctx.state.tokens.revokeAccessToken(token);
  }

  setAccessTokenTtl(ms: number): void {
    this.ctx.state.tokens.setAccessTokenTtl(ms);
  }

  setSearchLag(ms: number): void {
    this.ctx.state.index.setLag(ms);
  }

  /** The search index catches up with every write made so far (whatever the lag). */
  catchUpSearchIndex(): void {
    this.ctx.state.index.flush();
  }

  setFaults(settings: FaultSettings): void {
    const { faults } = this.ctx;
    if (settings.throttle !== undefined) {
      if (settings.throttle === null) delete faults.throttle;
      else faults.throttle = settings.throttle;
    }
    if (settings.serverErrors !== undefined) {
      if (settings.serverErrors === null) delete faults.serverErrors;
      else faults.serverErrors = settings.serverErrors;
    }
    if (settings.malformed) for (const key of settings.malformed) faults.malformed.add(key);
  }

  clearFaults(): void {
    delete this.ctx.faults.throttle;
    delete this.ctx.faults.serverErrors;
    this.ctx.faults.malformed.clear();
  }

  stats() {
    return {
      requests: { ...this.ctx.counters },
      limits: this.ctx.limits.stats(),
      tokenGrants: { ...this.ctx.state.tokens.grants },
      webhookDeliveries: this.ctx.webhooks.deliveries.length,
    };
  }

  flushWebhooks(): Promise<void> {
    return this.ctx.webhooks.flush();
  }

  truth(): Record<string, unknown> {
    return this.truthExport();
  }

  export(): PortalExport {
    const { state } = this.ctx;
    const out: PortalExport = {
      records: {} as PortalExport['records'],
      archived: {} as PortalExport['archived'],
      merged: {} as PortalExport['merged'],
      associations: {},
    };
    for (const type of OBJECT_TYPES) {
      const store = state.objects[type];
      const live: ExportedRecord[] = [];
      const archived: string[] = [];
      for (const id of store.ids) {
        const record = store.records.get(id);
        if (!record) continue;
        if (record.archived) {
          if (state.get(type, id, { followMerges: false, archived: true })) archived.push(String(id));
          continue;
        }
        live.push({
          id: String(id),
          properties: { ...record.properties },
          createdAt: new Date(record.createdAt).toISOString(),
          updatedAt: new Date(record.updatedAt).toISOString(),
        });
        for (const toType of OBJECT_TYPES) {
          for (const link of state.associations.list(type, id, toType)) {
            const key = `${type}:${toType}`;
            out.associations[key] ??= [];
            out.associations[key].push([String(id), String(link.toId), link.typeIds]);
          }
        }
      }
      out.records[type] = live;
      out.archived[type] = archived;
      out.merged[type] = Object.fromEntries(
        [...store.merged].map(([from, to]) => [String(from), String(store.resolve(to))]),
      );
    }
    return out;
  }

  /**
   * Plays a workflow reaching the app's custom action: POSTs the execution (signed v2) to the action URL and
   * records the callback, which the app later completes through the callbacks API.
   */
  async executeWorkflowAction(
    definitionId: string,
    objectId: number,
    inputFields: Record<string, unknown> = {},
  ): Promise<{ callbackId: string; status: number; response: unknown }> {
    const definition = this.ctx.actions.get(definitionId);
    if (!definition || definition.archived) throw notFound(`No action definition ${definitionId}`);
    const callbackId = `ap-${randomUUID()}`;
    this.ctx.callbacks.set(callbackId, { callbackId, definitionId, objectId, status: 'PENDING' });
    const payload = JSON.stringify({
      callbackId,
      origin: {
        portalId: this.ctx.state.portalId,
        actionDefinitionId: Number(definition.id),
        actionDefinitionVersion: Number(definition.revisionId),
      },
      context: { source: 'WORKFLOWS', workflowId: 1_000_001 },
      object: { objectId, objectType: String(definition.objectTypes[0] ?? 'CONTACT').toUpperCase() },
      inputFields,
    });
    const response = await this.ctx.fetch(definition.actionUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-HubSpot-Signature': signV2(this.ctx.clientSecret, 'POST', definition.actionUrl, payload),
        'X-HubSpot-Signature-Version': 'v2',
      },
      body: payload,
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { callbackId, status: response.status, response: parsed };
  }

  callback(callbackId: string) {
    return this.ctx.callbacks.get(callbackId);
  }
}

/** Scopes of a fully consented install (what tests get from issueTokens). */
export const ALL_SCOPES = [
  'oauth',
  'automation',
  'e-commerce',
  'crm.objects.owners.read',
  ...OBJECT_TYPES.filter((t) => t !== 'tasks').flatMap((t) => [
    `crm.objects.${t}.read`,
    `crm.objects.${t}.write`,
    `crm.schemas.${t}.read`,
    `crm.schemas.${t}.write`,
  ]),
];

/** The control endpoints under `/__sandbox`. */
export function controlRoutes(control: SandboxControl): Router {
  const router = Router();
  const ids = (req: { params: Record<string, string | string[] | undefined> }) => ({
    type: objectType(req.params.type),
    id: idParam(req.params.id),
  });
  router.post('/__sandbox/objects/:type', (req, res) => {
    const b = body<{ properties?: Record<string, unknown>; associations?: unknown }>(req);
    const type = objectType(req.params.type);
    const record = control.create(type, b.properties ?? {}, b.associations);
    res.status(201).json({ id: String(record.id) });
  });
  router.patch('/__sandbox/objects/:type/:id', (req, res) => {
    const { type, id } = ids(req);
    control.edit(type, id, body<{ properties?: Record<string, unknown> }>(req).properties ?? {});
    res.status(204).end();
  });
  router.post('/__sandbox/objects/:type/:id/notes', (req, res) => {
    const { type, id } = ids(req);
    const record = control.logNotes(type, id, Number(body<{ count?: number }>(req).count ?? 1));
    res.json({ num_notes: record.properties.num_notes });
  });
  router.delete('/__sandbox/objects/:type/:id', (req, res) => {
    const { type, id } = ids(req);
    if (!control.delete(type, id)) throw notFound(`No live ${type} ${id}`);
    res.status(204).end();
  });
  router.post('/__sandbox/objects/:type/:id/restore', (req, res) => {
    const { type, id } = ids(req);
    control.restore(type, id);
    res.status(204).end();
  });
  router.post('/__sandbox/objects/:type/merge', (req, res) => {
    const b = body<{ primaryId?: unknown; mergedId?: unknown }>(req);
    const record = control.merge(objectType(req.params.type), idParam(b.primaryId), idParam(b.mergedId));
    res.json({ id: String(record.id) });
  });
  router.post('/__sandbox/objects/contacts/:id/privacy-delete', (req, res) => {
    if (!control.privacyDelete(idParam(req.params.id))) throw notFound(`No contact ${req.params.id}`);
    res.status(204).end();
  });
  router.put('/__sandbox/associations/:from/:fromId/:to/:toId', (req, res) => {
    const typeIds = (req.body as { typeIds?: unknown } | undefined)?.typeIds;
    control.associate(
      objectType(req.params.from),
      idParam(req.params.fromId),
      objectType(req.params.to),
      idParam(req.params.toId),
      Array.isArray(typeIds) ? typeIds.map(Number) : undefined,
    );
    res.status(204).end();
  });
  router.delete('/__sandbox/associations/:from/:fromId/:to/:toId', (req, res) => {
    control.unassociate(
      objectType(req.params.from),
      idParam(req.params.fromId),
      objectType(req.params.to),
      idParam(req.params.toId),
    );
    res.status(204).end();
  });
  router.post('/__sandbox/tokens', (req, res) => {
    const scopes = (req.body as { scopes?: unknown } | undefined)?.scopes;
    res.status(201).json(control.issueTokens(Array.isArray(scopes) ? scopes.map(String) : undefined));
  });
  router.post('/__sandbox/tokens/expire', (_req, res) => {
    res.json({ expired: control.expireTokens() });
  });
  router.post('/__sandbox/tokens/revoke', (req, res) => {
    const b = body<{ refreshToken?: unknown; accessToken?: unknown }>(req);
    const revoked =
      b.accessToken !== undefined
        ? control.revokeAccessToken(String(b.accessToken))
        : control.revokeRefreshToken(String(b.refreshToken ?? ''));
    res.json({ revoked });
  });
  router.put('/__sandbox/faults', (req, res) => {
    control.setFaults(body<FaultSettings>(req));
    res.status(204).end();
  });
  router.delete('/__sandbox/faults', (_req, res) => {
    control.clearFaults();
    res.status(204).end();
  });
  router.get('/__sandbox/stats', (_req, res) => {
    res.json(control.stats());
  });
  router.get('/__sandbox/export', (_req, res) => {
    res.json(control.export());
  });
  router.get('/__sandbox/truth', (_req, res) => {
    res.json(control.truth());
  });
  router.post('/__sandbox/webhooks/flush', async (_req, res) => {
    await control.flushWebhooks();
    res.status(204).end();
  });
  router.post('/__sandbox/workflow-actions/:definitionId/execute', async (req, res) => {
    const b = body<{ objectId?: unknown; inputFields?: Record<string, unknown> }>(req);
    res.json(
      await control.executeWorkflowAction(String(req.params.definitionId), idParam(b.objectId), b.inputFields ?? {}),
    );
  });
  return router;
}
