import type { Request } from 'express';
import type { Clock } from '../../../src/lib/clock.js';
import { ASSOCIATION_TYPES } from '../associations.js';
import { missingScopes, notFound, validationError } from '../errors.js';
import type { RateLimits } from '../limits.js';
import type { TokenInfo } from '../oauth.js';
import { CREATED, DEFAULT_PROPERTIES, LAST_MODIFIED, type ObjectTypeName, resolveObjectType } from '../object-types.js';
import type { SandboxState, StoredObject } from '../state.js';
import type { WebhookDispatcher } from '../webhooks.js';

/** Injected faults (control endpoints): throttling storms, server errors, records served malformed. */
export interface Faults {
  /** Answer this share of API calls (between `from` and `until`, clock time) with a 429; any window may apply. */
  throttle?: Array<{ probability: number; from?: number; until?: number }>;
  /** Answer this share of API calls with a 5xx. */
  serverErrors?: { probability: number; status?: number };
  /** Records (`type:id`) every read serves malformed. */
  malformed: Set<string>;
}

export interface WorkflowActionDefinition {
  id: string;
  revisionId: string;
  appId: number;
  actionUrl: string;
  published: boolean;
  objectTypes: string[];
  inputFields: unknown[];
  outputFields: unknown[];
  labels: Record<string, unknown>;
  objectRequestOptions?: unknown;
  functions: unknown[];
  archived: boolean;
}

export interface Callback {
  callbackId: string;
  definitionId: string;
  objectId: number;
  status: 'PENDING' | 'COMPLETED';
  outputFields?: Record<string, unknown>;
}

/** Everything the routes share. */
export interface SandboxContext {
  state: SandboxState;
  limits: RateLimits;
  webhooks: WebhookDispatcher;
  clock: Clock;
  fetch: typeof fetch;
  faults: Faults;
  developerApiKey: string;
  appId: number;
  privateAppId: number;
  clientSecret: string;
  actions: Map<string, WorkflowActionDefinition>;
  callbacks: Map<string, Callback>;
  /** Requests per route group, for tests and the stats endpoint. */
  counters: Record<string, number>;
  /** The external base URL (paging links). */
  baseUrl(): string;
}

/** The bearer token the auth middleware resolved for this request. */
export function tokenOf(req: Request): TokenInfo {
  return (req as Request & { token: TokenInfo }).token;
}

/** Refuses an OAuth token that lacks every one of `anyOf` (static private-app tokens have every scope). */
export function requireScope(req: Request, anyOf: string[]): void {
  const token = tokenOf(req);
  if (token.kind === 'static' || token.scopes.includes('*')) return;
  if (!anyOf.some((s) => token.scopes.includes(s))) throw missingScopes(anyOf);
}

export function objectScopes(type: ObjectTypeName, access: 'read' | 'write'): string[] {
  if (type === 'tasks') return [`crm.objects.contacts.${access}`];
  const base = [`crm.objects.${type}.${access}`];
  if (access === 'read') base.push(`crm.objects.${type}.write`);
  if (type === 'products' || type === 'line_items') base.push('e-commerce');
  return base;
}

export function objectType(name: string | string[] | undefined): ObjectTypeName {
  const type = typeof name === 'string' ? resolveObjectType(name) : undefined;
  if (!type) throw notFound(`Unable to infer object type from: ${String(name)}`);
  return type;
}

/** A comma list or repeated query parameter (both forms occur: raw calls and the official client). */
export function listParam(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const parts = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(','));
  return parts.map((p) => p.trim()).filter(Boolean);
}

export function boolParam(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw validationError(`Invalid value for ${name}: ${String(value)} (expected true or false).`);
}

export function intParam(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw validationError(`Invalid value for ${name}: ${String(value)}.`);
  if (n > max) throw validationError(`${name} must be at most ${max} (got ${n}).`);
  return n;
}

export function idParam(value: unknown, what = 'id'): number {
  const s = String(value ?? '');
  if (!/^\d+$/.test(s)) throw validationError(`Invalid ${what} ${JSON.stringify(s)}: ids are numeric.`);
  return Number(s);
}

export function body<T = Record<string, unknown>>(req: Request): T {
  const b = req.body as unknown;
  if (b === undefined || b === null || typeof b !== 'object' || Array.isArray(b)) {
    throw validationError('Invalid input JSON: expected an object.');
  }
  return b as T;
}

