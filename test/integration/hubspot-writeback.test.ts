import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ExportedRecord, PortalExport } from '../../sandbox/hubspot/control.js';
import type { HubSpotSandbox } from '../../sandbox/hubspot/create-hubspot-sandbox.js';
import type { ObjectTypeName } from '../../sandbox/hubspot/object-types.js';
import { Rng } from '../../sandbox/world/rng.js';
import { OUTPUT_FIELDS } from '../../src/domain/output-fields.js';
import type { Tenant } from '../../src/domain/tenant.js';
import { processInbox } from '../../src/jobs/process-inbox.js';
import { runCycle } from '../../src/jobs/run-cycle.js';
import type { CrmWriter, FieldValue } from '../../src/ports/crm-writer.js';
import type { NewOutboxItem } from '../../src/store/repositories/outbox.js';
import { canonical, type WritePlan } from '../../src/writeback/plan-writes.js';
import { sendOutbox } from '../../src/writeback/send-outbox.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { connectHarness, type Harness, startSandbox } from '../helpers/hubspot.js';

const PORTAL = { seed: 21, contacts: 450, companies: 70, deals: 450 } as const;
const FIELDS = new Map(OUTPUT_FIELDS.map((f) => [f.name, f]));
const WRITABLE: Array<[ObjectTypeName, 'contact' | 'company' | 'deal']> = [
  ['contacts', 'contact'],
  ['companies', 'company'],
  ['deals', 'deal'],
];
/** Properties HubSpot moves on every write, whoever makes it. */
const BOOKKEEPING = new Set(['lastmodifieddate', 'hs_lastmodifieddate']);

/** A request that changes the portal (everything but reads and searches). */
const isWrite = (method: string, path: string) =>
  method !== 'GET' && !/\/(batch\/read|search)$/.test(path) && !path.startsWith('/oauth');

/**
 * The fetch every connector of the runtime uses: counts write requests, and on demand plays a worker killed in the
 * middle of sending (the k-th write fails before reaching HubSpot, or after HubSpot applied it but before its answer
 * came back; from then on nothing gets through until the worker "restarts").
 */
class Wire {
  writes: string[] = [];
  /** How many inputs each write carried. */
  inputs: number[] = [];
  /** The record ids each write carried. */
  ids: string[][] = [];
  crash: { at: number; after: boolean } | null = null;
  dead = false;
  onWrite: ((n: number) => void) | null = null;

  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    if (this.dead) throw new TypeError('fetch failed (worker killed)');
    if (!isWrite(method, url.pathname)) return globalThis.fetch(input, init);
    this.writes.push(`${method} ${url.pathname}`);
    const inputs = (JSON.parse(String(init?.body ?? '{}')) as { inputs?: Array<{ id?: unknown }> }).inputs;
    this.inputs.push(inputs?.length ?? 1);
    this.ids.push((inputs ?? []).map((i) => String(i.id)));
    const n = this.writes.length;
    if (this.crash?.at === n && !this.crash.after) {
      this.dead = true;
      throw new TypeError('fetch failed (killed before sending)');
    }
    const response = await globalThis.fetch(input, init);
    this.onWrite?.(n);
    if (this.crash?.at === n) {
      await response.arrayBuffer();
      this.dead = true;
      throw new TypeError('fetch failed (killed before the answer arrived)');
    }
    return response;
  };

  reset(): void {
    this.writes = [];
    this.inputs = [];
    this.ids = [];
    this.crash = null;
    this.dead = false;
    this.onWrite = null;
  }
}

/** crm-agent's values on each writable record, and its tasks by key, as the portal holds them. */
function written(portal: PortalExport) {
  const values = new Map<string, Record<string, string | null>>();
  for (const [apiType, type] of WRITABLE) {
    for (const record of portal.records[apiType]) {
      const ours: Record<string, string | null> = {};
      for (const [name, value] of Object.entries(record.properties)) {
        const field = FIELDS.get(name);
        if (field) ours[name] = canonical(field, value);
      }
      if (Object.keys(ours).length > 0) values.set(`${type}:${record.id}`, ours);
    }
  }
  const tasks = new Map<string, ExportedRecord[]>();
  for (const task of portal.records.tasks) {
    const key = task.properties.crm_agent_task_key ?? '';
    tasks.set(key, [...(tasks.get(key) ?? []), task]);
  }
  return { values, tasks };
}

