import type { World, WorldStage } from '../../sandbox/world/world.js';
import type {
  Association,
  Company,
  Contact,
  Deal,
  DealStageChange,
  LineItem,
  Owner,
  Product,
  RecordBase,
} from '../../src/domain/records.js';

/** HubSpot's default deal stages, in order, then the two closed ones. */
export const HUBSPOT_STAGES = [
  'appointmentscheduled',
  'qualifiedtobuy',
  'presentationscheduled',
  'decisionmakerboughtin',
  'contractsent',
] as const;

export function stageName(stage: WorldStage): string {
  return stage === 'won' ? 'closedwon' : stage === 'lost' ? 'closedlost' : HUBSPOT_STAGES[stage];
}

export interface WorldRecords {
  contacts: Contact[];
  companies: Company[];
  deals: Deal[];
  lineItems: LineItem[];
  products: Product[];
  owners: Owner[];
  associations: Association[];
  stageChanges: DealStageChange[];
}

/** HubSpot-like numeric ids per object type, so ids of different types never collide. */
export const worldId = {
  contact: (i: number) => String(100_001 + i),
  company: (i: number) => String(5_000_001 + i),
  deal: (i: number) => String(9_000_001 + i),
  lineItem: (i: number) => String(20_000_001 + i),
  product: (i: number) => String(700_001 + i),
  owner: (i: number) => String(80_001 + i),
};

function base(id: string, createdAt: string | null, properties: Record<string, string | null> = {}): RecordBase {
  return { id, createdAt, updatedAt: createdAt, archived: false, archivedAt: null, mergedInto: null, properties };
}

/**
 * The canonical records a HubSpot sync of the world would give: HubSpot-like ids, default deal stages,
 * lifecycle stages, engagement in `emailOpens`/`pageViews`/`activityCount`, and the associations
 * contact→company, deal→contact (primary first), deal→company and line item→deal.
 */
export function worldToRecords(world: World, options: { consume?: boolean } = {}): WorldRecords {
  // consume: drop each world contact and deal once converted, so a large world and its records are not both held
  // (the engine benchmark's peak memory is then the records', not the records' plus the world's).
  const release = <T>(list: T[], i: number) => {
    if (options.consume) (list as Array<T | undefined>)[i] = undefined;
  };
  const owners: Owner[] = world.owners.map((o) => ({
    ...base(worldId.owner(o.index), null),
    email: o.email,
    name: `${o.firstName} ${o.lastName}`,
    active: true,
  }));
  const products: Product[] = world.products.map((p) => ({
    ...base(worldId.product(p.index), null, { category: p.category }),
    name: p.name,
    sku: p.sku,
    unitPrice: p.price,
  }));
  const companies: Company[] = world.companies.map((c) => ({
    ...base(worldId.company(c.index), c.createdAt, { city: c.city }),
    name: c.name,
    domain: c.domain,
    industry: c.industry,
    employees: c.employees,
    annualRevenue: c.annualRevenue,
    country: c.country,
    ownerId: worldId.owner(c.ownerIndex),
  }));
  const associations: Association[] = [];
  const contacts: Contact[] = world.contacts.map((c, i) => {
    release(world.contacts, i);
    associations.push({
      fromType: 'contact',
      fromId: worldId.contact(c.index),
      toType: 'company',
      toId: worldId.company(c.companyIndex),
      label: '',
    });
    return {
      ...base(worldId.contact(c.index), c.createdAt, { phone: c.phone }),
      crmObject: 'contact',
      email: c.email,
      firstName: c.firstName,
      lastName: c.lastName,
      companyId: worldId.company(c.companyIndex),
      ownerId: worldId.owner(c.ownerIndex),
      lifecycleStage: c.lifecycleStage,
      leadStatus: null,
      jobTitle: c.jobTitle,
      country: c.country,
      lastActivityAt: c.lastActivityAt,
      emailOpens: c.emailOpens,
      pageViews: c.pageViews,
    };
  });
  const deals: Deal[] = [];
  const lineItems: LineItem[] = [];
  const stageChanges: DealStageChange[] = [];
  for (const [i, d] of world.deals.entries()) {
    release(world.deals, i);
    const id = worldId.deal(d.index);
    const closed = d.stage === 'won' || d.stage === 'lost';
    deals.push({
      ...base(id, d.createdAt),
      name: d.name,
      amount: d.amount,
      currency: 'USD',
      pipeline: d.pipeline === 'renewal' ? 'renewals' : 'default',
      stage: stageName(d.stage),
      isClosed: closed,
      isWon: d.stage === 'won',
      closeDate: d.closeDate,
      ownerId: worldId.owner(d.ownerIndex),
      companyId: worldId.company(d.companyIndex),
      lastActivityAt: d.lastActivityAt,
      activityCount: d.activityCount,
    });
    for (const c of d.contactIndexes) {
      associations.push({ fromType: 'deal', fromId: id, toType: 'contact', toId: worldId.contact(c), label: '' });
    }
    associations.push({
      fromType: 'deal',
      fromId: id,
      toType: 'company',
      toId: worldId.company(d.companyIndex),
      label: '',
    });
    for (const li of d.lineItems) {
      const liId = worldId.lineItem(lineItems.length);
      const unitPrice = Math.round(li.unitPrice * (1 - li.discount) * 100) / 100;
      lineItems.push({
        ...base(liId, d.createdAt),
        dealId: id,
        productId: worldId.product(li.productIndex),
        name: world.products[li.productIndex]!.name,
        quantity: li.quantity,
        unitPrice,
        amount: Math.round(unitPrice * li.quantity * 100) / 100,
      });
      associations.push({ fromType: 'line_item', fromId: liId, toType: 'deal', toId: id, label: '' });
    }
    for (const h of d.stageHistory)
      stageChanges.push({ dealId: id, stage: stageName(h.stage), enteredAt: h.at, amount: d.amount });
  }
  if (options.consume) {
    world.contacts.length = 0;
    world.deals.length = 0;
  }
  return { contacts, companies, deals, lineItems, products, owners, associations, stageChanges };
}
