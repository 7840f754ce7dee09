import type { Neighbourhood } from '../../src/engine/score-records.js';
import type { EngineInput } from '../../src/engine/types.js';

/**
 * The neighbourhood of some records taken from a whole tenant's input, as the store loader reads it
 * (src/analyse/load-neighbourhood.ts): the targets, their deals' contacts, those contacts' deals, the deals'
 * line items, products and stage history, the companies they name, every owner.
 */
export function neighbourhoodOf(input: EngineInput, targets: { deals: string[]; contacts: string[] }): Neighbourhood {
  const isLink = (a: EngineInput['associations'][number], from: string, to: string) =>
    (a.fromType === from && a.toType === to) || (a.fromType === to && a.toType === from);
  const ends = (a: EngineInput['associations'][number], type: string) => (a.fromType === type ? a.fromId : a.toId);
  const dealContact = input.associations.filter((a) => isLink(a, 'deal', 'contact'));
  const contacts = new Set(targets.contacts);
  for (const a of dealContact) if (targets.deals.includes(ends(a, 'deal'))) contacts.add(ends(a, 'contact'));
  const deals = new Set(targets.deals);
  for (const a of dealContact) if (contacts.has(ends(a, 'contact'))) deals.add(ends(a, 'deal'));
  const lineItems = input.lineItems.filter((li) => li.dealId !== null && deals.has(li.dealId));
  const products = new Set(lineItems.map((li) => li.productId));
  const pickedContacts = input.contacts.filter((c) => contacts.has(c.id));
  const pickedDeals = input.deals.filter((d) => deals.has(d.id));
  const companies = new Set([...pickedContacts, ...pickedDeals].map((r) => r.companyId));
  const associations = input.associations.filter((a) => {
    const has = (type: string, id: string) =>
      type === 'deal' ? deals.has(id) : type === 'contact' ? contacts.has(id) : type === 'company' ? true : false;
    return has(a.fromType, a.fromId) && has(a.toType, a.toId);
  });
  for (const a of associations) {
    if (a.fromType === 'company') companies.add(a.fromId);
    if (a.toType === 'company') companies.add(a.toId);
  }
  return {
    tenantId: input.tenantId,
    contacts: pickedContacts,
    companies: input.companies.filter((c) => companies.has(c.id)),
    deals: pickedDeals,
    lineItems,
    products: input.products.filter((p) => products.has(p.id)),
    owners: input.owners,
    associations,
    stageChanges: input.stageChanges.filter((s) => deals.has(s.dealId)),
    targets,
  };
}
