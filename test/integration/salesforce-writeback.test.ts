import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RequestEvent } from '../../sandbox/salesforce/create-salesforce-sandbox.js';
import { Rng } from '../../sandbox/world/rng.js';
import { OUTPUT_FIELDS } from '../../src/domain/output-fields.js';
import type { Tenant } from '../../src/domain/tenant.js';
import { runCycle } from '../../src/jobs/run-cycle.js';
import type { Runtime } from '../../src/main.js';
import type { TaskSpec } from '../../src/ports/crm-writer.js';
import { runSync } from '../../src/sync/run-sync.js';
import { canonical, type WritePlan } from '../../src/writeback/plan-writes.js';
import { sendOutbox } from '../../src/writeback/send-outbox.js';
import { previewPlan, writeBack } from '../../src/writeback/write-back.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { connectWithOAuth, oauthTokens, salesforceRuntime, startSandbox } from '../helpers/salesforce.js';
import {
  clearCrmAgentData,
  crmAgentState,
  isAnyWrite,
  isDataWrite,
  killSwitch,
  shown,
  snapshot,
} from '../helpers/salesforce-writeback.js';
import { tempDir } from '../helpers/temp-dir.js';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
const FIELDS = new Map(OUTPUT_FIELDS.map((f) => [f.name, f]));
const BOOKKEEPING = new Set(['LastModifiedDate', 'LastModifiedById', 'SystemModstamp']);

/**
 * Write-back into the sandbox org through the real connector: provisioning (fields, field-level security, the
 * Platform Event), a whole cycle whose effect on the org is exactly its plan, a quiet re-run, workers killed in the
 * middle of sending, records the org refuses, a token revoked mid-send, and the Bulk API path.
 */
