import type { Clock } from '../../src/lib/clock.js';
import { makeId } from './ids.js';
import {
  createSchema,
  createToolingSchema,
  type FieldDef,
  type FormulaContext,
  type ObjectDef,
  type SfRecord,
} from './schema.js';

/** A committed change, in the order it happened: what outbound messages and tests listen to. */
export interface ChangeEvent {
  kind: 'created' | 'updated' | 'deleted' | 'undeleted' | 'purged';
  object: string;
  id: string;
  at: number;
  /** The user whose save it was (the record's LastModifiedById as the save stamped it), when the record has one. */
  userId?: string;
}

/**
 * An active validation rule of the org: `rejects` plays its error condition formula (true = the save fails with
 * FIELD_CUSTOM_VALIDATION_EXCEPTION and `message`, shown at `field` when set). `before` is null on insert.
 */
export interface ValidationRule {
  object: string;
  name: string;
  message: string;
  field?: string;
  rejects(record: SfRecord, before: SfRecord | null): boolean;
}

/** One row of the delete log that getDeleted reads (kept after the recycle bin is emptied). */
export interface DeleteLogEntry {
  object: string;
  id: string;
  deletedAt: number;
}

/**
 * The org's data in memory: one table per sObject, a delete log, the metadata (standard plus custom fields) and
 * field-level security. Every mutation can be rolled back while a transaction is open (allOrNone), and listeners
 * hear about changes only once they are committed.
 */
export class OrgState {
  readonly schema: Map<string, ObjectDef> = createSchema();
  readonly tooling: Map<string, ObjectDef> = createToolingSchema();
  private readonly tables = new Map<string, Map<string, SfRecord>>();
  readonly deleteLog: DeleteLogEntry[] = [];
  private readonly counters = new Map<string, number>();
  private undo: Array<() => void> | undefined;
  private pending: ChangeEvent[] = [];
  private readonly listeners: Array<(events: ChangeEvent[]) => void> = [];
  private visibilityCache: Map<string, { read: boolean; edit: boolean }> | undefined;
  /** The org's active validation rules (set by an admin: a control endpoint plays them). */
  readonly validationRules: ValidationRule[] = [];
  /** Records another transaction holds: the next `n` saves of each fail with UNABLE_TO_LOCK_ROW. */
  readonly lockedRows = new Map<string, number>();

  constructor(
    readonly clock: Clock,
    readonly orgId: string,
    /** Two characters naming the instance (the org's "pod"), part of every id. */
    readonly pod: string,
    /** Where record ids start counting, so that different seeds give different ids. */
    private readonly idBase: number,
  ) {}

  /** Now, in whole seconds as Salesforce stores timestamps. */
  now(): number {
    return Math.floor(this.clock.now() / 1000) * 1000;
  }

  today(): string {
    return new Date(this.clock.now()).toISOString().slice(0, 10);
  }

  nextId(prefix: string): string {
    const n = (this.counters.get(prefix) ?? this.idBase) + 1;
    this.counters.set(prefix, n);
    return makeId(prefix, this.pod, n);
  }

  /** The object's definition, by any casing of its name; Tooling objects only when asked. */
  object(name: string, options: { tooling?: boolean } = {}): ObjectDef | undefined {
    return (options.tooling ? this.tooling : this.schema).get(name.toLowerCase());
  }

  table(object: string): Map<string, SfRecord> {
    let table = this.tables.get(object);
    if (!table) {
      table = new Map();
      this.tables.set(object, table);
    }
    return table;
  }

  get(object: string, id: string): SfRecord | undefined {
    return this.tables.get(object)?.get(id);
  }

  /** The record with this id in whichever table holds it (ids carry their object's key prefix). */
  findById(id: string): { object: string; record: SfRecord } | undefined {
    const prefix = id.slice(0, 3);
    for (const def of [...this.schema.values(), ...this.tooling.values()]) {
      if (def.keyPrefix !== prefix) continue;
      const record = this.tables.get(def.name)?.get(id);
      if (record) return { object: def.name, record };
    }
    return undefined;
  }

  formulaContext(): FormulaContext {
    return {
      today: this.today(),
      lookup: (object, id) => (id ? this.get(object, id) : undefined),
    };
  }

  // --- mutations (rolled back when the surrounding transaction fails) ---

  insert(object: string, record: SfRecord, options: { quiet?: boolean } = {}): void {
    const table = this.table(object);
    const id = record.Id as string;
    table.set(id, record);
    this.undo?.push(() => table.delete(id));
    if (!options.quiet) this.emit({ kind: 'created', object, id, at: this.now(), ...savedBy(record) });
  }

