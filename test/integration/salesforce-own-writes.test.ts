import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RequestEvent } from '../../sandbox/salesforce/create-salesforce-sandbox.js';
import type { Contact, Deal } from '../../src/domain/records.js';
import type { Tenant } from '../../src/domain/tenant.js';
import { runCycle } from '../../src/jobs/run-cycle.js';
import type { Runtime } from '../../src/main.js';
import { runSync } from '../../src/sync/run-sync.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { connectWithOAuth, salesforceRuntime, startSandbox } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/temp-dir.js';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

describe("Salesforce: crm-agent's own writes do not trigger re-reads (issue 13)", () => {
  const dir = tempDir();
  const clock = new FixedClock(Date.parse('2026-11-02T08:00:00.000Z'));
  const requests: RequestEvent[] = [];
  let sandbox: Sandbox;
  let runtime: Runtime;
  let tenant: Tenant;

  beforeAll(async () => {
    sandbox = await startSandbox({ clock, seed: 13, accounts: 30, contacts: 300, opportunities: 120 });
    sandbox.events.on('request', (e: RequestEvent) => requests.push(e));
    runtime = await salesforceRuntime(dir.path, sandbox, { clock });
    tenant = await connectWithOAuth(runtime, sandbox);
  });
  afterAll(async () => {
    await runtime.close();
    await sandbox.close();
    dir.remove();
  });

  const sync = async (mode: 'full' | 'incremental') =>
    runSync(runtime, { tenantId: tenant.id, connector: runtime.connectorFor(tenant), mode, trigger: 'test' });

  it('query rows carry SystemModstamp as the REST API sends datetimes (an ISO-8601 string)', async () => {
    const q = encodeURIComponent('SELECT Id, SystemModstamp, LastModifiedDate FROM Contact LIMIT 1');
    const answer = await fetch(`${sandbox.baseUrl}/services/data/v62.0/query?q=${q}`, {
      headers: { authorization: 'Bearer sandbox-salesforce-token' },
    });
    expect(answer.status).toBe(200);
    const row = ((await answer.json()) as { records: Array<Record<string, unknown>> }).records[0]!;
    expect(row.LastModifiedDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
    expect(row.SystemModstamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
  });

  it('after a write-back, an incremental sync hands out (re-scores) none of the records written, and still picks up a rep edit made right after it', async () => {
    const { store } = runtime;
    await sync('full');
    clock.advance(60_000);
    const cycle = await runCycle(runtime, { tenantId: tenant.id, mode: 'incremental', trigger: 'test' });
    expect(cycle.status).toBe('succeeded');
    expect(cycle.writeBack!.send).toMatchObject({ failed: 0, dead: 0, retrying: 0 });
    const writes = cycle.writeBack!.plan!.fields;
    const written = (type: string) => [...new Set(writes.filter((f) => f.objectType === type).map((f) => f.recordId))];
    expect(written('contact').length).toBeGreaterThan(100);
    expect(written('deal').length).toBeGreaterThan(10);
    expect(written('company').length).toBeGreaterThan(10);

    // Right after the write, in the same millisecond: a rep retitles a written contact, and an admin types over
    // crm-agent's reasons on a written opportunity.
    const contactId = written('contact').find((id) => id.startsWith('003'))!;
    const dealId = written('deal').find((id) =>
      writes.some((w) => w.recordId === id && 'crm_agent_top_reasons' in w.values),
    )!;
    expect([contactId, dealId].every(Boolean)).toBe(true);
    sandbox.control.edit({ object: 'Contact', ids: [contactId], fields: { Title: 'Head of edits made at once' } });
    // As an admin or another integration would (reps lack field-level access to crm-agent's fields).
    const now = sandbox.state.now();
    sandbox.state.patch(
      'Opportunity',
      dealId,
      { CrmAgent_Top_Reasons__c: 'typed by a rep', LastModifiedDate: now, SystemModstamp: now },
      null,
    );

    clock.advance(60_000);
    const after = await sync('incremental');
    expect(after.status).toBe('succeeded');
    // Every written record changed in the org (its SystemModstamp moved); only the rep's two are handed out.
    expect(after.counts.contact).toBe(1);
    expect(after.counts.deal).toBe(1);
    expect(after.counts.company ?? 0).toBe(0);
    const contact = (await store.records.get(tenant.id, 'contact', contactId)) as Contact;
    expect(contact.jobTitle).toBe('Head of edits made at once');
    const deal = (await store.records.get(tenant.id, 'deal', dealId)) as Deal;
    expect(deal.properties.CrmAgent_Top_Reasons__c).toBe('typed by a rep');

    // The next cycle puts crm-agent's value back on the opportunity the rep typed over (it saw the edit).
    clock.advance(60_000);
    const next = await runCycle(runtime, { tenantId: tenant.id, mode: 'incremental', trigger: 'test' });
    const restored = next.writeBack!.plan!.fields.find((f) => f.objectType === 'deal' && f.recordId === dealId);
    expect(restored?.changes.some((c) => c.field === 'crm_agent_top_reasons' && c.from === 'typed by a rep')).toBe(
      true,
    );
  });
});
