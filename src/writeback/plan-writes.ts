import { OUTPUT_FIELDS, type OutputField } from '../domain/output-fields.js';
import type { Contact, Deal } from '../domain/records.js';
import { DEFAULT_TENANT_SETTINGS, type TenantSettings } from '../domain/tenant-settings.js';
import { heldProbability } from '../engine/scores/held-probability.js';
import type {
  FieldUpdate,
  FieldValue,
  TaskClose,
  TaskSpec,
  TriggerEvent,
  WritableObject,
  WriteBatchSizes,
} from '../ports/crm-writer.js';
import type { StoredAction } from '../store/repositories/results.js';
import { fieldWriteCalls } from './batch-sizes.js';
import type { DesiredRecord, RecordKey } from './desired-values.js';
import { type LedgerView, LIVE_TASK } from './ledger-view.js';

export interface PlannedFieldUpdate extends FieldUpdate {
  /**
   * Each changed field, old (the CRM's, else the ledger's) → new, for the dry run and the dashboard; `restore` when
   * the CRM no longer held what crm-agent wrote (cleared or changed outside crm-agent) and it is put back.
   */
  changes: Array<{ field: string; from: string | null; to: string | null; restore?: boolean }>;
  /** Probability field → hash of the features it was computed from, kept in the ledger only (featuresKey). */
  features?: Record<string, string>;
}

/** The ledger-only entry that keeps, beside a probability written, the hash of the features it came from. */
export const featuresKey = (field: string) => `${field}#features`;

/** What the plan decided about each candidate field value, for the run summary and the dashboard. */
export interface PlanStats {
  /** Field values written because crm-agent's result is new or changed materially. */
  updated: number;
  /** Field values cleared or changed outside crm-agent, put back. */
  restored: number;
  /** Field values changed in the CRM that the admin's `keepCrmEdits` leaves alone ("edited in the CRM"). */
  editedInCrm: number;
  /** Candidate writes not made, by rule. */
  suppressed: {
    /** A probability that moved less than `minProbabilityChange` points and crossed no band. */
    smallProbabilityChange: number;
    /**
     * A probability that moved enough points but stayed within `scoreHoldWithin` standard errors of the value in the
     * CRM (the model's own uncertainty: retraining, a little feature drift) and crossed no band: held.
     */
    withinUncertainty: number;
    /**
     * A probability whose record's features are the same as when it was written (so the move comes from retraining
     * alone) that moved less than `retrainHoldPoints`, band edges included: held.
     */
    modelOnly: number;
    /** A newer model version on a record with nothing else to write. */
    modelVersionOnly: number;
    /** A deal's pipeline forecast (with its interval) that moved less than 5 % within the same month. */
    smallForecastChange: number;
    /** New reasons for a probability not rewritten (its move was not material): they stay with the one shown. */
    reasonsWithoutScoreMove: number;
  };
}

/** A task crm-agent leaves to the rep (they started it) now that its action no longer stands: ledger only. */
export interface TaskRelease {
  taskKey: string;
}

export interface WritePlan {
  fields: PlannedFieldUpdate[];
  tasks: TaskSpec[];
  closes: TaskClose[];
  releases: TaskRelease[];
  triggers: TriggerEvent[];
  stats: PlanStats;
  /**
   * API calls the plan costs at the writer's batch sizes, and the task-status reads made to plan it (HubSpot
   * triggers cost none: the field update carries them).
   */
  calls: { reads: number; fields: number; tasks: number; closes: number; triggers: number; total: number };
}

export type WriteRules = TenantSettings['writeback'];

/** The tenant settings' defaults: one place for them. */
export const DEFAULT_WRITE_RULES: WriteRules = DEFAULT_TENANT_SETTINGS.writeback;

export interface PlanInput {
  runId: string;
  now: number;
  desired: Map<RecordKey, DesiredRecord>;
  actions: StoredAction[];
  ledger: LedgerView;
  /** The value now in the CRM (from this cycle's sync), or undefined when the sync does not carry it. */
  current: (objectType: WritableObject, recordId: string, field: OutputField) => string | null | undefined;
  contacts: Map<string, Contact>;
  deals: Map<string, Deal>;
  /** A deal's primary contact, for associating its task. */
  primaryContact: (dealId: string) => string | null;
  outputs: TenantSettings['outputs'];
  rules?: WriteRules;
  batchSize: WriteBatchSizes;
  /** Task-status reads made before planning (they are part of what the write-back costs). */
  readCalls?: number;
  /** Restrict the plan to these records (webhook-driven partial runs). */
  only?: Set<RecordKey>;
}

