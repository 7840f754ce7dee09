import type { LedgerEntry } from '../store/repositories/writeback.js';

export interface LedgerTask {
  taskKey: string;
  actionKey: string;
  record: string;
  crmId: string | null;
  /**
   * `open` (as crm-agent made it) and `started` (the rep moved it on) are live; `completed` (by the rep), `ended`
   * (deferred in the CRM), `removed`, `deferred` and `released` (left to the rep) are not.
   */
  status: string;
}

/** Task statuses crm-agent still looks after. */
export const LIVE_TASK = new Set(['open', 'started']);

/** The write-back ledger indexed for planning: last written field values, and the tasks crm-agent made. */
export class LedgerView {
  private readonly values = new Map<string, string | null>();
  private readonly tasks = new Map<string, LedgerTask>();

  constructor(entries: readonly LedgerEntry[]) {
    const taskFields = new Map<string, Record<string, string | null>>();
    for (const e of entries) {
      if (e.objectType === 'task') {
        const fields = taskFields.get(e.recordId) ?? {};
        fields[e.field] = e.value;
        taskFields.set(e.recordId, fields);
      } else {
        this.values.set(`${e.objectType}:${e.recordId}:${e.field}`, e.value);
      }
    }
    for (const [taskKey, f] of taskFields) {
      this.tasks.set(taskKey, {
        taskKey,
        actionKey: f.action_key ?? '',
        record: f.record ?? '',
        crmId: f.crm_id ?? null,
        status: f.status ?? 'open',
      });
    }
  }

  /** The last value written to a field; undefined when crm-agent never wrote it. */
  value(objectType: string, recordId: string, field: string): string | null | undefined {
    const key = `${objectType}:${recordId}:${field}`;
    return this.values.has(key) ? this.values.get(key)! : undefined;
  }

  /** Records (`type:id`) where crm-agent last wrote a non-empty value into this field. */
  recordsWith(field: string): string[] {
    const out: string[] = [];
    const suffix = `:${field}`;
    for (const [key, value] of this.values) {
      if (value !== null && key.endsWith(suffix)) out.push(key.slice(0, -suffix.length));
    }
    return out;
  }

  tasksOf(record: string): LedgerTask[] {
    return [...this.tasks.values()].filter((t) => t.record === record);
  }

  /** Every task crm-agent made, whatever its record. */
  allTasks(): LedgerTask[] {
    return [...this.tasks.values()];
  }

  /** How many tasks were ever made for an action key (the next one is episode n). */
  episodes(actionKey: string): number {
    let n = 0;
    for (const t of this.tasks.values()) if (t.actionKey === actionKey) n += 1;
    return n;
  }

  /** Task statuses just read from the CRM (by task key), over what the ledger last knew. */
  withTaskStatuses(statuses: ReadonlyMap<string, string>): this {
    for (const [taskKey, status] of statuses) {
      const task = this.tasks.get(taskKey);
      if (task) task.status = status;
    }
    return this;
  }
}