function planned(plan: WritePlan): Map<string, Record<string, string | null>> {
  const out = new Map<string, Record<string, string | null>>();
  for (const update of plan.fields) {
    const values: Record<string, string | null> = {};
    for (const [name, value] of Object.entries(update.values))
      values[name] = canonical(FIELDS.get(name)!, value as FieldValue);
    out.set(`${update.objectType}:${update.recordId}`, values);
  }
  return out;
}

describe('HubSpot write-back against the sandbox', () => {
  const clock = new FixedClock(Date.parse('2026-11-01T08:00:00.000Z'));
  const wire = new Wire();
  const requests: Array<{ method: string; path: string }> = [];
  let sb: HubSpotSandbox;
  let harness: Harness;
  let tenant: Tenant;
  let firstPlan: WritePlan;
  let firstRunId: string;
  let afterFirst: PortalExport;
  let snapshot: NewOutboxItem[];
  let segmentOptions: Array<{ value: string; label: string }>;

  beforeAll(async () => {
    const started = await startSandbox({
      ...PORTAL,
      clock,
      limits: 'off',
      onRequest: (r) => requests.push({ method: r.method, path: r.path }),
    });
    sb = started.sb;
    harness = await connectHarness(sb, started.url, { clock, fetch: wire.fetch });
    tenant = harness.tenant;
  });
  afterAll(async () => {
    await harness?.close();
    await sb?.close();
  });

  /** A portal just like the first one before any write-back (same seed: same ids and token), for one trial. */
  async function freshPortal(): Promise<{ sb: HubSpotSandbox; writer: () => CrmWriter; tenant: Tenant }> {
    const started = await startSandbox({ ...PORTAL, clock, limits: 'off' });
    const bound = { ...tenant, apiBaseUrl: started.url };
    return { sb: started.sb, tenant: bound, writer: () => harness.runtime.connectorFor(bound).writer!() };
  }

  async function resetOutbox(items: NewOutboxItem[]): Promise<void> {
    const { store } = harness.runtime;
    await store.db.deleteFrom('writebackLedger').where('tenantId', '=', tenant.id).execute();
    await store.db.deleteFrom('outbox').where('tenantId', '=', tenant.id).execute();
    await store.outbox.add(tenant.id, items);
  }

  it('a full cycle writes every planned value and task into HubSpot, and changes nothing else', async () => {
    const before = sb.control.export();
    wire.reset();
    const result = await runCycle(harness.runtime, { tenantId: tenant.id, mode: 'full', trigger: 'test' });
    expect(result.status).toBe('succeeded');
    const plan = result.writeBack!.plan!;
    firstPlan = plan;
    firstRunId = result.runId!;
    expect(plan.fields.length).toBeGreaterThan(300);
    expect(plan.tasks.length).toBeGreaterThan(5);
    expect(result.writeBack!.send).toMatchObject({ failed: 0, dead: 0, retrying: 0 });
    expect(result.writeBack!.provision!.created.length).toBeGreaterThan(20);

    afterFirst = sb.control.export();
    const want = planned(plan);
    const have = written(afterFirst);
    expect(new Set(have.values.keys())).toEqual(
      new Set([...want.keys()].filter((k) => Object.values(want.get(k)!).some((v) => v !== null))),
    );
    for (const [key, values] of want) {
      const held = have.values.get(key) ?? {};
      for (const [name, value] of Object.entries(values))
        expect([key, name, held[name] ?? null]).toEqual([key, name, value]);
    }
    // Nothing else changed: every other property of every record is as it was.
    for (const [apiType] of WRITABLE) {
      const old = new Map(before.records[apiType].map((r) => [r.id, r.properties]));
      for (const record of afterFirst.records[apiType]) {
        const was = old.get(record.id)!;
        const changed = Object.keys({ ...was, ...record.properties }).filter(
          (k) => was[k] !== record.properties[k] && !FIELDS.has(k) && !BOOKKEEPING.has(k),
        );
        expect([record.id, changed]).toEqual([record.id, []]);
      }
    }
    // Fields went in full batches of 100 per object type.
    const updates = wire.writes.filter((w) => /\/crm\/v3\/objects\/(contacts|companies|deals)\/batch\/update$/.test(w));
    expect(updates).toHaveLength(plan.calls.fields);
    // One task per planned task, associated with its contact (204) and deal (216), for the record's owner.
    expect(have.tasks.size).toBe(plan.tasks.length);
    const links = afterFirst.associations;
    for (const task of plan.tasks) {
      const made = have.tasks.get(task.key)!;
      expect(made).toHaveLength(1);
      const crm = made[0]!;
      expect(crm.properties).toMatchObject({
        hs_task_subject: task.subject,
        hs_task_status: 'NOT_STARTED',
        hs_task_priority: task.priority.toUpperCase(),
        ...(task.ownerId ? { hubspot_owner_id: task.ownerId } : {}),
      });
      const to = (type: string) =>
        (links[`tasks:${type}`] ?? []).filter(([from]) => from === crm.id).map(([, id, types]) => [id, types]);
      expect(to('contacts')).toEqual(task.contactId ? [[task.contactId, [204]]] : []);
      expect(to('deals')).toEqual(task.dealId ? [[task.dealId, [216]]] : []);
    }
    snapshot = (await harness.runtime.store.outbox.list(tenant.id, { limit: 100_000 })).map((i) => ({
      runId: i.runId,
      kind: i.kind,
      objectType: i.objectType,
      recordId: i.recordId,
      idempotencyKey: i.idempotencyKey,
      payload: i.payload,
    }));
    segmentOptions = (await harness.runtime.store.results.segments(firstRunId)).map((s) => ({
      value: s.segmentKey,
      label: s.name,
    }));
  });

  it('a run with no CRM changes makes zero write calls', async () => {
    requests.length = 0;
    const second = await runCycle(harness.runtime, { tenantId: tenant.id, mode: 'incremental', trigger: 'test' });
    expect(second.status).toBe('succeeded');
    const quiet = second.writeBack!.plan!;
    expect(quiet.fields.flatMap((f) => f.changes)).toEqual([]);
    expect([quiet.tasks.length, quiet.closes.length, quiet.releases.length]).toEqual([0, 0, 0]);
    // Only the reads of its tasks' statuses.
    expect(quiet.calls).toMatchObject({ fields: 0, tasks: 0, closes: 0, triggers: 0, total: quiet.calls.reads });
    expect(requests.filter((r) => isWrite(r.method, r.path))).toEqual([]);
    // Its reads did happen (sync, provisioning check, task statuses), at the same portal.
    expect(requests.length).toBeGreaterThan(5);
    expect(written(sb.control.export()).tasks.size).toBe(firstPlan.tasks.length);
  });

  it('values cleared (500) or overwritten (200) in HubSpot are restored by the next run, and reported as restored', async () => {
    const rng = new Rng(77);
    const pairs: Array<[ObjectTypeName, string, string, string]> = [];
    for (const [apiType] of WRITABLE)
      for (const record of afterFirst.records[apiType])
        for (const [name, value] of Object.entries(record.properties))
          if (FIELDS.has(name) && value !== null && value !== '') pairs.push([apiType, record.id, name, value]);
    for (let i = pairs.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
    }
    const cleared = pairs.slice(0, 500);
    const overwritable = pairs.slice(500).filter(([, , name]) => ['text', 'number'].includes(FIELDS.get(name)!.type));
    const overwritten = overwritable.slice(0, 200);
    expect(overwritten).toHaveLength(200);
    for (const [apiType, id, name] of cleared) sb.control.edit(apiType, Number(id), { [name]: '' });
    for (const [apiType, id, name, value] of overwritten)
      sb.control.edit(apiType, Number(id), {
        [name]: FIELDS.get(name)!.type === 'number' ? String(Number(value) + 7) : 'typed by a rep',
      });
    expect(written(sb.control.export()).values).not.toEqual(written(afterFirst).values);

    const run = await runCycle(harness.runtime, { tenantId: tenant.id, mode: 'incremental', trigger: 'test' });
    const plan = run.writeBack!.plan!;
    expect(plan.stats).toMatchObject({ restored: 700, updated: 0, editedInCrm: 0 });
    expect(run.writeBack!.send).toMatchObject({ failed: 0, dead: 0, retrying: 0 });
    expect(written(sb.control.export()).values).toEqual(written(afterFirst).values);
    const summary = (await harness.runtime.store.runs.get(run.runId!))!.summary;
    expect(summary.planned).toMatchObject({ restored: 700, updated: 0 });
    // And quiet again after.
    const after = await runCycle(harness.runtime, { tenantId: tenant.id, mode: 'incremental', trigger: 'test' });
    expect(after.writeBack!.plan!.fields).toEqual([]);
  }, 300_000);

  it("a closed deal's task is archived (never completed) and its action cleared; a rep's completion is what is learnt", async () => {
    const { store } = harness.runtime;
    const avoid = new Set([
      firstPlan.fields.find((f) => f.objectType === 'deal')!.recordId,
      firstPlan.fields.find((f) => f.objectType === 'deal' && f.values.crm_agent_action_reason)!.recordId,
    ]);
    const dealTasks = firstPlan.tasks.filter((t) => t.dealId && !avoid.has(t.dealId));
    const deals = new Map((await store.records.list(tenant.id, 'deal')).map((d) => [d.id, d]));
    const closing = dealTasks.find((t) => deals.get(t.dealId!)?.pipeline === 'default')!;
    const completing = firstPlan.tasks.find((t) => t !== closing && t.dealId !== closing.dealId)!;
    const tasksNow = written(sb.control.export()).tasks;
    const completedId = tasksNow.get(completing.key)![0]!.id;
    sb.control.edit('tasks', Number(completedId), { hs_task_status: 'COMPLETED' });
    sb.control.edit('deals', Number(closing.dealId), { dealstage: 'closedwon' });
    const closingId = tasksNow.get(closing.key)![0]!.id;

    const run = await runCycle(harness.runtime, { tenantId: tenant.id, mode: 'incremental', trigger: 'test' });
    const plan = run.writeBack!.plan!;
    expect(plan.closes).toEqual(
      expect.arrayContaining([{ key: `close:${closing.key}`, crmTaskId: closingId, how: 'remove' }]),
    );
    expect(run.writeBack!.tasksCompleted).toBe(1);
    const portal = sb.control.export();
    expect(portal.records.tasks.some((t) => t.id === closingId)).toBe(false);
    expect(portal.archived.tasks).toContain(closingId);
    expect(sb.state.get('deals', Number(closing.dealId))!.properties.crm_agent_next_best_action ?? null).toBeNull();
    // crm-agent completed nothing: the one completed task is the rep's.
    expect(portal.records.tasks.filter((t) => t.properties.hs_task_status === 'COMPLETED').map((t) => t.id)).toEqual([
      completedId,
    ]);
    const completing_action = completing.key.slice(0, completing.key.lastIndexOf('-'));
    expect(await store.writeback.completedTaskKeys(tenant.id)).toEqual(new Set([completing_action]));
    // The next run, the CRM unchanged, does nothing.
    const again = await runCycle(harness.runtime, { tenantId: tenant.id, mode: 'incremental', trigger: 'test' });
    const quiet = again.writeBack!.plan!;
    expect([quiet.fields.length, quiet.tasks.length, quiet.closes.length, quiet.releases.length]).toEqual([0, 0, 0, 0]);
  }, 300_000);

  it('survives a worker killed at each point of sending, and at random ones: nothing lost, no task made twice, every value exact', async () => {
    const reference = written(afterFirst);
    // How many write requests an undisturbed send of this plan makes (to pick kill points among them).
    const clean = await freshPortal();
    await clean.writer().provision({ fields: OUTPUT_FIELDS, segmentOptions });
    await resetOutbox(snapshot);
    wire.reset();
    const undisturbed = await sendOutbox(harness.runtime, tenant.id, clean.writer());
    expect(undisturbed).toMatchObject({ failed: 0, dead: 0 });
    const total = wire.writes.length;
    const writes = [...wire.writes];
    const cleanly = written(clean.sb.control.export());
    expect(cleanly.values).toEqual(reference.values);
    expect([...cleanly.tasks.keys()].sort()).toEqual([...reference.tasks.keys()].sort());
    await clean.sb.close();

    // Every write request killed both ways (before HubSpot got it; after HubSpot applied it, its answer lost),
    // then random ones up to 24 trials.
    const rng = new Rng(606);
    const kills = Array.from({ length: total }, (_, k) => [
      { at: k + 1, after: false },
      { at: k + 1, after: true },
    ]).flat();
    while (kills.length < 24) kills.push({ at: rng.int(1, total), after: rng.chance(0.5) });
    expect(writes.filter((w) => w.endsWith('/tasks/batch/create')).length).toBeGreaterThan(0);
    for (const [trial, kill] of kills.entries()) {
      const portal = await freshPortal();
      try {
        await portal.writer().provision({ fields: OUTPUT_FIELDS, segmentOptions });
        await resetOutbox(snapshot);
        wire.reset();
        wire.crash = kill;
        const killed = await sendOutbox(harness.runtime, tenant.id, portal.writer());
        expect(killed.stoppedBy).toMatch(/fetch failed/);
        // A new worker picks up what the outbox holds (pending, or left in flight).
        wire.reset();
        const resumed = await sendOutbox(harness.runtime, tenant.id, portal.writer());
        expect(resumed.stoppedBy).toBeUndefined();
        const have = written(portal.sb.control.export());
        expect([trial, have.values]).toEqual([trial, reference.values]);
        expect([trial, [...have.tasks.keys()].sort()]).toEqual([trial, [...reference.tasks.keys()].sort()]);
        expect([...have.tasks.values()].every((made) => made.length === 1)).toBe(true);
        const counts = await harness.runtime.store.outbox.counts(tenant.id);
        expect(counts).toEqual({ sent: snapshot.length });
      } finally {
        await portal.sb.close();
      }
    }
  });

  it("stores a record HubSpot refuses with HubSpot's error, and writes the rest", async () => {
    const portal = await freshPortal();
    try {
      await portal.writer().provision({ fields: OUTPUT_FIELDS, segmentOptions });
      // One contact gets a segment HubSpot does not offer: HubSpot refuses its whole batch of 100.
      const victim = snapshot.find(
        (i) => i.kind === 'fields' && i.objectType === 'contact' && 'crm_agent_segment' in (i.payload.values as object),
      )!;
      const items = snapshot.map((i) =>
        i === victim
          ? {
              ...i,
              payload: {
                ...i.payload,
                values: { ...(i.payload.values as object), crm_agent_segment: 'no_such_segment' },
              },
            }
          : i,
      );
      await resetOutbox(items);
      wire.reset();
      const summary = await sendOutbox(harness.runtime, tenant.id, portal.writer());
      expect(summary).toMatchObject({ failed: 1, dead: 0, retrying: 0 });
      expect(summary.errors).toEqual([
        {
          kind: 'fields',
          recordId: victim.recordId,
          error: expect.stringMatching(/^INVALID_OPTION: no_such_segment was not one of the allowed options/),
        },
      ]);
      const failed = await harness.runtime.store.outbox.list(tenant.id, { status: ['failed'] });
      expect(failed.map((f) => [f.recordId, f.lastError])).toEqual([
        [victim.recordId, expect.stringMatching(/^INVALID_OPTION: no_such_segment was not one of/)],
      ]);
      // The rest were written (the refused batch again, without the victim: one more call).
      const have = written(portal.sb.control.export());
      const expected = new Map(written(afterFirst).values);
      expected.delete(`contact:${victim.recordId}`);
      expect(have.values).toEqual(expected);
      const updates = wire.writes.filter((w) => w.endsWith('/batch/update'));
      expect(updates).toHaveLength(firstPlan.calls.fields + 1);
    } finally {
      await portal.sb.close();
    }
  });

  it('keeps what is left in the outbox when the token is revoked mid-send, for the next authorised run', async () => {
    const portal = await freshPortal();
    const credentials = harness.runtime.credentials();
    const saveTokens = async () => {
      const issued = portal.sb.control.issueTokens();
      await credentials.save(tenant.id, {
        kind: 'oauth',
        accessToken: issued.accessToken,
        refreshToken: issued.refreshToken,
        expiresAt: new Date(clock.now() + issued.expiresIn * 1000).toISOString(),
        scopes: [],
      });
      return issued;
    };
    try {
      const issued = await saveTokens();
      await portal.writer().provision({ fields: OUTPUT_FIELDS, segmentOptions });
      await resetOutbox(snapshot);
      wire.reset();
      // The admin uninstalls the app after the third batch went through.
      wire.onWrite = (n) => {
        if (n === 3) portal.sb.control.revokeRefreshToken(issued.refreshToken);
      };
      await expect(sendOutbox(harness.runtime, tenant.id, portal.writer())).rejects.toMatchObject({
        code: 'NEEDS_REAUTH',
      });
      const counts = await harness.runtime.store.outbox.counts(tenant.id);
      // Three batches made it (one is the companies' 70); the rest waits, none lost, none failed.
      expect(counts.sent).toBeGreaterThanOrEqual(170);
      expect(counts.pending).toBeGreaterThan(0);
      expect(counts).toEqual({ sent: counts.sent, pending: snapshot.length - counts.sent! });
      // Reinstalled: the next run sends exactly what was left.
      await saveTokens();
      await harness.runtime.store.tenants.setStatus(tenant.id, 'active');
      wire.reset();
      const rest = await sendOutbox(harness.runtime, tenant.id, portal.writer());
      expect(rest).toMatchObject({ sent: counts.pending, failed: 0, dead: 0 });
      expect(written(portal.sb.control.export()).values).toEqual(written(afterFirst).values);
    } finally {
      await credentials.save(tenant.id, {
        kind: 'static',
        accessToken: sb.token,
        refreshToken: null,
        expiresAt: null,
        scopes: [],
      });
      await harness.runtime.store.tenants.setStatus(tenant.id, 'active');
      await portal.sb.close();
    }
  });

  it("reads records fresh by id for webhook recomputes: crm-agent's values, links, history, deletions and merges", async () => {
    // The trials above sent through this tenant's store to other portals, so its copy holds what they wrote: read
    // this portal again first.
    await harness.sync('full');
    const connector = harness.connector();
    const stored = (await harness.runtime.store.records.list(tenant.id, 'contact')).find(
      (c) => c.properties.crm_agent_segment,
    )!;
    const deal = firstPlan.fields.find((f) => f.objectType === 'deal')!.recordId;
    const [gone, merged, survivor] = afterFirst.records.contacts.slice(-3).map((c) => c.id) as [string, string, string];
    sb.control.delete('contacts', Number(gone));
    sb.control.merge('contacts', Number(survivor), Number(merged));
    const read = await connector.readRecords!([
      { type: 'contact', id: stored.id },
      { type: 'deal', id: deal },
      { type: 'contact', id: gone },
      { type: 'contact', id: merged },
      { type: 'contact', id: '99999999' },
    ]);
    const contact = read.contacts!.find((c) => c.id === stored.id)!;
    // The same record the sync made (same mapping), crm-agent's properties included.
    expect({ ...contact, updatedAt: stored.updatedAt }).toEqual(stored);
    // HubSpot answers a requested property that holds no value with null: absent in the portal reads as null.
    const held = sb.state.get('contacts', Number(stored.id))!.properties;
    for (const field of OUTPUT_FIELDS.filter((f) => f.objects.includes('contact')))
      expect(contact.properties[field.name] ?? null).toBe(held[field.name] ?? null);
    expect(read.deals!.map((d) => d.id)).toEqual([deal]);
    expect(read.stageHistory!.filter((h) => h.dealId === deal).length).toBeGreaterThan(0);
    const links = read.associations!.filter((a) => a.fromType === 'deal' && a.toType === 'contact');
    expect(links.flatMap((a) => a.links.map((l) => l.toId)).sort()).toEqual(
      (afterFirst.associations['deals:contacts'] ?? [])
        .filter(([from]) => from === deal)
        .map(([, to]) => to)
        .sort(),
    );
    expect(read.contacts!.map((c) => c.id).sort()).toEqual([stored.id, survivor].sort());
    const archivedAt = sb.state.get('contacts', Number(gone), { archived: true, followMerges: false })!.archivedAt!;
    expect(read.removals).toEqual(
      expect.arrayContaining([
        { type: 'contact', id: merged, at: expect.any(String), mergedInto: survivor },
        { type: 'contact', id: gone, at: new Date(archivedAt).toISOString() },
        { type: 'contact', id: '99999999', at: new Date(Math.floor(clock.now())).toISOString() },
      ]),
    );
    expect(read.removals).toHaveLength(3);
  });

  it('a webhook about one deal re-reads it from HubSpot and writes back just that deal', async () => {
    const { store } = harness.runtime;
    const update = firstPlan.fields.find((f) => f.objectType === 'deal' && f.values.crm_agent_action_reason)!;
    const deal = update.recordId;
    // A change a rep can see in crm-agent's fields (an amount alone may move nothing materially): the deal is won,
    // so its action ends and its fields are cleared.
    sb.control.edit('deals', Number(deal), { amount: '987654', dealstage: 'closedwon' });
    const event = {
      crm: 'hubspot',
      eventKey: `hubspot:${deal}:dealstage`,
      accountId: String(sb.portalId),
      objectType: 'deal',
      objectId: deal,
      change: 'updated',
      occurredAt: new Date(clock.now()).toISOString(),
      propertyName: 'dealstage',
      propertyValue: 'closedwon',
    };
    await store.inbox.add([
      { provider: 'hubspot', tenantId: tenant.id, eventKey: event.eventKey, payload: JSON.stringify(event) },
    ]);
    wire.reset();
    const result = await processInbox(harness.runtime, tenant.id);
    expect(result).toMatchObject({ status: 'recomputed', records: 1 });
    expect((await store.records.get(tenant.id, 'deal', deal))!).toMatchObject({ amount: 987654 });
    // One batch update carrying that deal alone, and at most the deal's own contacts (a won deal moves the features of
    // the contacts it is linked to, so a contact's churn risk or segment may move with it); nothing else in the
    // portal. Its values in HubSpot are what crm-agent recorded writing.
    const updates = wire.writes.map((w, k) => [w, wire.ids[k]!] as const).filter(([w]) => w.endsWith('/batch/update'));
    expect(updates.filter(([w]) => w.includes('/deals/'))).toEqual([
      ['POST /crm/v3/objects/deals/batch/update', [deal]],
    ]);
    const linked = new Set(
      (await store.records.associationsOf(tenant.id, 'deal', [deal])).flatMap((a) =>
        a.toType === 'contact' ? [a.toId] : a.fromType === 'contact' ? [a.fromId] : [],
      ),
    );
    for (const [w, ids] of updates.filter(([w]) => !w.includes('/deals/'))) {
      expect(w).toBe('POST /crm/v3/objects/contacts/batch/update');
      for (const id of ids) expect(linked).toContain(id);
    }
    const ledger = await store.writeback.ledger(tenant.id);
    const inCrm = sb.state.get('deals', Number(deal))!.properties;
    // The ledger's values of CRM fields (a `<field>#features` entry is crm-agent's own note of what a value was
    // computed from, never sent).
    for (const entry of ledger.filter((e) => e.objectType === 'deal' && e.recordId === deal && FIELDS.has(e.field)))
      expect([entry.field, canonical(FIELDS.get(entry.field)!, inCrm[entry.field] ?? null)]).toEqual([
        entry.field,
        entry.value,
      ]);
    // Won: no action stands for it any more, and its action fields are cleared.
    expect([inCrm.crm_agent_next_best_action ?? '', inCrm.crm_agent_action_reason ?? '']).toEqual(['', '']);
  });

  it('completes blocked workflow executions in one call, and one by one when HubSpot refuses the batch', async () => {
    const callbacks = sb.context.callbacks;
    for (const id of ['ap-1', 'ap-2'])
      callbacks.set(id, { callbackId: id, definitionId: 'd', objectId: 101, status: 'PENDING' });
    const writer = harness.connector().writer!();
    const outputFields = { next_best_action: 'call', hs_execution_state: 'SUCCESS' };
    wire.reset();
    expect(await writer.completeCallbacks!([{ key: 'a', callbackId: 'ap-1', outputFields }])).toEqual([
      { key: 'a', ok: true },
    ]);
    expect(wire.writes).toEqual(['POST /automation/v4/actions/callbacks/complete']);
    expect(callbacks.get('ap-1')).toMatchObject({ status: 'COMPLETED', outputFields });
    // An execution HubSpot no longer knows (expired) makes it refuse the batch: the others still complete.
    wire.reset();
    const results = await writer.completeCallbacks!([
      { key: 'gone', callbackId: 'ap-expired', outputFields },
      { key: 'b', callbackId: 'ap-2', outputFields },
    ]);
    expect(results).toEqual([
      { key: 'gone', ok: true },
      { key: 'b', ok: true },
    ]);
    expect(callbacks.get('ap-2')).toMatchObject({ status: 'COMPLETED', outputFields });
    expect(wire.writes).toEqual([
      'POST /automation/v4/actions/callbacks/complete',
      'POST /automation/v4/actions/callbacks/ap-expired/complete',
      'POST /automation/v4/actions/callbacks/ap-2/complete',
    ]);
  });
});
