import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { HubSpotSandbox } from '../../sandbox/hubspot/create-hubspot-sandbox.js';
import { OUTPUT_FIELDS } from '../../src/domain/output-fields.js';
import type { Contact, Deal } from '../../src/domain/records.js';
import { runCycle } from '../../src/jobs/run-cycle.js';
import { canonical } from '../../src/writeback/plan-writes.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { connectHarness, type Harness, startSandbox } from '../helpers/hubspot.js';

const FIELDS = new Map(OUTPUT_FIELDS.map((f) => [f.name, f]));

/** Every request crm-agent makes, with the ids a batch read asks for. */
class Wire {
  calls: Array<{ method: string; path: string; ids: string[] }> = [];
  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    let ids: string[] = [];
    if (/\/batch\/read$/.test(url.pathname) && url.pathname.startsWith('/crm/v3/')) {
      const body = JSON.parse(String(init?.body ?? '{}')) as { inputs?: Array<{ id: string }> };
      ids = (body.inputs ?? []).map((i) => i.id);
    }
    this.calls.push({ method, path: url.pathname, ids });
    return globalThis.fetch(input, init);
  };
  /** Ids read by id (batch read) per object type. */
  readById(apiType: string): string[] {
    return this.calls.filter((c) => c.path === `/crm/v3/objects/${apiType}/batch/read`).flatMap((c) => c.ids);
  }
}

describe("HubSpot: crm-agent's own writes do not trigger re-reads (issue 13)", () => {
  const clock = new FixedClock(Date.parse('2026-11-01T08:00:00.000Z'));
  const wire = new Wire();
  let sb: HubSpotSandbox;
  let harness: Harness;

  beforeAll(async () => {
    const started = await startSandbox({ seed: 13, contacts: 200, companies: 30, deals: 200, clock, limits: 'off' });
    sb = started.sb;
    harness = await connectHarness(sb, started.url, { clock, fetch: wire.fetch });
  });
  afterAll(async () => {
    await harness?.close();
    await sb?.close();
  });

  it('after a write-back, an incremental sync re-reads and re-scores none of the records written, and still picks up a rep edit made right after it', async () => {
    const { store } = harness.runtime;
    const tenantId = harness.tenant.id;
    // A first full sync, then a cycle that writes back (its incremental sync reads nothing of crm-agent's yet).
    await harness.sync('full');
    clock.advance(60_000);
    const cycle = await runCycle(harness.runtime, { tenantId, mode: 'incremental', trigger: 'test' });
    expect(cycle.status).toBe('succeeded');
    expect(cycle.writeBack!.send).toMatchObject({ failed: 0, dead: 0, retrying: 0 });
    const writes = cycle.writeBack!.plan!.fields;
    const written = (type: string) => new Set(writes.filter((f) => f.objectType === type).map((f) => f.recordId));
    expect(written('contact').size).toBeGreaterThan(100);
    expect(written('deal').size).toBeGreaterThan(10);
    expect(written('company').size).toBeGreaterThan(10);

    // The local copy holds what the portal now holds for every value written.
    const portal = sb.control.export();
    const apiTypes = { contact: 'contacts', company: 'companies', deal: 'deals' } as const;
    for (const update of writes) {
      const local = await store.records.get(tenantId, update.objectType, update.recordId);
      const crm = portal.records[apiTypes[update.objectType]].find((r) => r.id === update.recordId)!;
      for (const name of Object.keys(update.values)) {
        const field = FIELDS.get(name)!;
        expect([update.recordId, name, canonical(field, local!.properties[name] ?? null)]).toEqual([
          update.recordId,
          name,
          canonical(field, crm.properties[name] ?? null),
        ]);
      }
    }

    // Right after the write, in the same millisecond: a rep edits a written contact's job title, and types over
    // crm-agent's reasons on a written deal.
    const contactId = [...written('contact')][3]!;
    const dealId = [...written('deal')].find((id) =>
      writes.some((w) => w.recordId === id && 'crm_agent_top_reasons' in w.values),
    )!;
    expect(dealId).toBeDefined();
    sb.control.edit('contacts', Number(contactId), { jobtitle: 'Head of edits made at once' });
    sb.control.edit('deals', Number(dealId), { crm_agent_top_reasons: 'typed by a rep' });

    clock.advance(60_000);
    wire.calls = [];
    const sync = await harness.sync('incremental');
    expect(sync.status).toBe('succeeded');
    // Nothing crm-agent wrote is read again by id: only the two records the rep changed, and the deals of the edited
    // contact (the links phase reads a changed contact's deal links from its side, as always).
    const dealsOfContact = (await store.records.listAssociations(tenantId, 'deal', 'contact'))
      .filter((l) => l.toId === contactId)
      .map((l) => l.fromId);
    expect(wire.readById('contacts')).toEqual([contactId]);
    expect(new Set(wire.readById('deals'))).toEqual(new Set([dealId, ...dealsOfContact]));
    expect(wire.readById('companies')).toEqual([]);
    // Nor handed to the store (re-scored): only those.
    expect(sync.counts.contact).toBe(1);
    expect(sync.counts.deal).toBe(new Set([dealId, ...dealsOfContact]).size);
    expect(sync.counts.company ?? 0).toBe(0);
    const contact = (await store.records.get(tenantId, 'contact', contactId)) as Contact;
    expect(contact.jobTitle).toBe('Head of edits made at once');
    const deal = (await store.records.get(tenantId, 'deal', dealId)) as Deal;
    expect(deal.properties.crm_agent_top_reasons).toBe('typed by a rep');

    // The next cycle puts crm-agent's value back on the deal the rep typed over (it saw the edit).
    clock.advance(60_000);
    const next = await runCycle(harness.runtime, { tenantId, mode: 'incremental', trigger: 'test' });
    const restored = next.writeBack!.plan!.fields.find((f) => f.objectType === 'deal' && f.recordId === dealId);
    expect(restored?.changes.some((c) => c.field === 'crm_agent_top_reasons' && c.from === 'typed by a rep')).toBe(
      true,
    );
  });
});