  /** Sets fields on a record in place (the caller stamps LastModifiedDate and SystemModstamp). */
  patch(object: string, id: string, changes: SfRecord, kind: ChangeEvent['kind'] | null = 'updated'): void {
    const record = this.table(object).get(id);
    if (!record) return;
    const before: SfRecord = {};
    for (const key of Object.keys(changes)) before[key] = record[key] ?? null;
    Object.assign(record, changes);
    this.undo?.push(() => Object.assign(record, before));
    if (kind) this.emit({ kind, object, id, at: this.now(), ...savedBy(record) });
  }

  /** Removes a record for good (emptied recycle bin, or objects without one). */
  purge(object: string, id: string): void {
    const table = this.table(object);
    const record = table.get(id);
    if (!record) return;
    table.delete(id);
    this.undo?.push(() => table.set(id, record));
    this.emit({ kind: 'purged', object, id, at: this.now() });
  }

  logDeletion(entry: DeleteLogEntry): void {
    this.deleteLog.push(entry);
    this.undo?.push(() => {
      const i = this.deleteLog.lastIndexOf(entry);
      if (i >= 0) this.deleteLog.splice(i, 1);
    });
  }

  /**
   * Runs `fn` as one transaction: if it throws, every mutation it made is undone and nobody hears of them.
   * Nested calls join the outer transaction.
   */
  transaction<T>(fn: () => T): T {
    if (this.undo) return fn();
    this.undo = [];
    const undo = this.undo;
    try {
      const result = fn();
      this.undo = undefined;
      this.flush();
      return result;
    } catch (error) {
      this.undo = undefined;
      for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
      this.pending = [];
      this.visibilityCache = undefined;
      throw error;
    }
  }

  /** Runs `fn` as a savepoint inside the current transaction: its own mutations are undone if it throws. */
  savepoint<T>(fn: () => T): T {
    if (!this.undo) return this.transaction(fn);
    const outer = this.undo;
    const mark = outer.length;
    const pendingMark = this.pending.length;
    try {
      return fn();
    } catch (error) {
      for (let i = outer.length - 1; i >= mark; i--) outer[i]!();
      outer.length = mark;
      this.pending.length = pendingMark;
      this.visibilityCache = undefined;
      throw error;
    }
  }

  onChange(listener: (events: ChangeEvent[]) => void): void {
    this.listeners.push(listener);
  }

  private emit(event: ChangeEvent): void {
    if (event.object === 'FieldPermissions' || event.object === 'PermissionSetAssignment') {
      this.visibilityCache = undefined;
    }
    this.pending.push(event);
    if (!this.undo) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    for (const listener of this.listeners) listener(events);
  }

  // --- metadata and field-level security ---

  addField(object: ObjectDef, field: FieldDef): void {
    const key = field.name.toLowerCase();
    object.fields.set(key, field);
    this.undo?.push(() => object.fields.delete(key));
    this.visibilityCache = undefined;
  }

  addObject(object: ObjectDef): void {
    const key = object.name.toLowerCase();
    this.schema.set(key, object);
    this.undo?.push(() => this.schema.delete(key));
  }

  /**
   * What `userId` may do with a field. Standard fields and fields shipped with the org are on every profile;
   * fields created through the API are hidden until a permission set assigned to the user grants them.
   */
  access(userId: string, object: ObjectDef, field: FieldDef): { read: boolean; edit: boolean } {
    if (field.access === 'profile' || object.tooling) return { read: true, edit: field.createable || field.updateable };
    this.visibilityCache ??= this.computeVisibility();
    // A compound's components are granted with it (FieldPermissions name the compound, `Account.Loc__c`).
    const granted = field.compoundFieldName ?? field.name;
    const found = this.visibilityCache.get(`${userId}:${object.name}.${granted}`.toLowerCase());
    if (!found) return { read: false, edit: false };
    return field.components ? { read: found.read, edit: false } : found;
  }

  private computeVisibility(): Map<string, { read: boolean; edit: boolean }> {
    const out = new Map<string, { read: boolean; edit: boolean }>();
    const assignments = [...this.table('PermissionSetAssignment').values()].filter((a) => !a.IsDeleted);
    const permissions = [...this.table('FieldPermissions').values()].filter((p) => !p.IsDeleted);
    for (const assignment of assignments) {
      for (const p of permissions) {
        if (p.ParentId !== assignment.PermissionSetId) continue;
        const key = `${assignment.AssigneeId}:${p.Field}`.toLowerCase();
        const prev = out.get(key) ?? { read: false, edit: false };
        out.set(key, {
          read: prev.read || p.PermissionsRead === true || p.PermissionsEdit === true,
          edit: prev.edit || p.PermissionsEdit === true,
        });
      }
    }
    return out;
  }
}

/** Every save stamps LastModifiedById with the running user (dml.ts), so after a save it names who saved. */
function savedBy(record: SfRecord): { userId?: string } {
  return typeof record.LastModifiedById === 'string' ? { userId: record.LastModifiedById } : {};
}
