import { Rng } from '../world/rng.js';
import type { World } from '../world/world.js';
import type { SandboxContext } from './context.js';
import {
  type Actor,
  createRecord,
  deleteRecord,
  mergeRecords,
  purgeDeleted,
  undeleteRecord,
  updateRecord,
} from './dml.js';
import { SalesforceError } from './errors.js';
import { OPPORTUNITY_STAGES, type SfRecord } from './schema.js';
import { groundTruth } from './seed.js';
import type { ValidationRule } from './state.js';

const TITLES = ['Head of Operations', 'VP Sales', 'IT Manager', 'CFO', 'Procurement Lead', 'Data Analyst', 'COO'];

export interface EditRequest {
  object: string;
  /** Records to edit; otherwise `count` live records picked with `seed`. */
  ids?: string[];
  count?: number;
  seed?: number;
  /** The fields to set; otherwise a plausible edit per object (a stage moves on, a title changes…). */
  fields?: Record<string, unknown>;
}

/**
 * What people do to the org while crm-agent is not looking, played on demand: reps edit and delete records, a
 * nightly job mass-updates thousands of records within one second (SystemModstamp ties), admins merge duplicates
 * and empty the recycle bin, sessions end, the org moves instance, other integrations use the API allocation.
 * Every change goes through the same rules as API writes (history, roll-ups, outbound messages).
 */
export function createControl(ctx: SandboxContext, extra: { world: World; moveInstance(url: string): void }) {
  const { state, ids } = ctx;
  const rep = (record?: SfRecord): Actor => ({
    userId:
      typeof record?.OwnerId === 'string' && record.OwnerId !== ids.apiUserId
        ? record.OwnerId
        : (ids.users[0] ?? ids.apiUserId),
  });
  const live = (object: string) => [...state.table(object).values()].filter((r) => r.IsDeleted !== true);
  const choose = (request: EditRequest): SfRecord[] => {
    const def = state.object(request.object);
    if (!def) throw new SalesforceError(404, 'NOT_FOUND', `No such object ${request.object}`);
    if (request.ids) {
      return request.ids.map((id) => {
        const record = state.get(def.name, id);
        if (!record || record.IsDeleted === true)
          throw new SalesforceError(404, 'NOT_FOUND', `No live ${def.name} ${id}`);
        return record;
      });
    }
    const pool = live(def.name);
    const rng = new Rng(request.seed ?? 1);
    const picked = new Set<SfRecord>();
    const n = Math.min(request.count ?? 1, pool.length);
    while (picked.size < n) picked.add(pool[rng.int(0, pool.length - 1)]!);
    return [...picked];
  };
  const plausibleEdit = (object: string, record: SfRecord, rng: Rng): Record<string, unknown> => {
    switch (object) {
      case 'Contact':
        return { Title: rng.pick(TITLES), Email_Opens__c: Number(record.Email_Opens__c ?? 0) + rng.int(1, 5) };
      case 'Lead':
        return { Status: 'Working - Contacted', Email_Opens__c: Number(record.Email_Opens__c ?? 0) + 1 };
      case 'Account':
        return {
          NumberOfEmployees: Math.max(1, Math.round(Number(record.NumberOfEmployees ?? 10) * rng.uniform(0.9, 1.2))),
        };
      case 'Opportunity': {
        if (record.IsClosed === true) return { NextStep: rng.pick(['Upsell call', 'Renewal review', 'Check-in']) };
        const at = OPPORTUNITY_STAGES.findIndex((s) => s.name === record.StageName);
        const next = at >= 4 ? OPPORTUNITY_STAGES[rng.chance(0.5) ? 5 : 6]! : OPPORTUNITY_STAGES[at + 1]!;
        return {
          StageName: next.name,
          Amount: Math.round(Number(record.Amount ?? 1000) * rng.uniform(0.9, 1.1) * 100) / 100,
        };
      }
      case 'OpportunityLineItem':
        return { Quantity: Number(record.Quantity ?? 1) + 1 };
      case 'OpportunityContactRole':
        return { Role: rng.pick(['Influencer', 'Evaluator', 'Economic Buyer']) };
      default:
        return { Description: `edited ${rng.int(1, 1e6)}` };
    }
  };

  const control = {
    /** Reps edit records, one transaction each (their SystemModstamps differ only when the clock moves). */
    edit(request: EditRequest): string[] {
      const rng = new Rng((request.seed ?? 1) + 7);
      const records = choose(request);
      for (const record of records) {
        updateRecord(
          state,
          request.object,
          record.Id as string,
          request.fields ?? plausibleEdit(request.object, record, rng),
          rep(record),
        );
      }
      return records.map((r) => r.Id as string);
    },
    /** A nightly job updates many records in one transaction: they all share one SystemModstamp. */
    massUpdate(request: EditRequest): string[] {
      const rng = new Rng((request.seed ?? 1) + 11);
      const records = choose(request);
      const actor = { userId: ids.marketingUserId };
      state.transaction(() => {
        for (const record of records) {
          updateRecord(
            state,
            request.object,
            record.Id as string,
            request.fields ?? plausibleEdit(request.object, record, rng),
            actor,
          );
        }
      });
      return records.map((r) => r.Id as string);
    },
    create(object: string, fields: Record<string, unknown>): string {
      return createRecord(state, object, fields, rep());
    },
    remove(request: EditRequest): string[] {
      const records = choose(request);
      for (const record of records) {
        if (record.IsDeleted !== true) deleteRecord(state, request.object, record.Id as string, rep(record));
      }
      return records.map((r) => r.Id as string);
    },
    undelete(object: string, recordIds: string[]): void {
      for (const id of recordIds) undeleteRecord(state, object, id, rep());
    },
    emptyRecycleBin(objects?: string[]): number {
      return purgeDeleted(state, objects);
    },
    merge(object: string, masterId: string, duplicateIds: string[]): void {
      mergeRecords(state, object, masterId, duplicateIds, rep(state.get(object, masterId)));
    },
    /** Ends every session now (refresh tokens keep working). */
    expireSessions(): number {
      return ctx.oauth.expireAll();
    },
    /** The org moves to another instance: sessions end, token responses name the new instance_url. */
    moveInstance(url: string): void {
      extra.moveInstance(url);
      ctx.oauth.expireAll();
    },
    /** Other integrations of the org use `requests` of the daily allocation. */
    useApi(requests: number): string {
      ctx.limits.add(requests);
      return ctx.limits.header();
    },
    setLimits(settings: { dailyLimit?: number; enabled?: boolean }): void {
      if (settings.dailyLimit !== undefined) ctx.limits.dailyLimit = settings.dailyLimit;
      if (settings.enabled !== undefined) ctx.limits.enabled = settings.enabled;
    },
    /** An admin activates a validation rule (replacing one of the same name on the object). */
    addValidationRule(rule: ValidationRule): void {
      control.removeValidationRule(rule.object, rule.name);
      state.validationRules.push(rule);
    },
    removeValidationRule(object: string, name: string): void {
      const i = state.validationRules.findIndex((r) => r.object === object && r.name === name);
      if (i >= 0) state.validationRules.splice(i, 1);
    },
    /** Another transaction holds these records: their next `times` saves fail with UNABLE_TO_LOCK_ROW. */
    lockRows(recordIds: string[], times = 1): void {
      for (const id of recordIds) state.lockedRows.set(id, times);
    },
    /** Salesforce trims a large delete log: getDeleted covers nothing before `at` any more. */
    trimDeleteLog(at: number = state.clock.now()): void {
      ctx.deleteLogTrimmedBefore = at;
    },
    groundTruth() {
      return groundTruth(extra.world, ids);
    },
    /** The org's copy of an object as stored (formula fields not included), live records only unless asked. */
    records(object: string, options: { includeDeleted?: boolean } = {}): SfRecord[] {
      const def = state.object(object);
      if (!def) throw new SalesforceError(404, 'NOT_FOUND', `No such object ${object}`);
      return [...state.table(def.name).values()].filter((r) => options.includeDeleted || r.IsDeleted !== true);
    },
  };
  return control;
}