export function inputsOf(req: Request, max: number): Array<Record<string, unknown>> {
  const inputs = body<{ inputs?: unknown }>(req).inputs;
  if (!Array.isArray(inputs)) throw validationError("Invalid input JSON: 'inputs' must be an array.");
  if (inputs.length > max) {
    throw validationError(`Too many inputs: ${inputs.length}. A batch takes at most ${max}.`, {
      context: { max: [String(max)], received: [String(inputs.length)] },
    });
  }
  return inputs.map((i) => (i && typeof i === 'object' ? (i as Record<string, unknown>) : {}));
}

export interface SerializeOptions {
  properties?: string[] | undefined;
  propertiesWithHistory?: string[] | undefined;
  associations?: ObjectTypeName[] | undefined;
}

const INLINE_ASSOCIATIONS = 100;

/** A record as the objects API returns it (`SimplePublicObject`), or malformed when a fault says so. */
export function serialize(
  ctx: SandboxContext,
  type: ObjectTypeName,
  record: StoredObject,
  options: SerializeOptions = {},
): Record<string, unknown> {
  const { state } = ctx;
  if (ctx.faults.malformed.has(`${type}:${record.id}`)) {
    return { id: String(record.id), properties: 'corrupted', createdAt: 'yesterday-ish', archived: 'maybe' };
  }
  const names = options.properties ?? DEFAULT_PROPERTIES[type];
  const properties: Record<string, string | null> = {};
  for (const name of new Set([...names, 'hs_object_id', CREATED[type], LAST_MODIFIED[type]])) {
    if (!state.properties.get(type, name)) continue;
    properties[name] = record.properties[name] ?? null;
  }
  const out: Record<string, unknown> = {
    id: String(record.id),
    properties,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    archived: record.archived,
  };
  if (record.archivedAt !== null) out.archivedAt = new Date(record.archivedAt).toISOString();
  if (options.propertiesWithHistory?.length) {
    const history: Record<string, unknown[]> = {};
    for (const name of options.propertiesWithHistory) {
      if (!state.properties.get(type, name)) continue;
      const stored = record.history[name];
      const entries =
        stored ??
        (record.properties[name] !== undefined
          ? [{ value: record.properties[name]!, timestamp: record.createdAt, sourceType: 'IMPORT' }]
          : []);
      history[name] = [...entries].reverse().map((e) => ({
        value: e.value,
        timestamp: new Date(e.timestamp).toISOString(),
        sourceType: e.sourceType,
        ...(e.sourceId ? { sourceId: e.sourceId } : {}),
      }));
    }
    out.propertiesWithHistory = history;
  }
  if (options.associations?.length) {
    const associations: Record<string, unknown> = {};
    for (const toType of options.associations) {
      const entries = state.associations
        .list(type, record.id, toType)
        .flatMap((l) =>
          l.typeIds.map((t) => ({ id: String(l.toId), type: ASSOCIATION_TYPES.get(t)?.name ?? String(t) })),
        );
      if (entries.length === 0) continue;
      const shown = entries.slice(0, INLINE_ASSOCIATIONS);
      associations[toType] = {
        results: shown,
        ...(entries.length > shown.length
          ? {
              paging: {
                next: {
                  after: shown[shown.length - 1]!.id,
                  link: `${ctx.baseUrl()}/crm/v4/objects/${type}/${record.id}/associations/${toType}?after=${shown[shown.length - 1]!.id}`,
                },
              },
            }
          : {}),
      };
    }
    if (Object.keys(associations).length > 0) out.associations = associations;
  }
  return out;
}

export function associationTypesParam(value: unknown): ObjectTypeName[] | undefined {
  const names = listParam(value);
  if (!names) return undefined;
  return names.map((n) => resolveObjectType(n)).filter((t): t is ObjectTypeName => t !== undefined);
}

/** Time as ISO-8601, for `startedAt`/`completedAt` of batch responses. */
export function isoNow(ctx: SandboxContext): string {
  return new Date(ctx.clock.now()).toISOString();
}

/** HubSpot's batch answer: every result, and the failed inputs as `StandardError` entries. */
export function batchBody(
  ctx: SandboxContext,
  startedAt: string,
  results: unknown[],
  errors: unknown[] = [],
): Record<string, unknown> {
  return {
    status: 'COMPLETE',
    results,
    ...(errors.length > 0 ? { numErrors: errors.length, errors } : {}),
    startedAt,
    completedAt: isoNow(ctx),
  };
}
