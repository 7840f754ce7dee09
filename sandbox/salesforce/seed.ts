import type { World, WorldStage } from '../world/world.js';
import { KEY_PREFIXES } from './ids.js';
import { FORECAST_LABELS, OPPORTUNITY_STAGES, platformEventDef, type SfRecord } from './schema.js';
import type { OrgState } from './state.js';

/** Where each part of the world landed in the org: the link between the ground truth and Salesforce ids. */
export interface SeedIds {
  /** The API user every token of the sandbox belongs to (System Administrator, integration user). */
  apiUserId: string;
  /** The user the nightly marketing integration runs as. */
  marketingUserId: string;
  users: string[];
  accounts: string[];
  /** World contact index → the Contact or Lead it became. */
  contacts: Array<{ object: 'Contact' | 'Lead'; id: string }>;
  opportunities: string[];
  products: string[];
  standardPricebookId: string;
}

const DAY = 86_400_000;
const LEAD_SOURCES = ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'];
const hash = (i: number) => Math.imul(i + 1, 2654435761) >>> 0;
const second = (ms: number) => Math.floor(ms / 1000) * 1000;
const day = (iso: string) => iso.slice(0, 10);

/** World stage → Salesforce stage name. */
export function stageName(s: WorldStage): string {
  if (s === 'won') return 'Closed Won';
  if (s === 'lost') return 'Closed Lost';
  return OPPORTUNITY_STAGES[s]!.name;
}

/** HubSpot-style industry keys of the world (`FOOD_BEVERAGES`) as the labels of Salesforce's Industry picklist. */
function industryLabel(key: string): string {
  return key
    .toLowerCase()
    .split('_')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
}

/**
 * Loads the world into the org as a real org would hold it. The data look imported and then lived in: records
 * keep their creation times, and large groups share one SystemModstamp because nightly jobs touched them in one
 * go (the marketing integration writes email opens and page views; an enrichment job fills accounts; a flow
 * recounts opportunity activity). Some contacts that never had a deal are still Leads.
 */
