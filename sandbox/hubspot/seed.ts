import { generateWorld } from '../world/generate-world.js';
import { INDUSTRIES } from '../world/vocabulary.js';
import type { World, WorldStage } from '../world/world.js';
import type { ObjectTypeName } from './object-types.js';
import { defaultPipelines, type Pipeline } from './pipelines.js';
import type { Owner, SandboxState, StoredObject } from './state.js';

export interface SeedOptions {
  seed: number;
  contacts: number;
  companies: number;
  deals: number;
  /** The world's today (ISO date). */
  asOf: string;
}

/** Which HubSpot id each world entity got, so the ground truth can be told in the CRM's ids. */
export interface SeedIds {
  owners: string[];
  products: number[];
  companies: number[];
  contacts: number[];
  deals: number[];
}

const SEED = { source: 'IMPORT' as const };
const MONTH = 30.44 * 86_400_000;

/**
 * Fills the portal from the seeded world (`sandbox/world`): owners, a product catalogue, companies, contacts with
 * their primary company, deals in two pipelines with stage history, contacts and line items. Ids are HubSpot-style
 * numbers; values are strings as HubSpot keeps them. Same options, same portal.
 */
export function seedPortal(state: SandboxState, options: SeedOptions): { world: World; ids: SeedIds } {
  const world = generateWorld(options);
  const asOf = Date.parse(world.asOf);
  const portalBirth = new Date(asOf - 50 * MONTH).toISOString();
  const iso = (ms: number) => new Date(ms).toISOString();

  const owners: Owner[] = world.owners.map((o) => ({
    id: String(50_000_001 + o.index),
    email: o.email,
    firstName: o.firstName,
    lastName: o.lastName,
    userId: 7_000_001 + o.index,
    createdAt: portalBirth,
    updatedAt: portalBirth,
    archived: false,
    teams: [],
  }));
  state.owners = owners;
  const ownerOptions = owners.map((o) => ({ value: o.id, label: `${o.firstName} ${o.lastName}` }));
  for (const type of ['contacts', 'companies', 'deals', 'tasks'] as const) {
    state.properties.setOptions(type, 'hubspot_owner_id', ownerOptions);
  }
  state.properties.setOptions(
    'companies',
    'industry',
    INDUSTRIES.map((i) => ({ value: i, label: i })),
  );
  const pipelines = defaultPipelines(portalBirth, String(2_000_000 + (options.seed % 1000) * 100));
  state.pipelines = pipelines;
  state.properties.setOptions(
    'deals',
    'pipeline',
    pipelines.map((p) => ({ value: p.id, label: p.label })),
  );
  state.properties.setOptions(
    'deals',
    'dealstage',
    pipelines.flatMap((p) => p.stages.map((s) => ({ value: s.id, label: s.label }))),
  );

  const at = (ms: number) => ({ system: true, createdAt: ms, updatedAt: ms });
  const birth = Date.parse(portalBirth);
  const products = world.products.map(
    (p) =>
      state.create(
        'products',
        { name: p.name, hs_sku: p.sku, price: String(p.price), description: p.category, hs_product_type: 'service' },
        SEED,
        at(birth),
      ).id,
  );

  const companies = world.companies.map((c) => {
    const created = Date.parse(c.createdAt);
    return state.create(
      'companies',
      {
        name: c.name,
        domain: c.domain,
        industry: c.industry,
        numberofemployees: String(c.employees),
        annualrevenue: String(c.annualRevenue),
        country: c.country,
        city: c.city,
        hubspot_owner_id: owners[c.ownerIndex]!.id,
      },
      SEED,
      at(created),
    ).id;
  });

  const contacts = world.contacts.map((c) => {
    const created = Date.parse(c.createdAt);
    const activity = Date.parse(c.lastActivityAt);
    const values: Record<string, string> = {
      email: c.email,
      firstname: c.firstName,
      lastname: c.lastName,
      hubspot_owner_id: owners[c.ownerIndex]!.id,
      lifecyclestage: c.lifecycleStage,
      company: world.companies[c.companyIndex]!.name,
      notes_last_updated: c.lastActivityAt,
      hs_last_sales_activity_timestamp: iso(activity - ((c.index * 7919) % 5) * 3_600_000),
      hs_email_open: String(c.emailOpens),
      hs_analytics_num_page_views: String(c.pageViews),
    };
    if (c.jobTitle !== null) values.jobtitle = c.jobTitle;
    if (c.phone !== null) values.phone = c.phone;
    if (c.country !== null) values.country = c.country;
    const record = state.create('contacts', values, SEED, {
      system: true,
      createdAt: created,
      updatedAt: Math.max(created, activity),
    });
    const companyId = companies[c.companyIndex]!;
    state.associations.add('contacts', record.id, 'companies', companyId, [1, 279]);
    return record.id;
  });

  const stageId = (pipeline: Pipeline, stage: WorldStage) =>
    pipeline.stages[stage === 'won' ? 5 : stage === 'lost' ? 6 : stage]!.id;
  const deals = world.deals.map((d) => {
    const pipeline = pipelines[d.pipeline === 'renewal' ? 1 : 0]!;
    const created = Date.parse(d.createdAt);
    const lastChange = Date.parse(d.stageHistory[d.stageHistory.length - 1]!.at);
    const activity = Date.parse(d.lastActivityAt);
    const values: Record<string, string> = {
      dealname: d.name,
      deal_currency_code: state.companyCurrency,
      pipeline: pipeline.id,
      dealstage: stageId(pipeline, d.stage),
      closedate: d.closeDate,
      hubspot_owner_id: owners[d.ownerIndex]!.id,
      num_notes: String(d.activityCount),
      notes_last_updated: d.lastActivityAt,
      hs_last_sales_activity_timestamp: d.lastActivityAt,
      createdate: d.createdAt,
    };
    if (d.amount !== null) values.amount = String(d.amount);
    const record = state.create('deals', values, SEED, {
      system: true,
      createdAt: created,
      updatedAt: Math.max(created, lastChange, Math.min(activity, asOf)),
    });
    state.setHistory(
      record,
      'dealstage',
      d.stageHistory.map((h) => ({
        value: stageId(pipeline, h.stage),
        timestamp: Date.parse(h.at),
        sourceType: 'CRM_UI',
        sourceId: `userId:${owners[d.ownerIndex]!.userId}`,
      })),
    );
    for (const contactIndex of d.contactIndexes) {
      state.associations.add('deals', record.id, 'contacts', contacts[contactIndex]!, [3]);
    }
    state.associations.add('deals', record.id, 'companies', companies[d.companyIndex]!, [5, 341]);
    for (const li of d.lineItems) {
      const item = state.create(
        'line_items',
        {
          hs_product_id: String(products[li.productIndex]!),
          quantity: String(li.quantity),
          price: String(li.unitPrice),
          hs_discount_percentage: String(Math.round(li.discount * 100)),
        },
        SEED,
        at(created),
      );
      state.associations.add('deals', record.id, 'line_items', item.id, [19]);
    }
    return record.id;
  });

  // The calculated counts and primary company, as HubSpot would show them after these associations.
  const counts = (type: ObjectTypeName, record: StoredObject, values: Record<string, string>) => {
    Object.assign(record.properties, values);
    state.reindex(type, record);
  };
  const count = (type: ObjectTypeName, id: number, to: ObjectTypeName) =>
    String(state.associations.count(type, id, to));
  for (const id of contacts) {
    counts('contacts', state.get('contacts', id)!, {
      num_associated_deals: count('contacts', id, 'deals'),
      associatedcompanyid: String(state.associations.list('contacts', id, 'companies')[0]!.toId),
    });
  }
  for (const id of companies) {
    counts('companies', state.get('companies', id)!, {
      num_associated_contacts: count('companies', id, 'contacts'),
      num_associated_deals: count('companies', id, 'deals'),
    });
  }
  for (const id of deals) {
    counts('deals', state.get('deals', id)!, {
      num_associated_contacts: count('deals', id, 'contacts'),
      hs_num_of_associated_line_items: count('deals', id, 'line_items'),
    });
  }
  return { world, ids: { owners: owners.map((o) => o.id), products, companies, contacts, deals } };
}

/** The planted structure in the portal's own ids: what the engine's models should recover. */
export function groundTruth(world: World, ids: SeedIds): Record<string, unknown> {
  const sku = new Map(world.products.map((p) => [p.sku, ids.products[p.index]!]));
  return {
    asOf: world.asOf,
    segments: world.truth.segments,
    contactSegments: Object.fromEntries(world.contacts.map((c) => [String(ids.contacts[c.index]), c.segment])),
    winDrivers: world.truth.winDrivers,
    dealWinProbability: Object.fromEntries(world.deals.map((d) => [String(ids.deals[d.index]), d.winProbability])),
    ownerSkill: Object.fromEntries(world.owners.map((o) => [ids.owners[o.index]!, o.skill])),
    seasonality: world.truth.seasonality,
    monthlyTrend: world.truth.monthlyTrend,
    bundles: world.truth.bundles.map((b) => ({
      a: b.a,
      b: b.b,
      aProductId: String(sku.get(b.a)),
      bProductId: String(sku.get(b.b)),
      probability: b.probability,
    })),
    duplicates: world.truth.duplicates.map(([a, b]) => [String(ids.contacts[a]), String(ids.contacts[b])]),
  };
}