const FIELDS = new Map(OUTPUT_FIELDS.map((f) => [f.name, f]));
/** Written only beside a material change of the record (never a reason to write on their own). */
const BOOKKEEPING = new Set([
  'crm_agent_score_change',
  'crm_agent_scored_at',
  'crm_agent_model_version',
  'crm_agent_action_changed_at',
]);
const REASONS = 'crm_agent_top_reasons';
const ACTION_FIELDS = ['crm_agent_next_best_action', 'crm_agent_action_reason', 'crm_agent_action_due'];
const TASK_ACTIONS = new Set([
  'call',
  'email',
  'meeting',
  'discount_offer',
  'cross_sell',
  're_engage',
  'hand_to_success',
]);
const ACTION_LABEL: Record<string, string> = {
  call: 'Call',
  email: 'Email',
  meeting: 'Book a meeting with',
  discount_offer: 'Make an offer to',
  cross_sell: 'Offer a product to',
  re_engage: 'Re-engage',
  hand_to_success: 'Hand to customer success:',
};

/** The one textual form of a value, for comparing what crm-agent wants with what the ledger and the CRM hold. */
export function canonical(field: OutputField, value: FieldValue | undefined): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (field.type === 'number') {
    const n = Number(value);
    return Number.isFinite(n) ? String(Math.round(n * 1e6) / 1e6) : null;
  }
  if (field.type === 'date') return String(value).slice(0, 10);
  if (field.type === 'datetime') {
    // Whole seconds: Salesforce keeps datetimes to the second, so a value with milliseconds would never read back.
    const ms = typeof value === 'number' ? value : Date.parse(String(value));
    return Number.isNaN(ms) ? String(value) : new Date(Math.floor(ms / 1000) * 1000).toISOString();
  }
  return String(value).trim();
}

/** The pipeline forecast fields each open deal carries, rewritten together (see forecastMoved). */
const FORECAST_NUMBERS = [
  'crm_agent_pipeline_forecast',
  'crm_agent_pipeline_forecast_low',
  'crm_agent_pipeline_forecast_high',
];
/** Share by which a pipeline forecast must move before every open deal of the pipeline is rewritten. */
export const MIN_FORECAST_CHANGE = 0.05;

/**
 * Whether a pipeline's forecast moved enough to rewrite it on a deal: any of the forecast and its interval ends
 * by at least MIN_FORECAST_CHANGE of the value held (a new value where none was held counts). One deal's amount
 * edited moves its pipeline's forecast by a fraction of a percent, which would otherwise rewrite every open deal
 * of the pipeline; the forecast month changing is a change of its own field.
 */
export function forecastMoved(held: ReadonlyArray<number | null>, wanted: ReadonlyArray<number | null>): boolean {
  return wanted.some((to, i) => {
    const from = held[i] ?? null;
    if (to === null || from === null) return to !== from;
    return Math.abs(to - from) >= MIN_FORECAST_CHANGE * Math.max(Math.abs(from), 1);
  });
}

/**
 * Whether a probability's move from `from` to `to` (points) is worth writing under the rules, given the new
 * estimate's standard error in points (see heldProbability).
 */
export function materialMove(from: number, to: number, rules: WriteRules, errorPoints?: number): boolean {
  return heldProbability(from, to, errorPoints, rules) === 'write';
}

/** A reasons text without the points each factor moves the probability by ("raises it 4 pts" → "raises it"). */
const factorsOf = (text: string) => text.replace(/ (raises|lowers) it [\d.]+ pts?/g, ' $1 it');

/** Whether two reasons texts name the same factors in the same order and direction (points aside). */
export function sameFactors(a: string, b: string): boolean {
  return factorsOf(a) === factorsOf(b);
}

const asNumber = (v: string | null | undefined) => (v === null || v === undefined ? null : Number(v));

/**
 * The write plan of a run, reconciled with the CRM: each field's desired value is compared with the value the CRM
 * holds now (from this cycle's sync; the ledger of what crm-agent wrote where the sync does not carry it). A value
 * cleared or changed outside crm-agent is put back (reported as restored) unless the admin keeps CRM edits of that
 * field. A probability is rewritten only when it moves materially; its score change is the move from the value it
 * replaces; scored-at, model version and action-changed-at go only with a material change. Records whose action
 * ended get their action fields cleared. Tasks: one per standing actionable action; a task whose action no longer
 * stands (changed, ended, deal closed) is removed or deferred if the rep never touched it, else left to the rep.
 */