export function seedOrg(state: OrgState, world: World, org: { currency: string } = { currency: 'USD' }): SeedIds {
  const ceiling = second(Math.min(Date.parse(world.asOf), state.clock.now()) - 1000);
  const at = (iso: string) => Math.min(second(Date.parse(iso)), ceiling);
  const nightly = (daysBack: number, hour: number) =>
    second(Math.floor(ceiling / DAY) * DAY - daysBack * DAY + hour * 3_600_000);
  const marketingStamp = nightly(1, 2);
  const enrichmentStamp = nightly(7, 3);
  const rollupStamp = nightly(2, 1);
  const orgCreated = nightly(4 * 365, 9);

  const insert = (object: string, fields: SfRecord, created: number, modified: number, by: string) => {
    const def = state.object(object)!;
    const record: SfRecord = {};
    for (const f of def.fields.values()) if (!f.formula && !f.components) record[f.name] = f.defaultValue ?? null;
    Object.assign(record, fields, {
      Id: fields.Id ?? state.nextId(def.keyPrefix),
      IsDeleted: false,
      CreatedDate: created,
      CreatedById: by,
      LastModifiedDate: modified,
      LastModifiedById: by,
      SystemModstamp: modified,
    });
    state.insert(object, record, { quiet: true });
    return record.Id as string;
  };

  const apiUserId = state.nextId(KEY_PREFIXES.User);
  insert(
    'Organization',
    {
      Id: state.orgId,
      Name: `Sandbox Org ${world.seed}`,
      OrganizationType: 'Enterprise Edition',
      InstanceName: 'SBX1',
      IsSandbox: false,
      TimeZoneSidKey: 'GMT',
      DefaultCurrencyIsoCode: org.currency,
    },
    orgCreated,
    orgCreated,
    apiUserId,
  );
  const user = (first: string, last: string, email: string, title: string, id?: string) =>
    insert(
      'User',
      {
        ...(id ? { Id: id } : {}),
        Username: `${email}.sbx`,
        FirstName: first,
        LastName: last,
        Name: `${first} ${last}`,
        Email: email,
        Alias: `${first[0]}${last}`.slice(0, 8).toLowerCase(),
        Title: title,
        IsActive: true,
        UserType: 'Standard',
        TimeZoneSidKey: 'GMT',
      },
      orgCreated,
      orgCreated,
      apiUserId,
    );
  user('Integration', 'User', 'integration@sandbox.example.com', 'System Administrator', apiUserId);
  const marketingUserId = user('Marketing', 'Integration', 'marketing@sandbox.example.com', 'Integration');
  const users = world.owners.map((o) => user(o.firstName, o.lastName, o.email, 'Account Executive'));

  for (const [i, s] of OPPORTUNITY_STAGES.entries()) {
    insert(
      'OpportunityStage',
      {
        MasterLabel: s.name,
        ApiName: s.name,
        IsActive: true,
        SortOrder: i + 1,
        IsClosed: s.closed,
        IsWon: s.won,
        ForecastCategory: s.forecast,
        ForecastCategoryName: FORECAST_LABELS[s.forecast]!,
        DefaultProbability: s.probability,
      },
      orgCreated,
      orgCreated,
      apiUserId,
    );
  }
  const standardPricebookId = insert(
    'Pricebook2',
    { Name: 'Standard Price Book', IsActive: true, IsStandard: true },
    orgCreated,
    orgCreated,
    apiUserId,
  );
  const products: string[] = [];
  const entries: string[] = [];
  for (const p of world.products) {
    const id = insert(
      'Product2',
      { Name: p.name, ProductCode: p.sku, StockKeepingUnit: p.sku, Family: p.category, IsActive: true },
      orgCreated,
      orgCreated,
      apiUserId,
    );
    products.push(id);
    entries.push(
      insert(
        'PricebookEntry',
        {
          Pricebook2Id: standardPricebookId,
          Product2Id: id,
          UnitPrice: p.price,
          IsActive: true,
          UseStandardPrice: false,
          Name: p.name,
          ProductCode: p.sku,
        },
        orgCreated,
        orgCreated,
        apiUserId,
      ),
    );
  }

  const wonAccounts = new Set(world.deals.filter((d) => d.stage === 'won').map((d) => d.companyIndex));
  const accounts = world.companies.map((c) => {
    const created = at(c.createdAt);
    const modified =
      c.index % 3 === 0 && created < enrichmentStamp
        ? enrichmentStamp
        : Math.max(created, second(created + ((hash(c.index) % 1000) / 1000) * (ceiling - created)));
    return insert(
      'Account',
      {
        Name: c.name,
        Website: `https://www.${c.domain}`,
        Industry: industryLabel(c.industry),
        NumberOfEmployees: c.employees,
        AnnualRevenue: c.annualRevenue,
        BillingCity: c.city,
        BillingCountry: c.country,
        OwnerId: users[c.ownerIndex]!,
        Type: wonAccounts.has(c.index) ? 'Customer - Direct' : 'Prospect',
        Phone: `+1 555 0${String(100 + (c.index % 900))}`,
      },
      created,
      modified,
      apiUserId,
    );
  });

  const inDeals = new Set(world.deals.flatMap((d) => d.contactIndexes));
  const contacts = world.contacts.map((c) => {
    const company = world.companies[c.companyIndex]!;
    const created = at(c.createdAt);
    const touchedNightly = c.index % 5 < 2 && created < marketingStamp;
    const modified = touchedNightly
      ? marketingStamp
      : Math.max(created, second(created + ((hash(c.index) % 997) / 997) * (at(c.lastActivityAt) - created)));
    const common = {
      FirstName: c.firstName,
      LastName: c.lastName,
      Name: `${c.firstName} ${c.lastName}`,
      Email: c.email,
      Phone: c.phone,
      Title: c.jobTitle,
      OwnerId: users[c.ownerIndex]!,
      LeadSource: LEAD_SOURCES[hash(c.index) % LEAD_SOURCES.length]!,
      LastActivityDate: day(c.lastActivityAt),
      Email_Opens__c: c.emailOpens,
      Page_Views__c: c.pageViews,
    };
    const by = touchedNightly ? marketingUserId : apiUserId;
    if (!inDeals.has(c.index) && hash(c.index) % 3 === 0) {
      const id = insert(
        'Lead',
        {
          ...common,
          Company: company.name,
          Status: c.lifecycleStage === 'subscriber' ? 'Open - Not Contacted' : 'Working - Contacted',
          Industry: industryLabel(company.industry),
          NumberOfEmployees: company.employees,
          AnnualRevenue: company.annualRevenue,
          City: company.city,
          Country: c.country,
          Rating: c.segment === 'cold' ? 'Cold' : 'Warm',
          IsConverted: false,
        },
        created,
        modified,
        by,
      );
      return { object: 'Lead' as const, id };
    }
    const id = insert(
      'Contact',
      { ...common, AccountId: accounts[c.companyIndex]!, MailingCity: company.city, MailingCountry: c.country },
      created,
      modified,
      by,
    );
    return { object: 'Contact' as const, id };
  });

  const opportunities = world.deals.map((d) => {
    const company = world.companies[d.companyIndex]!;
    const created = at(d.createdAt);
    const lastChange = at(d.stageHistory.at(-1)!.at);
    const modified = d.index % 4 === 0 && lastChange < rollupStamp ? rollupStamp : Math.max(created, lastChange);
    const name = stageName(d.stage);
    const s = OPPORTUNITY_STAGES.find((x) => x.name === name)!;
    const owner = users[d.ownerIndex]!;
    const id = insert(
      'Opportunity',
      {
        Name: d.name,
        AccountId: accounts[company.index]!,
        OwnerId: owner,
        StageName: name,
        Amount: d.amount,
        Probability: s.probability,
        CloseDate: day(d.closeDate),
        Type: d.pipeline === 'renewal' ? 'Existing Customer - Renewal' : 'New Customer',
        LeadSource: LEAD_SOURCES[hash(d.index) % LEAD_SOURCES.length]!,
        IsClosed: s.closed,
        IsWon: s.won,
        ForecastCategory: s.forecast,
        ForecastCategoryName: FORECAST_LABELS[s.forecast]!,
        HasOpportunityLineItem: d.lineItems.length > 0,
        Pricebook2Id: standardPricebookId,
        LastActivityDate: day(d.lastActivityAt),
        Activity_Count__c: d.activityCount,
      },
      created,
      modified,
      apiUserId,
    );
    for (const h of d.stageHistory) {
      const hs = OPPORTUNITY_STAGES.find((x) => x.name === stageName(h.stage))!;
      const t = at(h.at);
      insert(
        'OpportunityHistory',
        {
          OpportunityId: id,
          StageName: hs.name,
          Amount: d.amount,
          ExpectedRevenue: d.amount === null ? null : Math.round(d.amount * hs.probability) / 100,
          CloseDate: day(d.closeDate),
          Probability: hs.probability,
          ForecastCategory: hs.forecast,
          PrevAmount: null,
          PrevCloseDate: null,
        },
        t,
        t,
        owner,
      );
    }
    for (const [k, ci] of d.contactIndexes.entries()) {
      const contact = contacts[ci]!;
      insert(
        'OpportunityContactRole',
        {
          OpportunityId: id,
          ContactId: contact.id,
          Role: k === 0 ? 'Decision Maker' : k === 1 ? 'Influencer' : 'Evaluator',
          IsPrimary: k === 0,
        },
        created,
        created,
        owner,
      );
    }
    for (const li of d.lineItems) {
      const product = world.products[li.productIndex]!;
      insert(
        'OpportunityLineItem',
        {
          OpportunityId: id,
          PricebookEntryId: entries[li.productIndex]!,
          Product2Id: products[li.productIndex]!,
          Name: `${d.name} ${product.name}`,
          ProductCode: product.sku,
          Quantity: li.quantity,
          UnitPrice: li.unitPrice,
          ListPrice: product.price,
          Discount: Math.round(li.discount * 100),
        },
        created,
        created,
        owner,
      );
    }
    return id;
  });

  state.addObject(
    platformEventDef('Crm_Agent_Signal__e', 'crm-agent Signal', [
      {
        name: 'Record_Id__c',
        label: 'Record Id',
        type: 'string',
        length: 18,
        nillable: true,
        createable: true,
        updateable: false,
        custom: true,
        access: 'profile',
      },
      {
        name: 'Signal__c',
        label: 'Signal',
        type: 'string',
        length: 255,
        nillable: true,
        createable: true,
        updateable: false,
        custom: true,
        access: 'profile',
      },
      {
        name: 'Payload__c',
        label: 'Payload',
        type: 'textarea',
        length: 131072,
        nillable: true,
        createable: true,
        updateable: false,
        custom: true,
        access: 'profile',
      },
    ]),
  );
  return { apiUserId, marketingUserId, users, accounts, contacts, opportunities, products, standardPricebookId };
}

