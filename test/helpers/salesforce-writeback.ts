import type { SalesforceSandbox } from '../../sandbox/salesforce/create-salesforce-sandbox.js';
import type { SfRecord } from '../../sandbox/salesforce/schema.js';

/** The objects crm-agent writes its fields on. */
export const WRITTEN_OBJECTS = ['Contact', 'Lead', 'Account', 'Opportunity'] as const;
const OWN = /^CrmAgent_/;

/** A write request to the org's data (what write-back costs): collections, sObject writes, Bulk ingest jobs. */
export function isDataWrite(e: { method: string; path: string }): boolean {
  return e.method !== 'GET' && /^\/services\/data\/v[\d.]+\/(composite|sobjects|jobs\/ingest)/.test(e.path);
}

/** Every request that changes anything in the org: data writes, and metadata (Tooling) writes. */
export function isAnyWrite(e: { method: string; path: string }): boolean {
  return e.method !== 'GET' && e.path.startsWith('/services/data/');
}

/** A stored value as the REST API shows it (datetimes are kept as epoch milliseconds). */
export function shown(value: unknown): unknown {
  return typeof value === 'number' && value > 1e12 ? new Date(value).toISOString() : value;
}

/** What crm-agent put into the org: its field values, its tasks by key, and the action events published. */
export function crmAgentState(sandbox: SalesforceSandbox) {
  const fields = new Map<string, unknown>();
  for (const object of WRITTEN_OBJECTS) {
    for (const record of sandbox.state.table(object).values()) {
      for (const [key, value] of Object.entries(record)) {
        if (OWN.test(key) && value !== null) fields.set(`${record.Id}:${key}`, shown(value));
      }
    }
  }
  const tasks = [...sandbox.state.table('Task').values()].filter((t) => t.CrmAgent_Task_Key__c);
  const events = sandbox.context.events.filter((e) => e.object === 'CrmAgent_Action__e');
  return { fields, tasks, events };
}

/**
 * Empties what crm-agent wrote (its field values, tasks and events), as if it had never written. `touch` stamps
 * the cleared records as changed, so that an incremental sync reads them again.
 */
export function clearCrmAgentData(sandbox: SalesforceSandbox, options: { touch: boolean }): void {
  const { state } = sandbox;
  const now = state.now();
  for (const object of WRITTEN_OBJECTS) {
    for (const record of state.table(object).values()) {
      const changes: SfRecord = {};
      for (const [key, value] of Object.entries(record)) if (OWN.test(key) && value !== null) changes[key] = null;
      if (Object.keys(changes).length === 0) continue;
      state.patch(
        object,
        record.Id as string,
        options.touch ? { ...changes, LastModifiedDate: now, SystemModstamp: now } : changes,
        null,
      );
    }
  }
  for (const task of [...state.table('Task').values()]) {
    if (task.CrmAgent_Task_Key__c) state.purge('Task', task.Id as string);
  }
  sandbox.context.events.splice(0);
}

/** A copy of the org's records of the written objects, to compare before and after. */
export function snapshot(sandbox: SalesforceSandbox): Map<string, SfRecord> {
  const out = new Map<string, SfRecord>();
  for (const object of WRITTEN_OBJECTS) {
    for (const record of sandbox.state.table(object).values()) out.set(record.Id as string, { ...record });
  }
  return out;
}

/**
 * A fetch that plays a worker killed in the middle of a send: at the `at`-th write request it dies, before sending
 * it or after Salesforce applied it (the answer lost), and from then on every request hangs forever, as nothing
 * runs in a dead process. `killed` resolves when it died; `lastUrl`/`lastMethod` name the request it died on.
 */
export function killSwitch(at: number, mode: 'before' | 'after') {
  let writes = 0;
  let dead = false;
  let died!: () => void;
  const killed = new Promise<void>((resolve) => {
    died = resolve;
  });
  const state = { lastUrl: '', lastMethod: '' };
  const hang = () => new Promise<never>(() => {});
  const fetchImpl: typeof fetch = async (input, init) => {
    if (dead) return hang();
    const method = init?.method ?? 'GET';
    const url = input instanceof Request ? input.url : String(input);
    if (isDataWrite({ method, path: new URL(url).pathname })) {
      writes += 1;
      if (writes === at) {
        dead = true;
        Object.assign(state, { lastUrl: url, lastMethod: method });
        if (mode === 'after') await (await fetch(input, init)).arrayBuffer();
        died();
        return hang();
      }
    }
    return fetch(input, init);
  };
  return { fetch: fetchImpl, killed, state, writes: () => writes };
}