export function planWrites(input: PlanInput): WritePlan {
  const rules = input.rules ?? DEFAULT_WRITE_RULES;
  const keep = new Set(rules.keepCrmEdits);
  const stats: PlanStats = {
    updated: 0,
    restored: 0,
    editedInCrm: 0,
    suppressed: {
      smallProbabilityChange: 0,
      withinUncertainty: 0,
      modelOnly: 0,
      modelVersionOnly: 0,
      smallForecastChange: 0,
      reasonsWithoutScoreMove: 0,
    },
  };
  const fields: PlannedFieldUpdate[] = [];
  // Whole seconds, as both CRMs keep them (canonical).
  const nowIso = new Date(Math.floor(input.now / 1000) * 1000).toISOString();
  const actionOf = new Map<string, StoredAction>();
  for (const a of input.actions)
    if (a.objectType === 'deal' || a.objectType === 'contact') actionOf.set(`${a.objectType}:${a.recordId}`, a);
  const exists = (key: string) => {
    const [type, id] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    const record = type === 'deal' ? input.deals.get(id) : type === 'contact' ? input.contacts.get(id) : undefined;
    return record !== undefined && !record.archived;
  };

  if (input.outputs.fields) {
    const desired = new Map(input.desired);
    // A record whose action ended (no action this run: a closed deal, a contact with nothing to do) is cleared.
    for (const key of input.ledger.recordsWith('crm_agent_next_best_action')) {
      if (actionOf.has(key) || !exists(key)) continue;
      const [type, id] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
      const record = desired.get(key as RecordKey) ?? { objectType: type as WritableObject, recordId: id, values: {} };
      desired.set(key as RecordKey, {
        ...record,
        values: { ...record.values, ...Object.fromEntries(ACTION_FIELDS.map((f) => [f, null])) },
      });
    }
    for (const [key, record] of desired) {
      if (input.only && !input.only.has(key)) continue;
      const update = planRecord(record, input, rules, keep, stats, nowIso);
      if (update) fields.push({ key: `fields:${input.runId}:${key}`, ...update });
    }
  }

  const tasks: TaskSpec[] = [];
  const closes: TaskClose[] = [];
  const releases: TaskRelease[] = [];
  const triggers: TriggerEvent[] = [];
  const actionable = (a: StoredAction | undefined): a is StoredAction => {
    if (!a || !TASK_ACTIONS.has(a.action)) return false;
    if (a.objectType === 'deal' && input.deals.get(a.recordId)?.isClosed) return false;
    return a.priority === 'high' || (a.priority === 'medium' && a.objectType === 'deal');
  };
  if (input.outputs.tasks) {
    const live = input.ledger.allTasks().filter((t) => LIVE_TASK.has(t.status));
    for (const task of live) {
      if (input.only && !input.only.has(task.record as RecordKey)) continue;
      const action = actionOf.get(task.record);
      if (actionable(action) && action.actionKey === task.actionKey) continue;
      if (task.status === 'started') releases.push({ taskKey: task.taskKey });
      else if (task.crmId) closes.push({ key: `close:${task.taskKey}`, crmTaskId: task.crmId, how: rules.staleTasks });
    }
    for (const action of actionOf.values()) {
      const record: RecordKey = `${action.objectType as WritableObject}:${action.recordId}`;
      if (input.only && !input.only.has(record)) continue;
      if (!actionable(action)) continue;
      if (live.some((t) => t.record === record && t.actionKey === action.actionKey)) continue;
      tasks.push(taskFor(action, input));
    }
  }
  for (const action of actionOf.values()) {
    const record: RecordKey = `${action.objectType as WritableObject}:${action.recordId}`;
    if (input.only && !input.only.has(record)) continue;
    const previous = input.ledger.value(action.objectType, action.recordId, 'crm_agent_next_best_action');
    if (input.outputs.triggers && action.action !== 'none' && previous !== action.action) {
      triggers.push({
        key: `trigger:${input.runId}:${action.actionKey}`,
        objectType: action.objectType as WritableObject,
        recordId: action.recordId,
        action: action.action,
        priority: action.priority,
        reason: action.reason,
        actionKey: action.actionKey,
      });
    }
  }
  const byType = new Map<string, number>();
  for (const item of fields) byType.set(item.objectType, (byType.get(item.objectType) ?? 0) + 1);
  const calls = {
    reads: input.readCalls ?? 0,
    fields: fieldWriteCalls([...byType.values()], input.batchSize),
    tasks: Math.ceil(tasks.length / input.batchSize.tasks),
    closes: closeCalls(closes, input.batchSize),
    triggers: input.batchSize.triggersInFields ? 0 : Math.ceil(triggers.length / input.batchSize.triggers),
  };
  return {
    fields,
    tasks,
    closes,
    releases,
    triggers,
    stats,
    calls: { ...calls, total: calls.reads + calls.fields + calls.tasks + calls.closes + calls.triggers },
  };
}

