import type { OutputField } from '../domain/output-fields.js';

export type WritableObject = 'contact' | 'company' | 'deal';

/** A value crm-agent writes: numbers as numbers, dates as YYYY-MM-DD, datetimes as ISO-8601, null clears. */
export type FieldValue = string | number | null;

/** New values for some of crm-agent's fields on one record (fields by OutputField.name; the connector maps them). */
export interface FieldUpdate {
  /** Outbox key: how the result is matched back. */
  key: string;
  objectType: WritableObject;
  recordId: string;
  values: Record<string, FieldValue>;
}

/** A task for a record's owner, made for one next-best-action. */
export interface TaskSpec {
  /** Deterministic task key (action key + episode): creating it twice must give one task (upsert by this key). */
  key: string;
  ownerId: string | null;
  subject: string;
  body: string;
  /** YYYY-MM-DD */
  dueDate: string;
  priority: 'high' | 'medium' | 'low';
  type: 'call' | 'email' | 'todo';
  contactId: string | null;
  dealId: string | null;
}

/**
 * End a task crm-agent made whose action no longer stands (it changed, ended, or the deal closed): `remove` it
 * (HubSpot archives, Salesforce deletes) or `defer` it (a not-done status: HubSpot DEFERRED, Salesforce Deferred).
 * crm-agent never marks a task completed: completing is the rep's, and what the next run learns from.
 */
export interface TaskClose {
  key: string;
  crmTaskId: string;
  how: 'remove' | 'defer';
}

/**
 * A task as the CRM holds it now: `open` (as crm-agent made it), `started` (the rep moved it on without finishing:
 * in progress, waiting), `completed` (by the rep), `ended` (closed otherwise, e.g. deferred). Absent: deleted.
 */
export type TaskState = 'open' | 'started' | 'completed' | 'ended';

/** A workflow trigger for a new action (Salesforce: one Platform Event; HubSpot: carried by the fields). */
export interface TriggerEvent {
  key: string;
  objectType: WritableObject;
  recordId: string;
  action: string;
  priority: string;
  reason: string;
  actionKey: string;
}

/** The outcome of one item: written (with the CRM's id where it made one), or the CRM's error for that record. */
export interface WriteResult {
  key: string;
  ok: boolean;
  crmId?: string;
  error?: { code: string; message: string; retryable: boolean };
}

export interface ProvisionReport {
  created: string[];
  updated: string[];
  unchanged: string[];
  /**
   * crm-agent's fields left alone because the CRM holds them in a form crm-agent cannot write (an admin retyped
   * one): the write plan leaves them out, the rest of the write-back goes on.
   */
  skipped?: Array<{ objectType: WritableObject; field: string; reason: string }>;
  /**
   * Fields made this time (their raw CRM name, `propertyName`): they hold no value yet, whatever the last sync read
   * before an admin deleted them, so the plan writes them in full.
   */
  made?: Array<{ objectType: WritableObject; field: string }>;
  /** The API calls provisioning made (or, in a dry run, would make): reads that check, writes that change. */
  calls?: { checks: number; changes: number };
}

/** How many items one writer call takes, per kind. */
export interface WriteBatchSizes {
  fields: number;
  tasks: number;
  triggers: number;
  /**
   * A CRM with a bulk API for large updates (Salesforce Bulk API 2.0): while more than `above` field updates of one
   * object type wait, the sender passes up to `size` at once, and the writer sends them as one bulk job costing
   * about `calls` requests.
   */
  bulkFields?: { above: number; size: number; calls: number };
  /** Field updates of different object types may share one call (Salesforce sObject Collections take them mixed). */
  mixedFieldTypes?: boolean;
  /** Triggers cost no call: the field update carries them (HubSpot workflows enroll on crm-agent's properties). */
  triggersInFields?: boolean;
  /** Task ids per task-status read (default: `tasks`). */
  taskReads?: number;
}

/**
 * What a connector offers for write-back. Each call sends one batch in the CRM's largest batch for that kind
 * (HubSpot 100, Salesforce 200 or Bulk 2.0); the sender never passes more than `batchSize` items. Per-record
 * failures come back as data, never as a thrown error; a thrown error means the batch as a whole failed.
 */
export interface CrmWriter {
  readonly batchSize: WriteBatchSizes;
  /** Creates or reconciles crm-agent's fields (and, where the CRM needs them, groups, permissions, event types). */
  provision(request: {
    fields: readonly OutputField[];
    segmentOptions: Array<{ value: string; label: string }>;
  }): Promise<ProvisionReport>;
  /**
   * Provisioning's reads only (where the connector offers it): what it would make, change and leave alone, and the
   * calls it would cost. A dry run plans with it, so it leaves out retyped fields as the real run will.
   */
  checkProvisioning?(request: {
    fields: readonly OutputField[];
    segmentOptions: Array<{ value: string; label: string }>;
  }): Promise<ProvisionReport>;
  writeFields(updates: FieldUpdate[]): Promise<WriteResult[]>;
  upsertTasks(tasks: TaskSpec[]): Promise<WriteResult[]>;
  closeTasks(closes: TaskClose[]): Promise<WriteResult[]>;
  publishTriggers(events: TriggerEvent[]): Promise<WriteResult[]>;
  /** Each task's state (the feedback of whether reps act on the advice); deleted tasks are absent. */
  readTaskStatuses(crmTaskIds: string[]): Promise<Map<string, TaskState>>;
  /**
   * Completes HubSpot workflow-action executions that were answered BLOCK (absent on CRMs without workflow actions).
   * `outputFields` are the action's output fields plus `hs_execution_state`.
   */
  completeCallbacks?(
    items: Array<{ key: string; callbackId: string; outputFields: Record<string, string | number> }>,
  ): Promise<WriteResult[]>;
  /** The CRM's raw property name for one of crm-agent's fields (for reading the CRM's current value from the sync). */
  propertyName(field: OutputField): string;
}
