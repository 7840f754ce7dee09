import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createHubSpotSandbox } from '../sandbox/hubspot/create-hubspot-sandbox.js';
import type { ObjectTypeName } from '../sandbox/hubspot/object-types.js';
import { createSalesforceSandbox } from '../sandbox/salesforce/create-salesforce-sandbox.js';
import { Rng } from '../sandbox/world/rng.js';
import { loadConfig } from '../src/config/load-config.js';
import { OUTPUT_FIELDS, type OutputField } from '../src/domain/output-fields.js';
import type { Tenant } from '../src/domain/tenant.js';
import { connectWithToken } from '../src/install/connect-with-token.js';
import { runCycle } from '../src/jobs/run-cycle.js';
import type { Clock } from '../src/lib/clock.js';
import { silentLogger } from '../src/lib/logger.js';
import { createRuntime, type Runtime } from '../src/main.js';
import { LedgerView } from '../src/writeback/ledger-view.js';
import type { WritePlan } from '../src/writeback/plan-writes.js';
import type { Benchmark } from './run.js';

/** `--name N` or `--name=N`. */
function option(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  const raw = at >= 0 ? args[at + 1] : args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

/** Real time from the world's "today" (asOf, 09:00 UTC), moved on at will: "a day later" without waiting a day. */
class MovableClock implements Clock {
  private readonly startReal = performance.now();
  private offset = 0;
  constructor(private readonly startAt: number) {}
  now(): number {
    return this.startAt + (performance.now() - this.startReal) + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return delay(Math.max(0, ms), undefined, signal ? { signal } : {});
  }
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const ASOF = '2026-11-02';
const FIELDS = new Map(OUTPUT_FIELDS.map((f) => [f.name, f]));
const BY_API_NAME = new Map(OUTPUT_FIELDS.map((f) => [f.apiName, f]));
/** Written only beside a material change (see plan-writes.ts): not "a value a rep can see" on its own. */
const BOOKKEEPING = new Set([
  'crm_agent_score_change',
  'crm_agent_scored_at',
  'crm_agent_model_version',
  'crm_agent_action_changed_at',
]);

/** One crm-agent value in the CRM: where it is and what it holds. */
interface HeldValue {
  object: string;
  id: string;
  field: OutputField;
  value: string;
}

/** What the bench needs of a sandbox CRM. */
interface Crm {
  name: 'hubspot' | 'salesforce';
  listen(): Promise<string>;
  token: string;
  describe: string;
  /** crm-agent's non-empty values the CRM holds now. */
  held(): HeldValue[];
  /** Sets a value as a rep would; false when the CRM refuses the rep (field-level security). */
  set(value: HeldValue, to: string | null): boolean;
  /** Reps edit 1 % of the records of each writable object (a plausible edit each); returns `type:id` keys. */
  changeOnePercent(rng: Rng): string[];
  close(): Promise<void>;
}

function hubspot(contacts: number, clock: Clock): Crm {
  const sb = createHubSpotSandbox({
    seed: 3,
    contacts,
    companies: Math.round(contacts / 10),
    deals: contacts,
    asOf: ASOF,
    clock,
    limits: 'real',
  });
  const types: Array<[ObjectTypeName, string]> = [
    ['contacts', 'contact'],
    ['companies', 'company'],
    ['deals', 'deal'],
  ];
  return {
    name: 'hubspot',
    listen: () => sb.listen(),
    token: sb.token,
    describe: `${contacts} contacts, ${Math.round(contacts / 10)} companies, ${contacts} deals`,
    held() {
      const out: HeldValue[] = [];
      for (const [apiType] of types)
        for (const id of sb.state.objects[apiType].ids) {
          const record = sb.state.get(apiType, id);
          if (!record) continue;
          for (const [name, value] of Object.entries(record.properties)) {
            const field = FIELDS.get(name);
            if (field && value !== null && value !== '') out.push({ object: apiType, id: String(id), field, value });
          }
        }
      return out;
    },
    set(v, to) {
      sb.control.edit(v.object as ObjectTypeName, Number(v.id), { [v.field.name]: to ?? '' });
      return true;
    },
    changeOnePercent(rng) {
      const changed: string[] = [];
      for (const [apiType, type] of types) {
        const ids = sb.state.objects[apiType].ids.filter((id) => sb.state.get(apiType, id));
        for (const id of pick(ids, Math.ceil(ids.length / 100), rng)) {
          const p = sb.state.get(apiType, id)!.properties;
          const edit: Record<string, string> =
            apiType === 'deals'
              ? { amount: String(Math.round(Number(p.amount ?? 1000) * rng.uniform(0.8, 1.25))) }
              : apiType === 'contacts'
                ? { jobtitle: rng.pick(['Head of Operations', 'VP Sales', 'CFO']), hs_lead_status: 'IN_PROGRESS' }
                : { numberofemployees: String(Math.max(1, Math.round(Number(p.numberofemployees ?? 10) * 1.1))) };
          sb.control.edit(apiType, id, edit);
          changed.push(`${type}:${id}`);
        }
      }
      return changed;
    },
    close: () => sb.close(),
  };
}

function salesforce(contacts: number, clock: Clock): Crm {
  const org = createSalesforceSandbox({
    seed: 3,
    accounts: Math.round(contacts / 8),
    contacts,
    opportunities: Math.round(contacts / 4),
    asOf: `${ASOF}T00:00:00.000Z`,
    clock,
    limits: 'real',
    // A pasted session (connect --token) that outlives the bench's simulated day.
    sessionTimeoutMs: 7 * DAY,
  });
  const objects = ['Contact', 'Lead', 'Account', 'Opportunity'];
  return {
    name: 'salesforce',
    listen: () => org.listen(),
    token: 'sandbox-salesforce-token',
    describe: `${contacts} contacts and leads, ${Math.round(contacts / 8)} accounts, ${Math.round(contacts / 4)} opportunities`,
    held() {
      const out: HeldValue[] = [];
      for (const object of objects)
        for (const record of org.state.table(object).values()) {
          if (record.IsDeleted === true) continue;
          for (const [key, value] of Object.entries(record)) {
            const field = BY_API_NAME.get(key);
            if (field && value !== null && value !== '')
              out.push({ object, id: record.Id as string, field, value: String(value) });
          }
        }
      return out;
    },
    set(v, to) {
      const value = to === null ? null : v.field.type === 'number' ? Number(to) : to;
      // As an admin or an import would (the reps' profiles may not see crm-agent's fields), stamped as changed.
      org.state.patch(v.object, v.id, { [v.field.apiName]: value, SystemModstamp: org.state.now() }, null);
      return true;
    },
    changeOnePercent(rng) {
      const changed: string[] = [];
      for (const object of objects) {
        const live = [...org.state.table(object).values()].filter((r) => r.IsDeleted !== true);
        const ids = org.control.edit({ object, count: Math.ceil(live.length / 100), seed: rng.int(1, 1e6) });
        const type = object === 'Account' ? 'company' : object === 'Opportunity' ? 'deal' : 'contact';
        changed.push(...ids.map((id) => `${type}:${id}`));
      }
      return changed;
    },
    close: () => org.close(),
  };
}

function pick<T>(items: readonly T[], n: number, rng: Rng): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

interface Measured {
  plan: WritePlan;
  /** The record of each task crm-agent looked after before the run (task key → `type:id`). */
  taskRecord: Map<string, string>;
  records: number;
  /** Records the cycle's sync read. */
  synced: number;
  sent: number;
  failed: number;
}

/**
 * `npm run bench -- quiet [--contacts 3000] [--crm hubspot|salesforce] [--samples 3]`: issue 13's goals for a quiet
 * write-back, on each sandbox CRM with real limits, driven through `runCycle` (what `crm-agent run` calls) with a
 * clock that starts on the seeded world's day and can be moved on. Per scenario: records written (and % of the
 * records crm-agent writes on), field values written, tasks created / ended / left to reps, values restored, each
 * changed field with a sample of its before → after values, and PASS/FAIL against the goal.
 */
export const quietBenchmark: Benchmark = {
  name: 'quiet',
  description:
    "issue 13's quiet write-back goals on both sandbox CRMs (real limits, runCycle as the CLI runs it): writes on a " +
    're-run, a day later, after 1 % of records change, and restores. Options: --contacts 3000 --crm hubspot|salesforce',
  async run(args) {
    const contacts = option(args, 'contacts', 3000);
    const samples = Math.round(option(args, 'samples', 2));
    const only = args[args.indexOf('--crm') + 1];
    const crms = (['hubspot', 'salesforce'] as const).filter((c) => !args.includes('--crm') || c === only);
    for (const crm of crms) await benchCrm(crm, contacts, samples);
  },
};

async function benchCrm(name: 'hubspot' | 'salesforce', contacts: number, samples: number): Promise<void> {
  const clock = new MovableClock(Date.parse(`${ASOF}T09:00:00.000Z`));
  const crm = name === 'hubspot' ? hubspot(contacts, clock) : salesforce(contacts, clock);
  const url = await crm.listen();
  const dir = mkdtempSync(join(tmpdir(), 'crm-agent-bench-quiet-'));
  const config = loadConfig({
    env: { DATA_DIR: dir, LOG_LEVEL: 'silent', CRM_AGENT_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') },
    cwd: dir,
    readDotEnv: false,
  });
  const runtime = await createRuntime(config, { clock, logger: silentLogger() });
  try {
    await runtime.store.migrate();
    const tenant = await connectWithToken(runtime, { crm: name, token: crm.token, apiBaseUrl: url });
    console.log(`${name}: ${crm.describe}; real limits; store SQLite; world's day ${ASOF}`);
    const cycle = async (mode: 'full' | 'incremental'): Promise<Measured> => {
      const ledger = new LedgerView(await runtime.store.writeback.ledger(tenant.id, 'task'));
      const taskRecord = new Map(ledger.allTasks().map((t) => [t.taskKey, t.record]));
      const result = await runCycle(runtime, { tenantId: tenant.id, mode, trigger: 'bench' });
      const plan = result.writeBack?.plan;
      if (result.status !== 'succeeded' || !plan) throw new Error(`${name}: the cycle ${result.status}`);
      return {
        plan,
        taskRecord,
        records: await writableRecords(runtime, tenant),
        synced: Object.values(result.sync?.counts ?? {}).reduce((a, n) => a + n, 0),
        sent: result.writeBack?.send?.sent ?? 0,
        failed: (result.writeBack?.send?.failed ?? 0) + (result.writeBack?.send?.dead ?? 0),
      };
    };
    const first = await cycle('full');
    line('first run', first, 'the baseline: every result is new');

    clock.advance(10 * MINUTE);
    const rerun = await cycle('incremental');
    const rerunTasks = rerun.plan.tasks.length + rerun.plan.closes.length + rerun.plan.releases.length;
    line('re-run', rerun, verdict(rerun.plan.fields.length === 0 && rerunTasks === 0, '0 writes, 0 task changes'));
    fieldsOf(rerun.plan, samples);

    clock.advance(DAY);
    const day = await cycle('incremental');
    const written = new Set(day.plan.fields.map((f) => `${f.objectType}:${f.recordId}`));
    const churn = taskRecords(day).filter((r) => !written.has(r)).length;
    line(
      'a day later',
      day,
      verdict(
        day.plan.fields.length <= day.records / 100 && churn === 0,
        `≤ 1 % of records, no task churn beyond them (${churn} task changes on records without a field write)`,
      ),
    );
    fieldsOf(day.plan, samples);

    clock.advance(10 * MINUTE);
    const edited = new Set(crm.changeOnePercent(new Rng(13)));
    clock.advance(MINUTE);
    const after = await cycle('incremental');
    const beyond = after.plan.fields.filter((f) => !edited.has(`${f.objectType}:${f.recordId}`)).length;
    const invisible = after.plan.fields.filter((f) => f.changes.every((c) => BOOKKEEPING.has(c.field))).length;
    line(
      `${edited.size} edited`,
      after,
      verdict(
        after.plan.fields.length <= after.records / 50 && invisible === 0,
        `≤ 2 % of records, each a visible change (${beyond} written records were not edited; ${invisible} bookkeeping only)`,
      ),
    );
    fieldsOf(after.plan, samples);

    clock.advance(10 * MINUTE);
    const rng = new Rng(77);
    const held = pick(crm.held(), Number.POSITIVE_INFINITY, rng);
    const cleared: HeldValue[] = [];
    const overwritten: HeldValue[] = [];
    for (const v of held) {
      if (cleared.length < 500) {
        if (crm.set(v, null)) cleared.push(v);
      } else if (overwritten.length < 200 && (v.field.type === 'text' || v.field.type === 'number')) {
        if (crm.set(v, v.field.type === 'number' ? String(Number(v.value) + 7) : 'typed by a rep')) overwritten.push(v);
      }
    }
    clock.advance(MINUTE);
    const restore = await cycle('incremental');
    const target = cleared.length + overwritten.length;
    const back = crm.held();
    const now = new Map(back.map((v) => [`${v.object}:${v.id}:${v.field.name}`, v.value]));
    const missing = [...cleared, ...overwritten].filter(
      (v) => now.get(`${v.object}:${v.id}:${v.field.name}`) === undefined,
    ).length;
    line(
      `${cleared.length}+${overwritten.length} off`,
      restore,
      verdict(
        restore.plan.stats.restored >= target && missing === 0,
        `all ${target} restored and reported so (${restore.plan.stats.restored} reported, ${missing} still missing)`,
      ),
    );
    fieldsOf(restore.plan, samples);
  } finally {
    await runtime.close();
    await crm.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Contacts (and leads), companies and deals in the local copy: the records crm-agent writes on. */
async function writableRecords(runtime: Runtime, tenant: Tenant): Promise<number> {
  let n = 0;
  for (const type of ['contact', 'company', 'deal'] as const)
    n += (await runtime.store.records.list(tenant.id, type)).filter((r) => !r.archived).length;
  return n;
}

/** Records whose task was made, ended or left to the rep. */
function taskRecords({ plan, taskRecord }: Measured): string[] {
  return [
    ...plan.tasks.map((t) => (t.dealId ? `deal:${t.dealId}` : `contact:${t.contactId}`)),
    ...plan.closes.map((c) => taskRecord.get(c.key.slice('close:'.length)) ?? c.key),
    ...plan.releases.map((r) => taskRecord.get(r.taskKey) ?? r.taskKey),
  ];
}

const verdict = (ok: boolean, goal: string) => `${ok ? 'PASS' : 'FAIL'}: ${goal}`;

function line(label: string, m: Measured, goal: string): void {
  const values = m.plan.fields.reduce((n, f) => n + f.changes.length, 0);
  const pct = ((100 * m.plan.fields.length) / m.records).toFixed(2);
  console.log(
    `  ${label.padEnd(14)} records written ${String(m.plan.fields.length).padStart(5)} of ${m.records} (${pct} %), ` +
      `values ${values} (${m.plan.stats.updated} updated, ${m.plan.stats.restored} restored); tasks created ` +
      `${m.plan.tasks.length}, ended ${m.plan.closes.length}, left to reps ${m.plan.releases.length}; ` +
      `sent ${m.sent}, failed ${m.failed}; sync read ${m.synced} records\n  ${''.padEnd(14)} suppressed: ` +
      `${Object.entries(m.plan.stats.suppressed)
        .map(([rule, n]) => `${rule} ${n}`)
        .join(', ')}\n  ${''.padEnd(14)} ${goal}`,
  );
}

/** Each field written, how often, with a sample of before → after values (the diagnosis). */
function fieldsOf(plan: WritePlan, samples: number): void {
  const byField = new Map<string, Array<{ record: string; from: string | null; to: string | null }>>();
  for (const f of plan.fields)
    for (const c of f.changes) {
      const list = byField.get(c.field) ?? [];
      list.push({ record: `${f.objectType}:${f.recordId}`, from: c.from, to: c.to });
      byField.set(c.field, list);
    }
  const cut = (s: string | null) => (s === null ? '∅' : s.length > 70 ? `${s.slice(0, 69)}…` : s);
  for (const [field, list] of [...byField].sort((a, b) => b[1].length - a[1].length)) {
    const shown = list
      .slice(0, samples)
      .map((c) => `${c.record} ${cut(c.from)} → ${cut(c.to)}`)
      .join(' | ');
    console.log(`      ${field.replace('crm_agent_', '')} ×${list.length}: ${shown}`);
  }
}