export type SandboxControl = ReturnType<typeof createControl>;

/** `POST /__sandbox/<operation>` with a JSON body, and `GET /__sandbox/ground-truth` | `records/<object>`. */
export function controlHttp(
  control: SandboxControl,
  method: string,
  path: string,
  body: Record<string, unknown>,
  query: URLSearchParams,
): { status: number; body: unknown } {
  const op = path.replace(/^\/__sandbox\/?/, '').replace(/\/$/, '');
  const request = body as unknown as EditRequest;
  if (method === 'GET' && op === 'ground-truth') return { status: 200, body: control.groundTruth() };
  if (method === 'GET' && op.startsWith('records/')) {
    return {
      status: 200,
      body: control.records(op.slice('records/'.length), { includeDeleted: query.get('deleted') === 'true' }),
    };
  }
  if (method !== 'POST') return { status: 404, body: { error: `unknown control ${method} ${op}` } };
  switch (op) {
    case 'edit':
      return { status: 200, body: { ids: control.edit(request) } };
    case 'mass-update':
      return { status: 200, body: { ids: control.massUpdate(request) } };
    case 'create':
      return {
        status: 201,
        body: { id: control.create(String(body.object), (body.fields ?? {}) as Record<string, unknown>) },
      };
    case 'delete':
      return { status: 200, body: { ids: control.remove(request) } };
    case 'undelete':
      control.undelete(String(body.object), (body.ids ?? []) as string[]);
      return { status: 200, body: {} };
    case 'empty-recycle-bin':
      return { status: 200, body: { purged: control.emptyRecycleBin(body.objects as string[] | undefined) } };
    case 'merge':
      control.merge(String(body.object), String(body.masterId), (body.duplicateIds ?? []) as string[]);
      return { status: 200, body: {} };
    case 'expire-sessions':
      return { status: 200, body: { expired: control.expireSessions() } };
    case 'move-instance':
      control.moveInstance(String(body.instanceUrl));
      return { status: 200, body: {} };
    case 'use-api':
      return { status: 200, body: { usage: control.useApi(Number(body.requests ?? 0)) } };
    case 'limits':
      control.setLimits(body as { dailyLimit?: number; enabled?: boolean });
      return { status: 200, body: {} };
    case 'trim-delete-log':
      control.trimDeleteLog(typeof body.at === 'string' ? Date.parse(body.at) : undefined);
      return { status: 200, body: {} };
    default:
      return { status: 404, body: { error: `unknown control operation ${op}` } };
  }
}
