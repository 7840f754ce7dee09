import type { OutputField } from '../../src/domain/output-fields.js';
import { NeedsReauthError } from '../../src/lib/errors.js';
import type {
  CrmWriter,
  FieldUpdate,
  FieldValue,
  TaskClose,
  TaskSpec,
  TriggerEvent,
  WriteResult,
} from '../../src/ports/crm-writer.js';

/**
 * An in-memory CRM for write-back tests. Tasks are upserted by key as the real connectors do (a unique property on
 * HubSpot, an external id on Salesforce). Faults: reject records, revoke the token, or crash on a given call,
 * before applying it or after (the CRM did the work but the answer was lost).
 */
export class FakeCrmWriter implements CrmWriter {
  batchSize = { fields: 50, tasks: 50, triggers: 50 };
  readonly records = new Map<string, Record<string, FieldValue>>();
  readonly tasks = new Map<
    string,
    TaskSpec & { crmId: string; status: 'open' | 'completed' | 'closed'; creations: number }
  >();
  readonly triggers: TriggerEvent[] = [];
  readonly completedCallbacks: Array<{ callbackId: string; outputFields: Record<string, string | number> }> = [];
  readonly calls = { provision: 0, fields: 0, tasks: 0, closes: 0, triggers: 0, statuses: 0 };
  readonly reject = new Map<string, { code: string; message: string; retryable: boolean }>();
  /** Write call number (1-based, counted over fields, tasks, closes and triggers) that crashes, and how. */
  crash: { onCall: number; mode: 'before' | 'after' } | null = null;
  revokeOnCall: number | null = null;
  private writeCalls = 0;
  private nextId = 9_000_000;

  get writes(): number {
    return this.calls.fields + this.calls.tasks + this.calls.closes + this.calls.triggers;
  }

  propertyName(field: OutputField): string {
    return field.name;
  }

  async provision(): Promise<{ created: string[]; updated: string[]; unchanged: string[] }> {
    this.calls.provision += 1;
    return { created: [], updated: [], unchanged: [] };
  }

  async writeFields(updates: FieldUpdate[]): Promise<WriteResult[]> {
    this.calls.fields += 1;
    return this.apply(() =>
      updates.map((u) => {
        const rejected = this.reject.get(u.recordId);
        if (rejected) return { key: u.key, ok: false, error: rejected };
        const key = `${u.objectType}:${u.recordId}`;
        this.records.set(key, { ...this.records.get(key), ...u.values });
        return { key: u.key, ok: true };
      }),
    );
  }

  async upsertTasks(tasks: TaskSpec[]): Promise<WriteResult[]> {
    this.calls.tasks += 1;
    return this.apply(() =>
      tasks.map((t) => {
        const existing = this.tasks.get(t.key);
        const crmId = existing?.crmId ?? String(this.nextId++);
        this.tasks.set(t.key, {
          ...t,
          crmId,
          status: existing?.status ?? 'open',
          creations: (existing?.creations ?? 0) + (existing ? 0 : 1),
        });
        return { key: t.key, ok: true, crmId };
      }),
    );
  }

  async closeTasks(closes: TaskClose[]): Promise<WriteResult[]> {
    this.calls.closes += 1;
    return this.apply(() =>
      closes.map((c) => {
        const task = [...this.tasks.values()].find((t) => t.crmId === c.crmTaskId);
        if (task) task.status = 'closed';
        return {
          key: c.key,
          ok: task !== undefined,
          ...(task ? {} : { error: { code: 'OBJECT_NOT_FOUND', message: 'no such task', retryable: false } }),
        };
      }),
    );
  }

  async publishTriggers(events: TriggerEvent[]): Promise<WriteResult[]> {
    this.calls.triggers += 1;
    return this.apply(() => {
      this.triggers.push(...events);
      return events.map((e) => ({ key: e.key, ok: true }));
    });
  }

  async completeCallbacks(
    items: Array<{ key: string; callbackId: string; outputFields: Record<string, string | number> }>,
  ): Promise<WriteResult[]> {
    this.completedCallbacks.push(...items.map(({ callbackId, outputFields }) => ({ callbackId, outputFields })));
    return items.map((i) => ({ key: i.key, ok: true }));
  }

  async readTaskStatuses(ids: string[]): Promise<Map<string, 'open' | 'completed'>> {
    this.calls.statuses += 1;
    const out = new Map<string, 'open' | 'completed'>();
    for (const t of this.tasks.values())
      if (ids.includes(t.crmId)) out.set(t.crmId, t.status === 'completed' ? 'completed' : 'open');
    return out;
  }

  private apply(work: () => WriteResult[]): WriteResult[] {
    this.writeCalls += 1;
    if (this.revokeOnCall === this.writeCalls) throw new NeedsReauthError('t', 'refresh token revoked');
    if (this.crash?.onCall === this.writeCalls && this.crash.mode === 'before')
      throw new Error('socket hang up (before the CRM applied it)');
    const results = work();
    if (this.crash?.onCall === this.writeCalls && this.crash.mode === 'after')
      throw new Error('socket hang up (after the CRM applied it)');
    return results;
  }
}
