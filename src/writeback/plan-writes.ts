import { OUTPUT_FIELDS, type OutputField } from '../domain/output-fields.js';
import type { Contact, Deal } from '../domain/records.js';
import type { TenantSettings } from '../domain/tenant-settings.js';
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
import type { LedgerView } from './ledger-view.js';

export interface PlannedFieldUpdate extends FieldUpdate {
  /** Each changed field, old (the CRM's, else the ledger's) → new, for the dry run and the dashboard. */
  changes: Array<{ field: string; from: string | null; to: string | null }>;
}

export interface WritePlan {
  fields: PlannedFieldUpdate[];
  tasks: TaskSpec[];
  closes: TaskClose[];
  triggers: TriggerEvent[];
  /** API calls the plan costs at the writer's batch sizes. */
  calls: { fields: number; tasks: number; closes: number; triggers: number; total: number };
}

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
  batchSize: WriteBatchSizes;
  /** Restrict the plan to these records (webhook-driven partial runs). */
  only?: Set<RecordKey>;
}

const FIELDS = new Map(OUTPUT_FIELDS.map((f) => [f.name, f]));
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
    const ms = typeof value === 'number' ? value : Date.parse(String(value));
    return Number.isNaN(ms) ? String(value) : new Date(ms).toISOString();
  }
  return String(value).trim();
}

/**
 * The write plan of a run: for each record, only the fields whose new value differs from both the last value
 * crm-agent wrote (ledger) and the value now in the CRM — so a run that changes nothing plans nothing, and a rep's
 * own edit is left alone until crm-agent's value changes. New action episodes get a task (and, where the CRM has
 * them, a trigger); a superseded action's open task is closed.
 */
export function planWrites(input: PlanInput): WritePlan {
  const fields: PlannedFieldUpdate[] = [];
  const nowIso = new Date(input.now).toISOString();
  if (input.outputs.fields) {
    for (const [key, record] of input.desired) {
      if (input.only && !input.only.has(key)) continue;
      const values: Record<string, FieldValue> = {};
      const changes: PlannedFieldUpdate['changes'] = [];
      for (const [name, value] of Object.entries(record.values)) {
        const field = FIELDS.get(name);
        if (!field || !field.objects.includes(record.objectType)) continue;
        const wanted = canonical(field, value);
        const written = input.ledger.value(record.objectType, record.recordId, name);
        const inCrm = input.current(record.objectType, record.recordId, field);
        const crmValue = inCrm === undefined ? undefined : canonical(field, inCrm);
        const writtenValue = written === undefined ? undefined : canonical(field, written);
        if (wanted === writtenValue || wanted === crmValue) continue;
        // Never "clear" a field crm-agent never filled.
        if (wanted === null && writtenValue === undefined && (crmValue ?? null) === null) continue;
        values[name] = value;
        changes.push({ field: name, from: crmValue ?? (written === undefined ? null : written), to: wanted });
      }
      if (changes.length === 0) continue;
      values.crm_agent_scored_at = nowIso;
      if (
        'crm_agent_next_best_action' in values &&
        FIELDS.get('crm_agent_action_changed_at')!.objects.includes(record.objectType)
      ) {
        values.crm_agent_action_changed_at = nowIso;
      }
      fields.push({
        key: `fields:${input.runId}:${key}`,
        objectType: record.objectType,
        recordId: record.recordId,
        values,
        changes,
      });
    }
  }

  const tasks: TaskSpec[] = [];
  const closes: TaskClose[] = [];
  const triggers: TriggerEvent[] = [];
  for (const action of input.actions) {
    if (action.objectType !== 'deal' && action.objectType !== 'contact') continue;
    const record: RecordKey = `${action.objectType}:${action.recordId}`;
    if (input.only && !input.only.has(record)) continue;
    const open = input.ledger.tasksOf(record).filter((t) => t.status === 'open');
    const actionable =
      TASK_ACTIONS.has(action.action) &&
      (action.priority === 'high' || (action.priority === 'medium' && action.objectType === 'deal'));
    if (input.outputs.tasks) {
      for (const task of open) {
        if ((!actionable || task.actionKey !== action.actionKey) && task.crmId)
          closes.push({ key: `close:${task.taskKey}`, crmTaskId: task.crmId });
      }
      if (actionable && !open.some((t) => t.actionKey === action.actionKey)) tasks.push(taskFor(action, input));
    }
    const previous = input.ledger.value(action.objectType, action.recordId, 'crm_agent_next_best_action');
    if (input.outputs.triggers && action.action !== 'none' && previous !== action.action) {
      triggers.push({
        key: `trigger:${input.runId}:${action.actionKey}`,
        objectType: action.objectType,
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
    fields: fieldWriteCalls([...byType.values()], input.batchSize),
    tasks: Math.ceil(tasks.length / input.batchSize.tasks),
    closes: Math.ceil(closes.length / input.batchSize.tasks),
    triggers: Math.ceil(triggers.length / input.batchSize.triggers),
  };
  return {
    fields,
    tasks,
    closes,
    triggers,
    calls: { ...calls, total: calls.fields + calls.tasks + calls.closes + calls.triggers },
  };
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
