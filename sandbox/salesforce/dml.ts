import { notFound, SalesforceError } from './errors.js';
import { normalizeId } from './ids.js';
import { FORECAST_LABELS, type ObjectDef, type SfRecord, stage, type Value } from './schema.js';
import type { OrgState } from './state.js';
import { coerceValue } from './values.js';

/** Who makes a change: the API user of the session, or a sales rep played by a control endpoint. */
export interface Actor {
  userId: string;
}

export interface DmlOptions {
  /** REST JSON or a Bulk CSV cell: decides how type mismatches are reported. */
  source?: 'json' | 'csv';
}

/** The definition of a data object the API may write, or INVALID_TYPE / NOT_FOUND as Salesforce answers. */
export function writableObject(state: OrgState, name: string): ObjectDef {
  const def = state.object(name);
  if (!def) throw notFound(`The requested resource does not exist`);
  return def;
}

/**
 * Validates and converts an input record against the object's fields as `actor` sees them (field-level
 * security included), for an insert or an update. Unknown keys, read-only fields and bad values fail the way
 * Salesforce fails them.
 */
function coerceInput(
  state: OrgState,
  def: ObjectDef,
  input: Record<string, unknown>,
  actor: Actor,
  mode: 'insert' | 'update',
  options: DmlOptions,
): SfRecord {
  const out: SfRecord = {};
  const readOnly: string[] = [];
  for (const [key, raw] of Object.entries(input)) {
    if (key === 'attributes' || (key.toLowerCase() === 'id' && mode === 'update')) continue;
    const field = def.fields.get(key.toLowerCase());
    const access = field ? state.access(actor.userId, def, field) : undefined;
    if (!field || !access?.read) {
      throw new SalesforceError(400, 'INVALID_FIELD', `No such column '${key}' on sobject of type ${def.name}`, [key]);
    }
    if (key.toLowerCase() === 'id' && mode === 'insert') {
      throw new SalesforceError(400, 'INVALID_FIELD_FOR_INSERT_UPDATE', 'cannot specify Id in an insert call', ['Id']);
    }
    if (!(mode === 'insert' ? field.createable : field.updateable) || !access.edit) {
      readOnly.push(field.name);
      continue;
    }
    out[field.name] = coerceValue(field, raw, options.source ?? 'json');
  }
  if (readOnly.length > 0) {
    throw new SalesforceError(
      400,
      'INVALID_FIELD_FOR_INSERT_UPDATE',
      `Unable to create/update fields: ${readOnly.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
      readOnly,
    );
  }
  return out;
}

/** References must name live records of an allowed type; unique and external-id values must be unique. */
function checkReferencesAndUniqueness(state: OrgState, def: ObjectDef, values: SfRecord, selfId: string | null): void {
  for (const [name, value] of Object.entries(values)) {
    const field = def.fields.get(name.toLowerCase())!;
    if (field.type === 'reference' && typeof value === 'string') {
      const target = state.findById(value);
      if (!target || !field.referenceTo?.includes(target.object)) {
        throw new SalesforceError(
          400,
          'INVALID_CROSS_REFERENCE_KEY',
          `${field.label}: id value of incorrect type: ${value}`,
          [field.name],
        );
      }
      if (target.record.IsDeleted === true) {
        throw new SalesforceError(400, 'ENTITY_IS_DELETED', 'entity is deleted', [field.name]);
      }
    }
    if ((field.unique || field.externalId) && value !== null && value !== '') {
      const key = String(value).toLowerCase();
      for (const other of state.table(def.name).values()) {
        if (other.Id !== selfId && other.IsDeleted !== true && String(other[field.name] ?? '').toLowerCase() === key) {
          throw new SalesforceError(
            400,
            'DUPLICATE_VALUE',
            `duplicate value found: ${field.name} duplicates value on record with id: ${other.Id}`,
            [field.name],
          );
        }
      }
    }
  }
}

/** Row locks held elsewhere, then the org's validation rules, as Salesforce runs them on a save. */
function checkSave(state: OrgState, def: ObjectDef, record: SfRecord, before: SfRecord | null): void {
  const id = typeof record.Id === 'string' ? record.Id : undefined;
  const locked = id ? (state.lockedRows.get(id) ?? 0) : 0;
  if (id && locked > 0) {
    state.lockedRows.set(id, locked - 1);
    throw new SalesforceError(
      400,
      'UNABLE_TO_LOCK_ROW',
      'unable to obtain exclusive access to this record or 1 records',
    );
  }
  for (const rule of state.validationRules) {
    if (rule.object.toLowerCase() === def.name.toLowerCase() && rule.rejects(record, before)) {
      throw new SalesforceError(400, 'FIELD_CUSTOM_VALIDATION_EXCEPTION', rule.message, rule.field ? [rule.field] : []);
    }
  }
}

function missingRequired(def: ObjectDef, record: SfRecord): string[] {
  const missing: string[] = [];
  for (const field of def.fields.values()) {
    if (
      field.required &&
      (record[field.name] === null || record[field.name] === undefined || record[field.name] === '')
    ) {
      if (field.defaultValue === undefined && field.picklist?.defaultValue === undefined) missing.push(field.name);
    }
  }
  return missing;
}

/** Inserts one record; returns its id. */
export function createRecord(
  state: OrgState,
  objectName: string,
  input: Record<string, unknown>,
  actor: Actor,
  options: DmlOptions = {},
): string {
  const def = writableObject(state, objectName);
  if (!def.createable) {
    throw new SalesforceError(400, 'INVALID_TYPE', `sObject type '${def.name}' does not support create`);
  }
  const values = coerceInput(state, def, input, actor, 'insert', options);
  const now = state.now();
  const record: SfRecord = {};
  for (const field of def.fields.values())
    if (!field.formula && !field.components) record[field.name] = field.defaultValue ?? null;
  Object.assign(record, values);
  const missing = missingRequired(def, record);
  if (missing.length > 0) {
    throw new SalesforceError(
      400,
      'REQUIRED_FIELD_MISSING',
      `Required fields are missing: [${missing.join(', ')}]`,
      missing,
    );
  }
  checkReferencesAndUniqueness(state, def, values, null);
  const id = state.nextId(def.keyPrefix);
  Object.assign(record, {
    Id: id,
    IsDeleted: false,
    CreatedDate: now,
    CreatedById: actor.userId,
    LastModifiedDate: now,
    LastModifiedById: actor.userId,
    SystemModstamp: now,
  });
  if (def.fields.has('ownerid') && record.OwnerId === null) record.OwnerId = actor.userId;
  state.transaction(() => {
    beforeWrite(state, def, record, values, null);
    checkSave(state, def, record, null);
    state.insert(def.name, record);
    afterInsert(state, def, record, actor);
  });
  return id;
}

/** Updates one live record (fields not given keep their values). */
export function updateRecord(
  state: OrgState,
  objectName: string,
  id: string,
  input: Record<string, unknown>,
  actor: Actor,
  options: DmlOptions = {},
): void {
  const def = writableObject(state, objectName);
  const record = requireRecord(state, def, id);
  if (!def.updateable)
    throw new SalesforceError(400, 'INVALID_TYPE', `sObject type '${def.name}' does not support update`);
  const values = coerceInput(state, def, input, actor, 'update', options);
  const merged = { ...record, ...values };
  const missing = missingRequired(def, merged).filter((name) => name in values);
  if (missing.length > 0) {
    throw new SalesforceError(
      400,
      'REQUIRED_FIELD_MISSING',
      `Required fields are missing: [${missing.join(', ')}]`,
      missing,
    );
  }
  checkReferencesAndUniqueness(state, def, values, record.Id as string);
  const now = state.now();
  const changes: SfRecord = { ...values, LastModifiedDate: now, LastModifiedById: actor.userId, SystemModstamp: now };
  state.transaction(() => {
    const before = { ...record };
    beforeWrite(state, def, merged, values, before);
    checkSave(state, def, merged, before);
    for (const key of Object.keys(merged))
      if (merged[key] !== record[key] && !(key in changes)) changes[key] = merged[key]!;
    state.patch(def.name, record.Id as string, changes);
    afterUpdate(state, def, record, before, actor);
  });
}

/** Upserts by an external-id (or idLookup) field: 201-style created, or an update of the one match. */
export function upsertRecord(
  state: OrgState,
  objectName: string,
  fieldName: string,
  value: string,
  input: Record<string, unknown>,
  actor: Actor,
  options: DmlOptions = {},
): { id: string; created: boolean } {
  const def = writableObject(state, objectName);
  const field = def.fields.get(fieldName.toLowerCase());
  if (!field || !state.access(actor.userId, def, field).read || !(field.externalId || field.idLookup)) {
    throw new SalesforceError(
      404,
      'NOT_FOUND',
      `Provided external ID field does not exist or is not accessible: ${fieldName}`,
    );
  }
  if (field.name === 'Id') {
    const id = normalizeId(value);
    const existing = id ? state.get(def.name, id) : undefined;
    if (existing && existing.IsDeleted !== true) {
      updateRecord(state, def.name, id!, input, actor, options);
      return { id: id!, created: false };
    }
    return { id: createRecord(state, def.name, input, actor, options), created: true };
  }
  const key = value.toLowerCase();
  const matches = [...state.table(def.name).values()].filter(
    (r) => r.IsDeleted !== true && String(r[field.name] ?? '').toLowerCase() === key,
  );
  if (matches.length > 1) {
    throw new SalesforceError(
      300,
      'MULTIPLE_CHOICES',
      `Multiple records found for ${field.name} = ${value}: ${matches.map((m) => m.Id).join(', ')}`,
    );
  }
  const body = { ...input };
  for (const k of Object.keys(body)) if (k.toLowerCase() === field.name.toLowerCase()) delete body[k];
  if (matches.length === 1) {
    updateRecord(state, def.name, matches[0]!.Id as string, body, actor, options);
    return { id: matches[0]!.Id as string, created: false };
  }
  return { id: createRecord(state, def.name, { ...body, [field.name]: value }, actor, options), created: true };
}

/** The record to read, write or delete by id, with Salesforce's answers for bad, unknown and deleted ids. */
export function requireRecord(state: OrgState, def: ObjectDef, id: string): SfRecord {
  const normalized = normalizeId(id);
  if (!normalized || normalized.slice(0, 3) !== def.keyPrefix) {
    throw new SalesforceError(
      404,
      'NOT_FOUND',
      `Provided external ID field does not exist or is not accessible: ${id}`,
    );
  }
  const record = state.get(def.name, normalized);
  if (!record) throw notFound();
  if (record.IsDeleted === true) throw new SalesforceError(404, 'ENTITY_IS_DELETED', 'entity is deleted');
  return record;
}

/** Children deleted along with a parent (and restored with it). */
const CASCADE: Record<string, Array<{ object: string; field: string }>> = {
  Account: [
    { object: 'Contact', field: 'AccountId' },
    { object: 'Opportunity', field: 'AccountId' },
  ],
  Opportunity: [
    { object: 'OpportunityLineItem', field: 'OpportunityId' },
    { object: 'OpportunityContactRole', field: 'OpportunityId' },
    { object: 'OpportunityHistory', field: 'OpportunityId' },
  ],
  Contact: [{ object: 'OpportunityContactRole', field: 'ContactId' }],
  PermissionSet: [
    { object: 'FieldPermissions', field: 'ParentId' },
    { object: 'PermissionSetAssignment', field: 'PermissionSetId' },
  ],
};

/** Deletes a record and its dependants: to the recycle bin (IsDeleted, queryAll) or for good. */
export function deleteRecord(
  state: OrgState,
  objectName: string,
  id: string,
  actor: Actor,
  extra: SfRecord = {},
): void {
  const def = writableObject(state, objectName);
  if (!def.deletable)
    throw new SalesforceError(400, 'INVALID_TYPE', `sObject type '${def.name}' does not support delete`);
  const record = requireRecord(state, def, id);
  state.transaction(() => softDelete(state, def, record, actor, extra));
}

function softDelete(state: OrgState, def: ObjectDef, record: SfRecord, actor: Actor, extra: SfRecord): void {
  const now = state.now();
  for (const child of CASCADE[def.name] ?? []) {
    const childDef = state.object(child.object)!;
    for (const row of [...state.table(child.object).values()]) {
      if (row[child.field] === record.Id && row.IsDeleted !== true) softDelete(state, childDef, row, actor, {});
    }
  }
  if (def.recycleBin) {
    state.patch(
      def.name,
      record.Id as string,
      { IsDeleted: true, LastModifiedDate: now, LastModifiedById: actor.userId, SystemModstamp: now, ...extra },
      'deleted',
    );
  } else {
    state.purge(def.name, record.Id as string);
  }
  if (def.replicateable) state.logDeletion({ object: def.name, id: record.Id as string, deletedAt: now });
  if (def.name === 'OpportunityLineItem') refreshHasLineItems(state, record.OpportunityId as string | null, actor);
}

/** Restores a record from the recycle bin, with the dependants that were deleted with it. */
export function undeleteRecord(state: OrgState, objectName: string, id: string, actor: Actor): void {
  const def = writableObject(state, objectName);
  const normalized = normalizeId(id);
  const record = normalized ? state.get(def.name, normalized) : undefined;
  if (!record) throw notFound();
  if (record.IsDeleted !== true) throw new SalesforceError(400, 'UNDELETE_FAILED', 'Entity is not in the recycle bin');
  state.transaction(() => {
    const now = state.now();
    const deletedAt = record.SystemModstamp;
    state.patch(
      def.name,
      record.Id as string,
      {
        IsDeleted: false,
        MasterRecordId: def.fields.has('masterrecordid') ? null : (record.MasterRecordId ?? null),
        LastModifiedDate: now,
        LastModifiedById: actor.userId,
        SystemModstamp: now,
      },
      'undeleted',
    );
    if (!def.fields.has('masterrecordid')) delete record.MasterRecordId;
    for (const child of CASCADE[def.name] ?? []) {
      for (const row of state.table(child.object).values()) {
        if (row[child.field] === record.Id && row.IsDeleted === true && row.SystemModstamp === deletedAt) {
          undeleteRecord(state, child.object, row.Id as string, actor);
        }
      }
    }
  });
}

/** Empties the recycle bin: deleted records leave queryAll for good; the delete log keeps them for getDeleted. */
export function purgeDeleted(state: OrgState, objects?: readonly string[]): number {
  let purged = 0;
  state.transaction(() => {
    for (const def of state.schema.values()) {
      if (objects && !objects.includes(def.name)) continue;
      for (const row of [...state.table(def.name).values()]) {
        if (row.IsDeleted === true) {
          state.purge(def.name, row.Id as string);
          purged++;
        }
      }
    }
  });
  return purged;
}

/** Merges duplicates into a master (Account, Contact, Lead): children move, the duplicates are deleted. */
export function mergeRecords(
  state: OrgState,
  objectName: string,
  masterId: string,
  duplicateIds: readonly string[],
  actor: Actor,
): void {
  const def = writableObject(state, objectName);
  if (!['Account', 'Contact', 'Lead'].includes(def.name)) {
    throw new SalesforceError(400, 'INVALID_TYPE', `merge is not supported for ${def.name}`);
  }
  if (duplicateIds.length < 1 || duplicateIds.length > 2) {
    throw new SalesforceError(400, 'INVALID_FIELD', 'A merge takes one or two records to merge into the master');
  }
  const master = requireRecord(state, def, masterId);
  state.transaction(() => {
    for (const dupId of duplicateIds) {
      const duplicate = requireRecord(state, def, dupId);
      for (const child of [
        ...(CASCADE[def.name] ?? []),
        { object: 'Task', field: def.name === 'Account' ? 'WhatId' : 'WhoId' },
      ]) {
        for (const row of [...state.table(child.object).values()]) {
          if (row[child.field] === duplicate.Id && row.IsDeleted !== true) {
            const now = state.now();
            state.patch(child.object, row.Id as string, {
              [child.field]: master.Id as string,
              SystemModstamp: now,
              LastModifiedDate: now,
            });
          }
        }
      }
      softDelete(state, def, duplicate, actor, { MasterRecordId: master.Id as string });
    }
    const now = state.now();
    state.patch(def.name, master.Id as string, {
      LastModifiedDate: now,
      LastModifiedById: actor.userId,
      SystemModstamp: now,
    });
  });
}

// --- what the platform (and the org's automation) does around a write ---

function beforeWrite(
  state: OrgState,
  def: ObjectDef,
  record: SfRecord,
  values: SfRecord,
  before: SfRecord | null,
): void {
  if (def.name === 'Contact' || def.name === 'Lead' || def.name === 'User') {
    record.Name = [record.FirstName, record.LastName].filter((v) => typeof v === 'string' && v !== '').join(' ');
  }
  if (def.name === 'Opportunity') {
    const s = stage(record.StageName);
    if (s) {
      record.IsClosed = s.closed;
      record.IsWon = s.won;
      record.ForecastCategory = s.forecast;
      record.ForecastCategoryName = FORECAST_LABELS[s.forecast] ?? s.forecast;
      if (!('Probability' in values) && (before === null || before.StageName !== record.StageName)) {
        record.Probability = s.probability;
      }
    }
    if (before === null) record.HasOpportunityLineItem = false;
  }
  if (def.name === 'Task') {
    record.IsClosed = record.Status === 'Completed';
    record.IsHighPriority = record.Priority === 'High';
    record.TaskSubtype ??= 'Task';
    const what = typeof record.WhatId === 'string' ? state.findById(record.WhatId) : undefined;
    const who = typeof record.WhoId === 'string' ? state.findById(record.WhoId) : undefined;
    record.AccountId =
      what?.object === 'Account'
        ? (what.record.Id as string)
        : ((what?.record.AccountId as string | undefined) ?? (who?.record.AccountId as string | undefined) ?? null);
  }
  if (def.name === 'PricebookEntry') {
    const product = state.get('Product2', record.Product2Id as string);
    record.Name = product?.Name ?? null;
    record.ProductCode = product?.ProductCode ?? null;
  }
  if (def.name === 'OpportunityLineItem' && before === null) {
    const opportunity = state.get('Opportunity', record.OpportunityId as string);
    let entry =
      typeof record.PricebookEntryId === 'string' ? state.get('PricebookEntry', record.PricebookEntryId) : undefined;
    if (!entry && typeof record.Product2Id === 'string') {
      entry = [...state.table('PricebookEntry').values()].find(
        (e) =>
          e.Product2Id === record.Product2Id &&
          e.IsDeleted !== true &&
          (opportunity?.Pricebook2Id ? e.Pricebook2Id === opportunity.Pricebook2Id : true),
      );
    }
    if (!entry) {
      throw new SalesforceError(
        400,
        'FIELD_INTEGRITY_EXCEPTION',
        'field integrity exception: PricebookEntryId (pricebook entry is required)',
        ['PricebookEntryId'],
      );
    }
    const product = state.get('Product2', entry.Product2Id as string);
    record.PricebookEntryId = entry.Id as string;
    record.Product2Id = entry.Product2Id as string;
    record.ListPrice = entry.UnitPrice as number;
    record.UnitPrice ??= entry.UnitPrice as number;
    record.Name = `${opportunity?.Name ?? ''} ${product?.Name ?? ''}`.trim();
    record.ProductCode = product?.ProductCode ?? null;
  }
}

function afterInsert(state: OrgState, def: ObjectDef, record: SfRecord, actor: Actor): void {
  if (def.name === 'Opportunity') addHistory(state, record, null, actor);
  if (def.name === 'OpportunityLineItem') refreshHasLineItems(state, record.OpportunityId as string, actor);
  if (def.name === 'Task' && record.IsClosed === true) taskAutomation(state, record, actor);
}

function afterUpdate(state: OrgState, def: ObjectDef, record: SfRecord, before: SfRecord, actor: Actor): void {
  if (def.name === 'Task' && record.IsClosed === true && before.IsClosed !== true) taskAutomation(state, record, actor);
  if (def.name === 'Opportunity') {
    const tracked = ['StageName', 'Amount', 'CloseDate', 'Probability', 'ForecastCategory'];
    if (tracked.some((f) => record[f] !== before[f])) addHistory(state, record, before, actor);
  }
}

/** OpportunityHistory: a snapshot on create and whenever stage, amount, close date, probability or forecast move. */
function addHistory(state: OrgState, opportunity: SfRecord, before: SfRecord | null, actor: Actor): void {
  const now = state.now();
  const amount = opportunity.Amount as number | null;
  const probability = opportunity.Probability as number | null;
  state.insert('OpportunityHistory', {
    Id: state.nextId('008'),
    IsDeleted: false,
    CreatedDate: now,
    CreatedById: actor.userId,
    LastModifiedDate: now,
    LastModifiedById: actor.userId,
    SystemModstamp: now,
    OpportunityId: opportunity.Id as string,
    StageName: opportunity.StageName as string,
    Amount: amount,
    ExpectedRevenue: amount !== null && probability !== null ? Math.round(amount * probability) / 100 : null,
    CloseDate: opportunity.CloseDate as string,
    Probability: probability,
    ForecastCategory: opportunity.ForecastCategory as string | null,
    PrevAmount: before ? (before.Amount as number | null) : null,
    PrevCloseDate: before ? (before.CloseDate as string | null) : null,
  });
}

function refreshHasLineItems(state: OrgState, opportunityId: string | null, actor: Actor): void {
  if (!opportunityId) return;
  const opportunity = state.get('Opportunity', opportunityId);
  if (!opportunity) return;
  let has = false;
  for (const row of state.table('OpportunityLineItem').values()) {
    if (row.OpportunityId === opportunityId && row.IsDeleted !== true) {
      has = true;
      break;
    }
  }
  if (opportunity.HasOpportunityLineItem !== has) {
    const now = state.now();
    state.patch('Opportunity', opportunityId, {
      HasOpportunityLineItem: has,
      LastModifiedDate: now,
      LastModifiedById: actor.userId,
      SystemModstamp: now,
    });
  }
}

/**
 * A logged task (created closed, or completed later) moves LastActivityDate on what it is about (a system field:
 * SystemModstamp does not move, as in a real org, where an open task's due date never counts), and the org's
 * record-triggered flow counts it on the opportunity (a real update: it does move).
 */
function taskAutomation(state: OrgState, task: SfRecord, actor: Actor): void {
  const day = (task.ActivityDate as string | null) ?? state.today();
  for (const id of [task.WhoId, task.WhatId, task.AccountId]) {
    if (typeof id !== 'string') continue;
    const target = state.findById(id);
    if (!target || !('LastActivityDate' in target.record)) continue;
    const current = target.record.LastActivityDate as string | null;
    if (current === null || current < day) state.patch(target.object, id, { LastActivityDate: day }, null);
  }
  if (typeof task.WhatId === 'string' && task.WhatId.startsWith('006')) {
    const opportunity = state.get('Opportunity', task.WhatId);
    if (opportunity) {
      const now = state.now();
      state.patch('Opportunity', task.WhatId, {
        Activity_Count__c: Number(opportunity.Activity_Count__c ?? 0) + 1,
        LastModifiedDate: now,
        LastModifiedById: actor.userId,
        SystemModstamp: now,
      });
    }
  }
}

/** Value of a record for output; formula fields are computed on read. */
export function readValue(state: OrgState, def: ObjectDef, record: SfRecord, fieldName: string): Value {
  const field = def.fields.get(fieldName.toLowerCase());
  if (!field) return null;
  if (field.formula) return field.formula.compute(record, state.formulaContext());
  return record[field.name] ?? null;
}
