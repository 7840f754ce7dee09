import type { Tenant } from '../domain/tenant.js';
import { EngineInputError } from '../engine/engine-error.js';
import { MODELS_SCHEMA_VERSION } from '../engine/models/stored-models.js';
import { type Neighbourhood, type RecordsResult, scoreRecords } from '../engine/score-records.js';
import type { Clock } from '../lib/clock.js';
import type { Store } from '../store/open-store.js';
import { tenantEngineSettings } from './engine-settings.js';
import type { ModelCache } from './model-cache.js';
import { seedOf } from './run-analysis.js';

export type RescoreOutcome =
  | { path: 'incremental'; result: RecordsResult; modelsRunId: string; written: number }
  | { path: 'full'; reason: string };

/**
 * Re-scores changed deals and contacts with the tenant's stored models (its last full run's), reading only what
 * their features need, and saves their per-record results. Refuses (path 'full', with the reason) when the tenant
 * has no stored models or they are of another schema version, so the caller runs the whole engine instead. With
 * a `modelCache` (the runtime's), the parsed models of the last few tenants are reused while they are current.
 *
 * In-process, not in the worker thread: a webhook batch touches a handful of records (a deal, its contacts and
 * their deals), so scoring takes milliseconds, less than handing the models to a worker would; the worker is for
 * the full run, whose cost follows the portal.
 */
export async function rescoreRecords(
  deps: { store: Store; clock: Clock; modelCache?: ModelCache },
  tenant: Tenant,
  runId: string,
  changed: { deals: readonly string[]; contacts: readonly string[] },
): Promise<RescoreOutcome> {
  const { store } = deps;
  const models = deps.modelCache
    ? await deps.modelCache.current(store.models, tenant.id)
    : await store.models.current(tenant.id);
  if (!models) return { path: 'full', reason: 'no stored models yet' };
  if (models.schemaVersion !== MODELS_SCHEMA_VERSION)
    return {
      path: 'full',
      reason: `stored models have schema version ${models.schemaVersion}, this build needs ${MODELS_SCHEMA_VERSION}`,
    };
  const neighbourhood = await loadNeighbourhood(store, tenant.id, changed);
  const settings = await tenantEngineSettings(deps.store, tenant);
  let result: RecordsResult;
  try {
    result = scoreRecords(models.body, neighbourhood, settings, { seed: seedOf(tenant), now: deps.clock.now() });
  } catch (error) {
    // Stored models the engine refuses (another tenant's, not a models document) must not lose the edit.
    if (error instanceof EngineInputError) return { path: 'full', reason: error.message };
    throw error;
  }
  const counts = await store.transaction((tx) => tx.results.saveRecords(tenant.id, runId, result));
  return { path: 'incremental', result, modelsRunId: models.runId, written: counts.written };
}

/**
 * The contacts and deals of changed companies (named by their company field or linked to them): the records whose
 * features a company's change can move, re-scored with the stored models instead of running the whole engine.
 */
export async function companyMembers(
  store: Store,
  tenantId: string,
  companyIds: readonly string[],
): Promise<{ deals: string[]; contacts: string[] }> {
  if (companyIds.length === 0) return { deals: [], contacts: [] };
  const deals = new Set(await store.records.idsOfCompanies(tenantId, 'deal', companyIds));
  const contacts = new Set(await store.records.idsOfCompanies(tenantId, 'contact', companyIds));
  for (const a of await store.records.associationsOf(tenantId, 'company', companyIds)) {
    const [type, id] = a.fromType === 'company' ? [a.toType, a.toId] : [a.fromType, a.fromId];
    if (type === 'deal') deals.add(id);
    if (type === 'contact') contacts.add(id);
  }
  return { deals: [...deals].sort(), contacts: [...contacts].sort() };
}

/**
 * The records the changed ones' scores depend on, read by id: a changed deal's contacts are scored again (their
 * features count their deals), a changed contact's deals too (their segment feature is the primary contact's);
 * then every contact of those deals, every deal of those contacts, the deals' line items, products and stage
 * history, the companies they name, and what the last runs left for them.
 */
export async function loadNeighbourhood(
  store: Store,
  tenantId: string,
  changed: { deals: readonly string[]; contacts: readonly string[] },
): Promise<Neighbourhood> {
  const { records, results } = store;
  const linked = (links: Awaited<ReturnType<typeof records.associationsOf>>, from: string, to: string) =>
    links.flatMap((a) =>
      a.fromType === from && a.toType === to ? [a.toId] : a.toType === from && a.fromType === to ? [a.fromId] : [],
    );
  const targetDeals = new Set(changed.deals);
  const targetContacts = new Set(changed.contacts);
  for (const id of linked(await records.associationsOf(tenantId, 'deal', [...targetDeals]), 'deal', 'contact'))
    targetContacts.add(id);
  for (const id of linked(await records.associationsOf(tenantId, 'contact', [...targetContacts]), 'contact', 'deal'))
    targetDeals.add(id);
  // Every contact of the target deals (their count and primary contact are features), then all their deals.
  const dealLinks = await records.associationsOf(tenantId, 'deal', [...targetDeals]);
  const contactIds = new Set([...targetContacts, ...linked(dealLinks, 'deal', 'contact')]);
  const contactLinks = await records.associationsOf(tenantId, 'contact', [...contactIds]);
  const dealIds = new Set([...targetDeals, ...linked(contactLinks, 'contact', 'deal')]);
  const links = new Map<string, (typeof dealLinks)[number]>();
  for (const a of [...contactLinks, ...(await records.associationsOf(tenantId, 'deal', [...dealIds]))])
    links.set(`${a.fromType}:${a.fromId}:${a.toType}:${a.toId}:${a.label}`, a);
  const loaded = (type: string, id: string) =>
    type === 'deal' ? dealIds.has(id) : type === 'contact' ? contactIds.has(id) : type === 'company';
  const associations = [...links.values()].filter((a) => loaded(a.fromType, a.fromId) && loaded(a.toType, a.toId));
  const [contacts, deals, lineItems, stageChanges] = await Promise.all([
    records.listByIds(tenantId, 'contact', [...contactIds]),
    records.listByIds(tenantId, 'deal', [...dealIds]),
    records.lineItemsOfDeals(tenantId, [...dealIds]),
    records.stageHistoryOf(tenantId, [...dealIds]),
  ]);
  const companyIds = new Set<string>();
  for (const r of [...contacts, ...deals]) if (r.companyId) companyIds.add(r.companyId);
  for (const a of associations) {
    if (a.fromType === 'company') companyIds.add(a.fromId);
    if (a.toType === 'company') companyIds.add(a.toId);
  }
  const [companies, products] = await Promise.all([
    records.listByIds(tenantId, 'company', [...companyIds]),
    records.listByIds(
      tenantId,
      'product',
      lineItems.flatMap((li) => (li.productId ? [li.productId] : [])),
    ),
  ]);
  const previous = await results.previousOf(
    tenantId,
    new Map([
      ['deal', [...targetDeals]],
      ['contact', [...contactIds]],
    ]),
  );
  return {
    tenantId,
    contacts,
    companies,
    deals,
    lineItems,
    products,
    // The engine reads owners by id from the deals (their win rates are in the stored models), not the table.
    owners: [],
    associations,
    stageChanges,
    previous: { members: previous.members, scores: previous.scores, current: previous.current },
    recommendations: previous.recommendations,
    targets: { deals: [...targetDeals].sort(), contacts: [...targetContacts].sort() },
  };
}
