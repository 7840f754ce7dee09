import type { SalesforceSandbox } from '../../sandbox/salesforce/create-salesforce-sandbox.js';
import type { SfRecord } from '../../sandbox/salesforce/schema.js';
import type { Store } from '../../src/store/open-store.js';

const iso = (ms: unknown) => (typeof ms === 'number' ? new Date(ms).toISOString() : null);
const day = (d: unknown) => (typeof d === 'string' ? `${d}T00:00:00.000Z` : null);
const money = (n: number) => Math.round(n * 100) / 100;

type Row = Record<string, unknown>;

function diff(label: string, expected: Map<string, Row>, actual: Map<string, Row>, out: string[]): void {
  for (const [id, want] of expected) {
    const got = actual.get(id);
    if (!got) {
      out.push(`${label} ${id} missing locally`);
      continue;
    }
    for (const [key, value] of Object.entries(want)) {
      if (JSON.stringify(got[key]) !== JSON.stringify(value))
        out.push(`${label} ${id}.${key}: want ${JSON.stringify(value)}, got ${JSON.stringify(got[key])}`);
    }
  }
  for (const id of actual.keys()) if (!expected.has(id)) out.push(`${label} ${id} live locally, not in the org`);
}

/**
 * Everything that differs between the local copy of a tenant and the sandbox org it syncs, computed from the
 * sandbox's own records (not through the connector's mapping): live records field by field, archived records,
 * associations and stage histories. Empty when the copy is faithful.
 */