describe('Salesforce write-back', () => {
  const dir = tempDir();
  const clock = new FixedClock(Date.parse('2026-11-02T08:00:00.000Z'));
  const requests: RequestEvent[] = [];
  let sandbox: Sandbox;
  let runtime: Runtime;
  let tenant: Tenant;
  /** The cycle whose plan the later tests send again, and what it left in the org. */
  let runId: string;
  let plan: WritePlan;
  let reference: ReturnType<typeof crmAgentState>;

  const since = (mark: number, test: (e: RequestEvent) => boolean) => requests.slice(mark).filter(test);
  const fresh = async () => (await runtime.store.tenants.get(tenant.id))!;
  const resetWriteBack = async () => {
    await runtime.store.db.deleteFrom('writebackLedger').where('tenantId', '=', tenant.id).execute();
    await runtime.store.db.deleteFrom('outbox').where('tenantId', '=', tenant.id).execute();
  };
  /**
   * The local copy without crm-agent's values, as a sync of an org cleared behind crm-agent's back would leave it (the
   * sender keeps them in step with what it writes; an org cleared without moving SystemModstamp no sync would see).
   */
  const forgetLocalValues = async () => {
    for (const type of ['contact', 'company', 'deal'] as const) {
      const records = await runtime.store.records.list(tenant.id, type);
      await runtime.store.records.setProperties(
        tenant.id,
        type,
        records.map((r) => ({
          id: r.id,
          properties: Object.fromEntries(
            Object.keys(r.properties)
              .filter((k) => k.startsWith('CrmAgent_'))
              .map((k) => [k, null]),
          ),
        })),
      );
    }
  };
  /** The org as if crm-agent had never written, the local copy synced with it, ledger and outbox empty. */
  const startOver = async () => {
    clearCrmAgentData(sandbox, { touch: true });
    await resetWriteBack();
    const current = await fresh();
    await runSync(runtime, {
      tenantId: current.id,
      connector: runtime.connectorFor(current),
      mode: 'incremental',
      trigger: 'test',
    });
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ clock, seed: 17, accounts: 40, contacts: 400, opportunities: 150 });
    sandbox.events.on('request', (e: RequestEvent) => requests.push(e));
    runtime = await salesforceRuntime(dir.path, sandbox, { clock });
    tenant = await connectWithOAuth(runtime, sandbox);
    // An admin made a segment field of the same name before, with another label and a value of its own.
    const created = await fetch(`${sandbox.baseUrl}/services/data/v62.0/tooling/sobjects/CustomField`, {
      method: 'POST',
      headers: { authorization: 'Bearer sandbox-salesforce-token', 'content-type': 'application/json' },
      body: JSON.stringify({
        FullName: 'Contact.CrmAgent_Segment__c',
        Metadata: {
          label: 'Customer segment (old)',
          type: 'Picklist',
          valueSet: { restricted: false, valueSetDefinition: { value: [{ fullName: 'legacy', label: 'Legacy' }] } },
        },
      }),
    });
    expect(created.status).toBe(201);
    // And a model-version field of the same name, but plain text: crm-agent writes into it and never retypes it.
    const text = await fetch(`${sandbox.baseUrl}/services/data/v62.0/tooling/sobjects/CustomField`, {
      method: 'POST',
      headers: { authorization: 'Bearer sandbox-salesforce-token', 'content-type': 'application/json' },
      body: JSON.stringify({
        FullName: 'Account.CrmAgent_Model_Version__c',
        Metadata: { label: 'Model', type: 'Text', length: 80 },
      }),
    });
    expect(text.status).toBe(201);
  });
  afterAll(async () => {
    await runtime.close();
    await sandbox.close();
    dir.remove();
  });

  it('provisions fields, field-level security and the Platform Event; the second time changes nothing', async () => {
    const writer = runtime.connectorFor(tenant).writer!();
    const segmentOptions = [{ value: 'seg_a', label: 'Segment A' }];
    const first = await writer.provision({ fields: OUTPUT_FIELDS, segmentOptions });
    expect(first.updated).toEqual(['Contact.CrmAgent_Segment__c']);
    expect(first.unchanged).toContain('Account.CrmAgent_Model_Version__c');
    expect(sandbox.state.object('Account')!.fields.get('crmagent_model_version__c')).toMatchObject({
      type: 'string',
      label: 'Model',
    });
    expect(first.created).toEqual(
      expect.arrayContaining([
        'Lead.CrmAgent_Segment__c',
        'Opportunity.CrmAgent_Win_Probability__c',
        'Account.CrmAgent_Churn_Risk__c',
        'Activity.CrmAgent_Task_Key__c',
        'PermissionSet.CrmAgent',
        'FieldPermissions.Contact.CrmAgent_Segment__c',
        'FieldPermissions.Task.CrmAgent_Task_Key__c',
        'PermissionSetAssignment.CrmAgent',
        'CrmAgent_Action__e',
        'CrmAgent_Action__e.Action_Key__c',
      ]),
    );
    const fieldCount = OUTPUT_FIELDS.reduce(
      (n, f) => n + f.objects.length + (f.objects.includes('contact') ? 1 : 0),
      0,
    );
    expect(first.created.filter((c) => /^(Contact|Lead|Account|Opportunity|Activity)\./.test(c))).toHaveLength(
      fieldCount - 1, // every field on each of its sObjects (a contact field also on Lead) and the task key, less the two that existed
    );

    // The existing field got crm-agent's label and the segment values, and kept the value it had.
    const segment = sandbox.state.object('Contact')!.fields.get('crmagent_segment__c')!;
    expect(segment.label).toBe('Segment');
    expect(segment.picklist).toMatchObject({
      values: ['legacy', 'seg_a'],
      labels: { legacy: 'Legacy', seg_a: 'Segment A' },
    });
    const key = sandbox.state.object('Task')!.fields.get('crmagent_task_key__c')!;
    expect(key).toMatchObject({ externalId: true, unique: true });

    // Field-level security: granted to the API user through the permission set, and to no one else.
    const apiUser = sandbox.ids.apiUserId;
    const someoneElse = sandbox.ids.users.find((u) => u !== apiUser)!;
    for (const [object, field] of [
      ['Opportunity', 'crmagent_win_probability__c'],
      ['Lead', 'crmagent_next_best_action__c'],
      ['Task', 'crmagent_task_key__c'],
    ] as const) {
      const def = sandbox.state.object(object)!;
      expect([object, sandbox.state.access(apiUser, def, def.fields.get(field)!)]).toEqual([
        object,
        { read: true, edit: true },
      ]);
      expect(sandbox.state.access(someoneElse, def, def.fields.get(field)!)).toEqual({ read: false, edit: false });
    }
    const permissions = [...sandbox.state.table('FieldPermissions').values()];
    expect(permissions).toHaveLength(fieldCount + 1);
    expect(permissions.every((p) => p.PermissionsRead === true && p.PermissionsEdit === true)).toBe(true);

    const mark = requests.length;
    const second = await writer.provision({ fields: OUTPUT_FIELDS, segmentOptions });
    expect(second.created).toEqual([]);
    expect(second.updated).toEqual([]);
    expect(second.unchanged.length).toBe(first.created.length + first.updated.length + first.unchanged.length);
    expect(since(mark, isAnyWrite)).toEqual([]);
  });

  it('a dry run plans and writes nothing; a cycle then writes exactly its plan, and nothing else changes', async () => {
    const mark = requests.length;
    const dry = await runCycle(runtime, { tenantId: tenant.id, mode: 'full', trigger: 'test', dryRun: true });
    expect(dry.writeBack!.status).toBe('dry-run');
    expect((await runtime.store.runs.get(dry.runId!))!.kind).toBe('dry-run');
    expect(dry.writeBack!.plan!.fields.length).toBeGreaterThan(300);
    expect(since(mark, isAnyWrite)).toEqual([]);

    const before = snapshot(sandbox);
    const written = requests.length;
    const result = await runCycle(runtime, { tenantId: tenant.id, mode: 'full', trigger: 'test' });
    runId = result.runId!;
    plan = result.writeBack!.plan!;
    // The dry run showed exactly what the real run did.
    const counts = (p: WritePlan) => ({
      fields: p.fields.length,
      values: p.fields.reduce((a, f) => a + f.changes.length, 0),
      tasks: p.tasks.map((t) => t.key).sort(),
      closes: p.closes.length,
      triggers: p.triggers.length,
      calls: { ...p.calls, reads: 0, total: 0 },
      stats: p.stats,
    });
    expect(counts(plan)).toEqual(counts(dry.writeBack!.plan!));
    expect(plan.tasks.length).toBeGreaterThan(0);
    expect(plan.triggers.length).toBeGreaterThan(0);
    expect(result.writeBack!.send).toMatchObject({
      sent: plan.fields.length + plan.tasks.length + plan.triggers.length,
      failed: 0,
      retrying: 0,
      dead: 0,
    });
    // Every write call is one the plan counted: full batches of 200.
    expect(since(written, isDataWrite)).toHaveLength(plan.calls.total);

    const after = snapshot(sandbox);
    const planned = new Map(plan.fields.map((f) => [f.recordId, f]));
    for (const [id, old] of before) {
      const now = after.get(id)!;
      const update = planned.get(id);
      const allowed = new Set(Object.keys(update?.values ?? {}).map((name) => FIELDS.get(name)!.apiName));
      const changed = Object.keys({ ...old, ...now }).filter((k) => old[k] !== now[k] && !BOOKKEEPING.has(k));
      expect([id, changed.filter((k) => !allowed.has(k))]).toEqual([id, []]);
      for (const [name, value] of Object.entries(update?.values ?? {})) {
        const field = FIELDS.get(name)!;
        expect([id, name, canonical(field, shown(now[field.apiName]) as string | number | null)]).toEqual([
          id,
          name,
          canonical(field, value),
        ]);
      }
    }

    reference = crmAgentState(sandbox);
    expect(reference.tasks).toHaveLength(plan.tasks.length);
    const byKey = new Map(reference.tasks.map((t) => [t.CrmAgent_Task_Key__c, t]));
    for (const spec of plan.tasks) expect(byKey.get(spec.key)).toMatchObject(expectedTask(spec));
    expect(reference.events.map((e) => e.fields.Action_Key__c).sort()).toEqual(
      plan.triggers.map((t) => t.actionKey).sort(),
    );
    for (const trigger of plan.triggers) {
      expect(reference.events.find((e) => e.fields.Action_Key__c === trigger.actionKey)!.fields).toMatchObject({
        Record_Id__c: trigger.recordId,
        Action__c: trigger.action,
        Priority__c: trigger.priority,
      });
    }
  });

  it('survives a worker killed at every write call and at random ones (20 trials at least): nothing lost, nothing written twice', async () => {
    const rng = new Rng(2026);
    const crashed: Runtime[] = [];
    try {
      // Every write call, killed before and after Salesforce applied it; then random ones, 20 trials at least.
      const points = [1, 2].flatMap((m) =>
        Array.from({ length: plan.calls.total }, (_, i) => ({ at: i + 1, mode: m === 1 ? 'before' : 'after' })),
      );
      while (points.length < 20)
        points.push({ at: rng.int(1, plan.calls.total), mode: rng.chance(0.5) ? 'after' : 'before' });
      for (const [trial, { at, mode }] of points.entries()) {
        clearCrmAgentData(sandbox, { touch: false });
        await resetWriteBack();
        await forgetLocalValues();
        const kill = killSwitch(at, mode as 'before' | 'after');
        const worker = await salesforceRuntime(dir.path, sandbox, { clock, fetch: kill.fetch });
        crashed.push(worker);
        const current = await fresh();
        const sending = writeBack(worker, current, runId, worker.connectorFor(current));
        const outcome = await Promise.race([sending.then(() => 'finished'), kill.killed.then(() => 'killed')]);
        expect([trial, outcome]).toEqual([trial, 'killed']);
        // Its process is gone: its connection and its lease on the send lock with it (another process would see
        // its pid gone; here it shares ours, so it closes).
        await worker.close();

        // A fresh worker picks up what the dead one left in flight, and what it never got to.
        const rest = await sendOutbox(runtime, tenant.id, runtime.connectorFor(current).writer!());
        expect(rest.stoppedBy).toBeUndefined();
        expect(await runtime.store.outbox.counts(tenant.id)).toEqual({
          sent: plan.fields.length + plan.tasks.length + plan.triggers.length,
        });
        const state = crmAgentState(sandbox);
        expect([trial, [...state.fields].sort()]).toEqual([trial, [...reference.fields].sort()]);
        const keys = state.tasks.map((t) => t.CrmAgent_Task_Key__c);
        expect(new Set(keys).size).toBe(keys.length);
        expect(keys.sort()).toEqual(reference.tasks.map((t) => t.CrmAgent_Task_Key__c).sort());
        // Events are published at least once: only a publish whose answer was lost goes out twice.
        const lostPublish = mode === 'after' && kill.state.lastMethod === 'POST';
        const published = state.events.map((e) => String(e.fields.Action_Key__c));
        expect(new Set(published)).toEqual(new Set(reference.events.map((e) => String(e.fields.Action_Key__c))));
        expect([trial, mode, published.length]).toEqual([trial, mode, reference.events.length * (lostPublish ? 2 : 1)]);
      }
    } finally {
      for (const worker of crashed) await worker.close();
    }
  });

  it('values cleared (500) or overwritten (200) in the org are restored by the next run, and reported as restored', async () => {
    const rng = new Rng(78);
    const pairs = [...reference.fields.entries()].map(([key, value]) => {
      const [id, apiName] = key.split(':') as [string, string];
      return { id, apiName, value };
    });
    for (let i = pairs.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
    }
    const byApiName = new Map(OUTPUT_FIELDS.map((f) => [f.apiName, f]));
    const objectOf = (id: string) =>
      ['Contact', 'Lead', 'Account', 'Opportunity'].find((o) => sandbox.state.table(o).has(id))!;
    const cleared = pairs.slice(0, 500);
    const overwritten = pairs
      .slice(500)
      .filter((p) => ['text', 'number'].includes(byApiName.get(p.apiName)?.type ?? ''))
      .slice(0, 200);
    expect(overwritten).toHaveLength(200);
    // As an admin, an import or another integration would (reps lack field-level access to crm-agent's fields).
    const edit = (id: string, apiName: string, value: string | number | null) => {
      const now = sandbox.state.now();
      sandbox.state.patch(objectOf(id), id, { [apiName]: value, LastModifiedDate: now, SystemModstamp: now }, null);
    };
    for (const p of cleared) edit(p.id, p.apiName, null);
    for (const p of overwritten)
      edit(p.id, p.apiName, byApiName.get(p.apiName)!.type === 'number' ? Number(p.value) + 7 : 'typed by a rep');
    expect(crmAgentState(sandbox).fields).not.toEqual(reference.fields);

    const run = await runCycle(runtime, { tenantId: tenant.id, mode: 'incremental', trigger: 'test' });
    expect(run.writeBack!.plan!.stats).toMatchObject({ restored: 700, updated: 0, editedInCrm: 0 });
    expect(run.writeBack!.send).toMatchObject({ failed: 0, dead: 0, retrying: 0 });
    expect(crmAgentState(sandbox).fields).toEqual(reference.fields);
  }, 300_000);

  it('an opportunity that closed: its task is deleted, never completed, and its action cleared; a task the rep started is left to them', async () => {
    const live = crmAgentState(sandbox).tasks.filter((t) => t.IsDeleted !== true && t.WhatId);
    const closing = live.find((t) => sandbox.state.get('Opportunity', t.WhatId as string)?.IsClosed === false)!;
    const opportunity = closing.WhatId as string;
    const stage = sandbox.state.get('Opportunity', opportunity)!.StageName;
    sandbox.control.edit({ object: 'Opportunity', ids: [opportunity], fields: { StageName: 'Closed Won' } });

    const run = await runCycle(runtime, { tenantId: tenant.id, mode: 'incremental', trigger: 'test' });
    const ended = run.writeBack!.plan!.closes;
    expect(ended).toEqual(expect.arrayContaining([expect.objectContaining({ crmTaskId: closing.Id, how: 'remove' })]));
    expect(ended.every((c) => c.how === 'remove')).toBe(true);
    expect(sandbox.state.get('Task', closing.Id as string)).toMatchObject({ IsDeleted: true });
    expect(sandbox.state.get('Opportunity', opportunity)!.CrmAgent_Next_Best_Action__c ?? null).toBeNull();
    // crm-agent completed no task.
    expect(crmAgentState(sandbox).tasks.filter((t) => t.Status === 'Completed')).toEqual([]);
    // The next run, the org unchanged, does nothing.
    const mark = requests.length;
    const again = await runCycle(runtime, { tenantId: tenant.id, mode: 'incremental', trigger: 'test' });
    const quiet = again.writeBack!.plan!;
    expect([quiet.fields.length, quiet.tasks.length, quiet.closes.length, quiet.releases.length]).toEqual([0, 0, 0, 0]);
    expect(since(mark, isAnyWrite)).toEqual([]);
    // Reopened, for the tests after this one (they send the first run's plan again).
    sandbox.control.edit({ object: 'Opportunity', ids: [opportunity], fields: { StageName: stage } });
    await runCycle(runtime, { tenantId: tenant.id, mode: 'incremental', trigger: 'test' });
    // The store keeps results as each record's current state, and the runs since moved some (the reopened deal's
    // action comes from its own history now; probabilities moved by less than the write threshold stayed unwritten):
    // the later tests start over and write the current results into an org that holds none, so that is what they
    // expect — taken here the same way.
    await startOver();
    const current = await fresh();
    await writeBack(runtime, current, runId, runtime.connectorFor(current));
    reference = crmAgentState(sandbox);
  }, 300_000);

  it('a run with no CRM changes makes zero write calls, because it compares with the values now in the org', async () => {
    const mark = requests.length;
    const result = await runCycle(runtime, { tenantId: tenant.id, mode: 'incremental', trigger: 'test' });
    const quiet = result.writeBack!.plan!;
    expect([quiet.fields.length, quiet.tasks.length, quiet.closes.length, quiet.releases.length]).toEqual([0, 0, 0, 0]);
    // Only the reads of its tasks' statuses.
    expect(quiet.calls).toMatchObject({ fields: 0, tasks: 0, closes: 0, triggers: 0, total: quiet.calls.reads });
    expect(since(mark, isAnyWrite)).toEqual([]);

    // The sync carries crm-agent's fields in each record's properties, under their API names…
    const contacts = await runtime.store.records.list(tenant.id, 'contact');
    const written = plan.fields.find((f) => f.objectType === 'contact' && f.values.crm_agent_segment)!;
    expect(contacts.find((c) => c.id === written.recordId)!.properties.CrmAgent_Segment__c).toBe(
      written.values.crm_agent_segment,
    );
    // …so even with no ledger at all (a reinstall), nothing the org already holds is planned again.
    await resetWriteBack();
    const current = await fresh();
    const again = await previewPlan(runtime, current, result.runId!, runtime.connectorFor(current).writer!());
    expect(again.fields).toEqual([]);
  });

  it("stores a record the org refuses with Salesforce's error, writes the rest, and retries a locked row", async () => {
    await startOver();
    const victim = plan.fields.find((f) => f.recordId.startsWith('003') && f.values.crm_agent_segment)!.recordId;
    const locked = plan.fields.find((f) => f.recordId.startsWith('006'))!.recordId;
    sandbox.control.addValidationRule({
      object: 'Contact',
      name: 'No_Segment_For_Partners',
      message: 'Partner contacts are not segmented',
      field: 'CrmAgent_Segment__c',
      rejects: (record) => record.Id === victim && record.CrmAgent_Segment__c !== null,
    });
    sandbox.control.lockRows([locked], 1);
    try {
      const current = await fresh();
      const result = await writeBack(runtime, current, runId, runtime.connectorFor(current));
      expect(result.send).toMatchObject({ failed: 1, retrying: 1, dead: 0 });
      const byRecord = (a: { recordId: string }, b: { recordId: string }) => a.recordId.localeCompare(b.recordId);
      expect([...result.send!.errors].sort(byRecord)).toEqual(
        [
          {
            kind: 'fields',
            recordId: victim,
            error: 'FIELD_CUSTOM_VALIDATION_EXCEPTION: Partner contacts are not segmented (CrmAgent_Segment__c)',
          },
          { kind: 'fields', recordId: locked, error: expect.stringMatching(/^UNABLE_TO_LOCK_ROW: /) },
        ].sort(byRecord),
      );
      const failed = await runtime.store.outbox.list(tenant.id, { status: ['failed'] });
      expect(failed.map((f) => [f.recordId, f.lastError])).toEqual([
        [victim, 'FIELD_CUSTOM_VALIDATION_EXCEPTION: Partner contacts are not segmented (CrmAgent_Segment__c)'],
      ]);
      // The locked row was free again when the sender came back to what is pending: written on a second attempt.
      const lockedItem = (await runtime.store.outbox.list(tenant.id, { status: ['sent'], limit: 10_000 })).find(
        (i) => i.kind === 'fields' && i.recordId === locked,
      )!;
      expect(lockedItem.attempts).toBe(2);
      const expected = [...reference.fields].filter(([k]) => !k.startsWith(`${victim}:`));
      expect([...crmAgentState(sandbox).fields].sort()).toEqual(expected.sort());
    } finally {
      sandbox.control.removeValidationRule('Contact', 'No_Segment_For_Partners');
    }
  });

  it('keeps what is left in the outbox when the token is revoked mid-send, and sends it once re-authorised', async () => {
    await startOver();
    const tokens = (await runtime.credentials().load(tenant.id))!;
    let writes = 0;
    const revoking: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const url = input instanceof Request ? input.url : String(input);
      if (isDataWrite({ method: init?.method ?? 'GET', path: new URL(url).pathname }) && ++writes === 2) {
        sandbox.context.oauth.revoke(tokens.refreshToken);
      }
      return response;
    };
    const worker = await salesforceRuntime(dir.path, sandbox, { clock, fetch: revoking });
    try {
      const current = await fresh();
      await expect(writeBack(worker, current, runId, worker.connectorFor(current))).rejects.toMatchObject({
        code: 'NEEDS_REAUTH',
      });
    } finally {
      await worker.close();
    }
    expect((await fresh()).status).toBe('needs_reauth');
    const waiting = (await runtime.store.outbox.counts(tenant.id)).pending ?? 0;
    expect(waiting).toBeGreaterThan(0);

    // The admin connects again: the next authorised send delivers what was left, and only that.
    const again = await oauthTokens(sandbox.baseUrl);
    await runtime.credentials().save(tenant.id, {
      kind: 'oauth',
      accessToken: again.access_token,
      refreshToken: again.refresh_token,
      expiresAt: null,
      scopes: ['api', 'refresh_token', 'id'],
    });
    await runtime.store.tenants.setStatus(tenant.id, 'active');
    const current = await fresh();
    const rest = await sendOutbox(runtime, tenant.id, runtime.connectorFor(current).writer!());
    expect(rest).toMatchObject({ sent: waiting, failed: 0 });
    const state = crmAgentState(sandbox);
    expect([...state.fields].sort()).toEqual([...reference.fields].sort());
    expect(state.tasks).toHaveLength(reference.tasks.length);
    expect(state.events).toHaveLength(reference.events.length);
  });

  it('sends field updates above the threshold through Bulk API 2.0 jobs, with per-record failures', async () => {
    await runtime.store.tenants.updateSettings(tenant.id, { salesforce: { bulkWriteThreshold: 200 } });
    await startOver();
    // A field a row of the job does not set is left as the org has it.
    const contacts = plan.fields.filter((f) => f.recordId.startsWith('003'));
    const victim = contacts[0]!.recordId;
    const keep = contacts.find((f) => !('crm_agent_recommended_products' in f.values))!.recordId;
    sandbox.state.patch('Contact', keep, { CrmAgent_Recommended_Products__c: 'kept by the org' }, null);
    sandbox.control.addValidationRule({
      object: 'Contact',
      name: 'Frozen',
      message: 'This contact is frozen',
      rejects: (record) => record.Id === victim,
    });
    try {
      const current = await fresh();
      const mark = requests.length;
      const result = await writeBack(runtime, current, runId, runtime.connectorFor(current));
      // Contacts are above the threshold: one job per sObject with more rows than it, the few rows of the other
      // (leads) in collections; accounts and opportunities are below it: collections of 200, mixed.
      const perSobject = new Map<string, number>();
      for (const f of plan.fields)
        perSobject.set(f.recordId.slice(0, 3), (perSobject.get(f.recordId.slice(0, 3)) ?? 0) + 1);
      const bulky = [...perSobject].filter(([prefix, n]) => (prefix === '003' || prefix === '00Q') && n > 200);
      const contactRows = (perSobject.get('003') ?? 0) + (perSobject.get('00Q') ?? 0);
      const otherRows = plan.fields.length - contactRows;
      const smallContactRows = contactRows - bulky.reduce((a, [, n]) => a + n, 0);
      expect(bulky.length).toBeGreaterThan(0);
      const jobs = since(mark, (e) => e.method === 'POST' && /\/jobs\/ingest\/?$/.test(e.path));
      expect(jobs.length).toBe(bulky.length);
      expect(since(mark, (e) => e.method === 'PATCH' && /\/composite\/sobjects$/.test(e.path)).length).toBe(
        Math.ceil(smallContactRows / 200) + Math.ceil(otherRows / 200),
      );
      expect(result.send).toMatchObject({ failed: 1, dead: 0, retrying: 0 });
      expect(result.send!.errors).toEqual([
        {
          kind: 'fields',
          recordId: victim,
          error: expect.stringMatching(/^FIELD_CUSTOM_VALIDATION_EXCEPTION: This contact is frozen/),
        },
      ]);
      const expected = new Map([...reference.fields].filter(([k]) => !k.startsWith(`${victim}:`)));
      expected.set(`${keep}:CrmAgent_Recommended_Products__c`, 'kept by the org');

      expect([...crmAgentState(sandbox).fields].sort()).toEqual([...expected].sort());
    } finally {
      sandbox.control.removeValidationRule('Contact', 'Frozen');
      await runtime.store.tenants.updateSettings(tenant.id, {});
    }

    // A value crm-agent wants empty is cleared in a job (#N/A), while the rows' other fields stay as they are.
    const ids = [...sandbox.state.table('Contact').values()].filter((r) => !r.IsDeleted).map((r) => r.Id as string);
    const [first, ...others] = ids.slice(0, 201);
    sandbox.state.patch('Contact', first!, { CrmAgent_Action_Reason__c: 'stale' }, null);
    const before = sandbox.state.get('Contact', first!)!.CrmAgent_Model_Version__c;
    const writer = runtime.connectorFor(await fresh()).writer!();
    const results = await writer.writeFields([
      { key: 'k0', objectType: 'contact', recordId: first!, values: { crm_agent_action_reason: null } },
      ...others.map((id, i) => ({
        key: `k${i + 1}`,
        objectType: 'contact' as const,
        recordId: id,
        values: { crm_agent_model_version: 'bulk-check' },
      })),
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(sandbox.state.get('Contact', first!)).toMatchObject({
      CrmAgent_Action_Reason__c: null,
      CrmAgent_Model_Version__c: before,
    });
    expect(others.every((id) => sandbox.state.get('Contact', id)!.CrmAgent_Model_Version__c === 'bulk-check')).toBe(
      true,
    );
  });

  it('reads back which of its tasks reps completed or started, and deletes or defers ended ones, never completes them', async () => {
    const tasks = crmAgentState(sandbox)
      .tasks.filter((t) => t.IsDeleted !== true)
      .map((t) => t.Id as string);
    expect(tasks.length).toBeGreaterThan(3);
    sandbox.control.edit({ object: 'Task', ids: [tasks[0]!], fields: { Status: 'Completed' } });
    sandbox.control.edit({ object: 'Task', ids: [tasks[3]!], fields: { Status: 'In Progress' } });
    const writer = runtime.connectorFor(await fresh()).writer!();
    const statuses = await writer.readTaskStatuses(tasks);
    expect(statuses.get(tasks[0]!)).toBe('completed');
    expect(statuses.get(tasks[3]!)).toBe('started');
    expect(tasks.slice(1, 3).every((id) => statuses.get(id) === 'open')).toBe(true);

    const closed = await writer.closeTasks([
      { key: 'close-1', crmTaskId: tasks[1]!, how: 'remove' },
      { key: 'close-2', crmTaskId: tasks[2]!, how: 'defer' },
    ]);
    expect(closed).toEqual([
      { key: 'close-1', ok: true, crmId: tasks[1] },
      { key: 'close-2', ok: true, crmId: tasks[2] },
    ]);
    // Deleted: absent; deferred: not done, and not counted as the rep's completion.
    const after = await writer.readTaskStatuses([tasks[1]!, tasks[2]!]);
    expect(after.has(tasks[1]!)).toBe(false);
    expect(after.get(tasks[2]!)).toBe('ended');
    expect(sandbox.state.get('Task', tasks[2]!)).toMatchObject({ Status: 'Deferred', IsClosed: false });
  });

  it('a field an admin deleted is made again and filled; one retyped to a checkbox is left alone and reported, and the rest is written', async () => {
    const tooling = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${sandbox.baseUrl}/services/data/v62.0/tooling${path}`, {
        method,
        headers: { authorization: 'Bearer sandbox-salesforce-token', 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      expect([method, path, response.status]).toEqual([method, path, 204]);
    };
    const idOf = (fullName: string) =>
      [...sandbox.state.table('CustomField').values()].find((r) => r.FullName === fullName)!.Id as string;
    // As an admin would through Setup (or the same Tooling API): delete one field, change another's type.
    await tooling('DELETE', `/sobjects/CustomField/${idOf('Account.CrmAgent_Churn_Risk__c')}`);
    await tooling('PATCH', `/sobjects/CustomField/${idOf('Opportunity.CrmAgent_Win_Probability__c')}`, {
      Metadata: { label: 'Win probability', type: 'Checkbox', defaultValue: 'false' },
    });
    expect(sandbox.state.object('Account')!.fields.has('crmagent_churn_risk__c')).toBe(false);

    const mark = requests.length;
    const result = await runCycle(runtime, { tenantId: tenant.id, mode: 'incremental', trigger: 'test' });
    expect(result.status).toBe('succeeded');
    const summary = (await runtime.store.runs.get(result.runId!))!.summary;
    expect(summary.fieldsLeftAlone).toEqual([
      'CrmAgent_Win_Probability__c — its type is now boolean, crm-agent writes percent (Opportunity.CrmAgent_Win_Probability__c)',
    ]);
    // The retyped field is as the admin left it; nothing was written into it, and no batch failed for it.
    expect(sandbox.state.object('Opportunity')!.fields.get('crmagent_win_probability__c')!.type).toBe('boolean');
    const plan = result.writeBack!.plan!;
    expect(plan.fields.some((f) => 'crm_agent_win_probability' in f.values)).toBe(false);
    expect(result.writeBack!.send).toMatchObject({ failed: 0, dead: 0, retrying: 0 });
    // The deleted one is back, readable and writable by crm-agent, and holds every account's churn risk again.
    expect(result.writeBack!.provision!.created).toContain('Account.CrmAgent_Churn_Risk__c');
    const accounts = plan.fields.filter((f) => f.objectType === 'company' && 'crm_agent_churn_risk' in f.values);
    expect(accounts.length).toBeGreaterThan(10);
    for (const f of accounts)
      expect(sandbox.state.get('Account', f.recordId)!.CrmAgent_Churn_Risk__c).toBe(f.values.crm_agent_churn_risk);
    expect(since(mark, (e) => e.method === 'PATCH' && e.path.includes('/tooling/'))).toEqual([]);
  });
});

/** The Salesforce task a task spec becomes: org default status, priority names, a lead never beside an opportunity. */
function expectedTask(spec: TaskSpec): Record<string, unknown> {
  const lead = spec.contactId?.startsWith('00Q') ?? false;
  return {
    Subject: spec.subject,
    Description: spec.body,
    ActivityDate: spec.dueDate,
    Priority: { high: 'High', medium: 'Normal', low: 'Low' }[spec.priority],
    Status: 'Not Started',
    WhatId: spec.dealId,
    WhoId: lead && spec.dealId ? null : spec.contactId,
    ...(spec.ownerId ? { OwnerId: spec.ownerId } : {}),
  };
}