/** The planted truth with the Salesforce ids it landed under, for tests and the engine's evaluation. */
export function groundTruth(world: World, ids: SeedIds) {
  return {
    crm: 'salesforce' as const,
    seed: world.seed,
    asOf: world.asOf,
    truth: world.truth,
    owners: world.owners.map((o) => ({ index: o.index, id: ids.users[o.index]!, skill: o.skill })),
    companies: world.companies.map((c) => ({ index: c.index, id: ids.accounts[c.index]! })),
    contacts: world.contacts.map((c) => ({
      index: c.index,
      object: ids.contacts[c.index]!.object,
      id: ids.contacts[c.index]!.id,
      segment: c.segment,
      duplicateOf: c.duplicateOf,
    })),
    deals: world.deals.map((d) => ({
      index: d.index,
      id: ids.opportunities[d.index]!,
      winProbability: d.winProbability,
      stage: stageName(d.stage),
    })),
    products: world.products.map((p) => ({ index: p.index, id: ids.products[p.index]!, sku: p.sku })),
    mapping: {
      engagement:
        'Contact/Lead custom fields Email_Opens__c and Page_Views__c (written nightly by the marketing integration)',
      activity:
        'Opportunity custom field Activity_Count__c (kept by a record-triggered flow on Task) and LastActivityDate',
      stages: Object.fromEntries(
        ([0, 1, 2, 3, 4, 'won', 'lost'] as WorldStage[]).map((s) => [String(s), stageName(s)]),
      ),
      leads: 'world contacts in no deal, one in three (by index), are Leads',
    },
  };
}