export async function differencesFromSandbox(
  store: Store,
  tenantId: string,
  sandbox: SalesforceSandbox,
): Promise<string[]> {
  const out: string[] = [];
  const live = (object: string) => sandbox.control.records(object);
  const all = (object: string) => sandbox.control.records(object, { includeDeleted: true });
  const local = async (type: Parameters<Store['records']['list']>[1]) => {
    const records = (await store.records.list(tenantId, type, { includeArchived: true })) as unknown as Row[];
    return {
      live: new Map(records.filter((r) => !r.archived).map((r) => [String(r.id), r])),
      archived: new Map(records.filter((r) => r.archived).map((r) => [String(r.id), r])),
    };
  };

  const contacts = await local('contact');
  const expectedContacts = new Map<string, Row>();
  for (const c of live('Contact')) {
    expectedContacts.set(String(c.Id), {
      crmObject: 'Contact',
      email: c.Email,
      firstName: c.FirstName,
      lastName: c.LastName,
      companyId: c.AccountId,
      ownerId: c.OwnerId,
      jobTitle: c.Title,
      country: c.MailingCountry,
      emailOpens: c.Email_Opens__c,
      pageViews: c.Page_Views__c,
      lastActivityAt: day(c.LastActivityDate),
    });
  }
  for (const l of live('Lead')) {
    if (l.IsConverted === true) continue;
    expectedContacts.set(String(l.Id), {
      crmObject: 'Lead',
      email: l.Email,
      lastName: l.LastName,
      companyId: null,
      leadStatus: l.Status,
      emailOpens: l.Email_Opens__c,
    });
  }
  diff('contact', expectedContacts, contacts.live, out);
  const deletedContacts = new Map<string, SfRecord>();
  for (const r of [...all('Contact'), ...all('Lead')]) if (r.IsDeleted === true) deletedContacts.set(String(r.Id), r);
  for (const [id, record] of contacts.archived) {
    if (expectedContacts.has(id)) out.push(`contact ${id} archived locally but live in the org`);
    const deleted = deletedContacts.get(id);
    if (deleted && (deleted.MasterRecordId ?? null) !== record.mergedInto) {
      out.push(`contact ${id} merged into ${String(deleted.MasterRecordId)}, locally ${String(record.mergedInto)}`);
    }
  }

  const companies = await local('company');
  diff(
    'company',
    new Map(
      live('Account').map((a) => [
        String(a.Id),
        { name: a.Name, employees: a.NumberOfEmployees, annualRevenue: a.AnnualRevenue, ownerId: a.OwnerId },
      ]),
    ),
    companies.live,
    out,
  );

  const deals = await local('deal');
  diff(
    'deal',
    new Map(
      live('Opportunity').map((o) => [
        String(o.Id),
        {
          name: o.Name,
          stage: o.StageName,
          amount: o.Amount,
          isClosed: o.IsClosed,
          isWon: o.IsWon,
          closeDate: day(o.CloseDate),
          companyId: o.AccountId,
          activityCount: o.Activity_Count__c,
          updatedAt: iso(o.LastModifiedDate),
        },
      ]),
    ),
    deals.live,
    out,
  );

  const lineItems = await local('line_item');
  diff(
    'line_item',
    new Map(
      live('OpportunityLineItem').map((li) => [
        String(li.Id),
        {
          dealId: li.OpportunityId,
          productId: li.Product2Id,
          quantity: li.Quantity,
          amount: money(Number(li.Quantity) * Number(li.UnitPrice) * (1 - Number(li.Discount ?? 0) / 100)),
        },
      ]),
    ),
    lineItems.live,
    out,
  );

  const prices = new Map(live('PricebookEntry').map((e) => [e.Product2Id, e.UnitPrice]));
  diff(
    'product',
    new Map(live('Product2').map((p) => [String(p.Id), { sku: p.ProductCode, unitPrice: prices.get(p.Id) ?? null }])),
    (await local('product')).live,
    out,
  );
  diff(
    'owner',
    new Map(live('User').map((u) => [String(u.Id), { email: u.Email, active: u.IsActive }])),
    (await local('owner')).live,
    out,
  );

  const pairs = async (from: 'contact' | 'deal', to: 'company' | 'contact', keep: ReadonlySet<string>) =>
    new Set(
      (await store.records.listAssociations(tenantId, from, to))
        .filter((a) => keep.has(a.fromId))
        .map((a) => `${a.fromId}>${a.toId}:${a.label}`),
    );
  const same = (label: string, want: Set<string>, got: Set<string>) => {
    for (const p of want) if (!got.has(p)) out.push(`${label} association ${p} missing locally`);
    for (const p of got) if (!want.has(p)) out.push(`${label} association ${p} not in the org`);
  };
  const liveContacts = new Set(live('Contact').map((c) => String(c.Id)));
  const liveDeals = new Set(live('Opportunity').map((o) => String(o.Id)));
  same(
    'contact→company',
    new Set(
      live('Contact')
        .filter((c) => c.AccountId)
        .map((c) => `${c.Id}>${c.AccountId}:`),
    ),
    await pairs('contact', 'company', liveContacts),
  );
  same(
    'deal→company',
    new Set(
      live('Opportunity')
        .filter((o) => o.AccountId)
        .map((o) => `${o.Id}>${o.AccountId}:`),
    ),
    await pairs('deal', 'company', liveDeals),
  );
  same(
    'deal→contact',
    new Set(
      live('OpportunityContactRole')
        .filter((r) => liveDeals.has(String(r.OpportunityId)))
        .map((r) => `${r.OpportunityId}>${r.ContactId}:${r.Role ?? ''}`),
    ),
    await pairs('deal', 'contact', liveDeals),
  );

  const history = live('OpportunityHistory')
    .filter((h) => liveDeals.has(String(h.OpportunityId)))
    .sort(
      (a, b) =>
        String(a.OpportunityId).localeCompare(String(b.OpportunityId)) ||
        Number(a.CreatedDate) - Number(b.CreatedDate) ||
        String(a.Id).localeCompare(String(b.Id)),
    );
  const wantStages = new Set<string>();
  let previous = '';
  for (const h of history) {
    const key = `${h.OpportunityId}:${h.StageName}`;
    if (key !== previous) wantStages.add(`${h.OpportunityId}|${h.StageName}|${iso(h.CreatedDate)}`);
    previous = key;
  }
  const gotStages = new Set(
    (await store.records.listStageHistory(tenantId))
      .filter((h) => liveDeals.has(h.dealId))
      .map((h) => `${h.dealId}|${h.stage}|${h.enteredAt}`),
  );
  same('stage history', wantStages, gotStages);
  return out;
}