/** Calls to end tasks: removals and deferrals go in separate batches. */
function closeCalls(closes: readonly TaskClose[], sizes: WriteBatchSizes): number {
  const removals = closes.filter((c) => c.how === 'remove').length;
  return Math.ceil(removals / sizes.tasks) + Math.ceil((closes.length - removals) / sizes.tasks);
}

/** One record's field update (undefined: nothing to write), counting each decision into `stats`. */
function planRecord(
  record: DesiredRecord,
  input: PlanInput,
  rules: WriteRules,
  keep: ReadonlySet<string>,
  stats: PlanStats,
  nowIso: string,
): Omit<PlannedFieldUpdate, 'key'> | undefined {
  const { objectType, recordId } = record;
  const values: Record<string, FieldValue> = {};
  const changes: PlannedFieldUpdate['changes'] = [];
  const features: Record<string, string> = {};
  const anyHash = Object.values(record.featureHashes ?? {})[0];
  let material = false;
  let scoreChange: number | undefined;
  const state = (field: OutputField) => {
    const written = input.ledger.value(objectType, recordId, field.name);
    const inCrm = input.current(objectType, recordId, field);
    const ledger = written === undefined ? undefined : canonical(field, written);
    const crm = inCrm === undefined ? undefined : canonical(field, inCrm);
    // What the CRM holds now: as synced, else as crm-agent last wrote it.
    const held = crm !== undefined ? crm : ledger;
    const drifted = crm !== undefined && ledger !== undefined && crm !== ledger;
    return { ledger, held, drifted };
  };
  const put = (field: OutputField, value: FieldValue, from: string | null, restore: boolean) => {
    values[field.name] = value;
    // Reasons keep the hash of the score they explain (a record has one).
    const hash = record.featureHashes?.[field.name] ?? (field.name === REASONS ? anyHash : undefined);
    if ((field.percent || field.name === REASONS) && hash !== undefined && value !== null) features[field.name] = hash;
    changes.push({ field: field.name, from, to: canonical(field, value), ...(restore ? { restore: true } : {}) });
    if (restore) stats.restored += 1;
    else stats.updated += 1;
  };

  // The forecast and its interval ends are rewritten together, when one moved materially (or is restored).
  const forecastNumbers = FORECAST_NUMBERS.filter((name) => name in record.values);
  const forecastMaterial =
    forecastNumbers.length === 0 ||
    forecastMoved(
      forecastNumbers.map((name) => asNumber(state(FIELDS.get(name)!).held)),
      forecastNumbers.map((name) => asNumber(canonical(FIELDS.get(name)!, record.values[name]))),
    );
  let forecastSuppressed = false;
  // The reasons explain the probability written beside them: they are weighed after it (see below).
  let scoreWritten = false;
  const scored = Object.entries(record.values).some(([name, v]) => FIELDS.get(name)?.percent && v !== null);
  const consider = (name: string, value: FieldValue) => {
    const field = FIELDS.get(name);
    if (!field || !field.objects.includes(objectType) || BOOKKEEPING.has(name)) return;
    const wanted = canonical(field, value);
    const { ledger, held, drifted } = state(field);
    if (wanted === (held ?? null)) return;
    // Never "clear" a field crm-agent never filled.
    if (wanted === null && ledger === undefined) return;
    if (drifted && keep.has(name)) {
      stats.editedInCrm += 1;
      return;
    }
    if (drifted) {
      put(field, value, held ?? null, true);
      return;
    }
    if (!forecastMaterial && FORECAST_NUMBERS.includes(name)) {
      forecastSuppressed = true;
      return;
    }
    // New words from retraining alone (the features are those the written reasons came from) are held too.
    if (name === REASONS && !scoreWritten && held && anyHash !== undefined) {
      if (anyHash === input.ledger.value(objectType, recordId, featuresKey(REASONS))) {
        stats.suppressed.modelOnly += 1;
        return;
      }
    }
    // New words for a probability that stays as written (its move was not material) would explain a number
    // the CRM does not show: the reasons change with the probability, or where there were none.
    if (name === REASONS && scored && !scoreWritten && held !== null && held !== undefined) {
      stats.suppressed.reasonsWithoutScoreMove += 1;
      return;
    }
    // The same factors saying the same direction, with only their points moved, are not new words unless the
    // probability beside them is rewritten (a contact's conversion reasons have no probability in the CRM at all).
    if (name === REASONS && !scoreWritten && held && wanted && sameFactors(held, wanted)) {
      stats.suppressed.reasonsWithoutScoreMove += 1;
      return;
    }
    const from = asNumber(held);
    const to = asNumber(wanted);
    if (field.percent && from !== null && to !== null) {
      // The same features as when the CRM value was written: the move comes from retraining alone.
      const hash = record.featureHashes?.[name];
      const writtenWith = input.ledger.value(objectType, recordId, featuresKey(name));
      if (hash !== undefined && hash === writtenWith && Math.abs(to - from) < (rules.retrainHoldPoints ?? 10)) {
        stats.suppressed.modelOnly += 1;
        return;
      }
      const decision = heldProbability(from, to, record.errors?.[name], rules);
      if (decision !== 'write') {
        stats.suppressed[decision === 'small' ? 'smallProbabilityChange' : 'withinUncertainty'] += 1;
        return;
      }
      scoreChange = to - from;
    } else if (field.percent && to !== null) {
      scoreChange = 0;
    }
    if (field.percent) scoreWritten = true;
    put(field, value, held ?? null, false);
    material = true;
  };
  for (const [name, value] of Object.entries(record.values)) if (name !== REASONS) consider(name, value);
  if (REASONS in record.values) consider(REASONS, record.values[REASONS]);

  if (forecastSuppressed) stats.suppressed.smallForecastChange += 1;
  // Bookkeeping: with a material change, the new value; without one, only what was changed outside crm-agent.
  const bookkeeping: Record<string, FieldValue | undefined> = material
    ? {
        crm_agent_scored_at: nowIso,
        crm_agent_model_version: record.values.crm_agent_model_version,
        ...(scoreChange !== undefined ? { crm_agent_score_change: scoreChange } : {}),
        ...('crm_agent_next_best_action' in values ? { crm_agent_action_changed_at: nowIso } : {}),
      }
    : {};
  for (const name of BOOKKEEPING) {
    const field = FIELDS.get(name)!;
    if (!field.objects.includes(objectType)) continue;
    const { ledger, held, drifted } = state(field);
    const value = bookkeeping[name];
    if (value !== undefined) {
      // Beside a material change the new value goes in; where the CRM no longer held what crm-agent wrote (cleared
      // or changed outside it) that fills the field again, so it counts as restored, or is left as edited.
      if (drifted && keep.has(name)) stats.editedInCrm += 1;
      else if (canonical(field, value) !== (held ?? null)) put(field, value, held ?? null, drifted);
      continue;
    }
    if (name === 'crm_agent_model_version' && record.values[name] !== undefined && !drifted) {
      if (canonical(field, record.values[name]) !== (held ?? null)) stats.suppressed.modelVersionOnly += 1;
      continue;
    }
    if (!drifted || ledger === undefined) continue;
    if (keep.has(name)) stats.editedInCrm += 1;
    else put(field, ledger, held ?? null, true);
  }
  if (changes.length === 0) return undefined;
  return { objectType, recordId, values, changes, ...(Object.keys(features).length > 0 ? { features } : {}) };
}

function taskFor(action: StoredAction, input: PlanInput): TaskSpec {
  const episode = input.ledger.episodes(action.actionKey);
  const deal = action.objectType === 'deal' ? input.deals.get(action.recordId) : undefined;
  const contactId = action.objectType === 'contact' ? action.recordId : input.primaryContact(action.recordId);
  const contact = contactId ? input.contacts.get(contactId) : undefined;
  const who = contact
    ? [contact.firstName, contact.lastName].filter(Boolean).join(' ') || contact.email || 'the contact'
    : 'the contact';
  const subject = deal
    ? `${ACTION_LABEL[action.action] ?? action.action} ${who} about ${deal.name ?? 'the deal'}`
    : `${ACTION_LABEL[action.action] ?? action.action} ${who}`;
  return {
    key: `${action.actionKey}-${episode}`,
    ownerId: deal?.ownerId ?? contact?.ownerId ?? null,
    subject: subject.slice(0, 250),
    body: action.reason,
    dueDate: (action.dueDate || new Date(input.now).toISOString()).slice(0, 10),
    priority: action.priority,
    type: action.action === 'call' ? 'call' : action.action === 'email' ? 'email' : 'todo',
    contactId: contactId ?? null,
    dealId: deal ? deal.id : null,
  };
}
