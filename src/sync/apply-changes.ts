import { CRM_CURRENCY_KEY, crmCurrencySchema } from '../domain/crm-currency.js';
import type { ObjectType } from '../domain/records.js';
import type { RecordChanges } from '../ports/crm-connector.js';
import type { Repositories } from '../store/repositories/index.js';

/** Records written per object type by one page. */
export type ChangeCounts = Partial<
  Record<ObjectType | 'associations' | 'removed' | 'erased' | 'swept' | 'rejected' | 'properties' | 'currency', number>
>;

/** Applies one page of changes to the local copy (inside the runner's transaction) and counts them. */
export async function applyChanges(
  repos: Repositories,
  tenantId: string,
  changes: RecordChanges,
): Promise<ChangeCounts> {
  const counts: ChangeCounts = {};
  const add = (key: keyof ChangeCounts, n: number) => {
    if (n > 0) counts[key] = (counts[key] ?? 0) + n;
  };
  const upserts = [
    ['contact', changes.contacts],
    ['company', changes.companies],
    ['deal', changes.deals],
    ['line_item', changes.lineItems],
    ['product', changes.products],
    ['owner', changes.owners],
  ] as const;
  for (const [type, all] of upserts) {
    if (!all?.length) continue;
    // A record erased on a privacy request never comes back, even from a page read before the erasure.
    const erased = await repos.privacy.tombstoned(
      tenantId,
      type,
      all.map((r) => r.id),
    );
    const records = erased.size === 0 ? all : all.filter((r) => !erased.has(r.id));
    await repos.records.upsert(tenantId, type, records);
    add(type, records.length);
  }
  for (const group of changes.associationTargets ?? []) {
    add(
      'associations',
      await repos.records.pruneAssociationsTo(tenantId, group.fromType, group.toType, group.toIds, group.links),
    );
  }
  for (const group of changes.associations ?? []) {
    // A link read before its target was merged away (and written after) points at the survivor instead.
    const survivors = await repos.records.survivors(
      tenantId,
      group.toType,
      group.links.map((l) => l.toId),
    );
    const remapped =
      survivors.size === 0 ? group.links : group.links.map((l) => ({ ...l, toId: survivors.get(l.toId) ?? l.toId }));
    // Links to or from a record erased on a privacy request would bring its id back: they are dropped.
    const erasedTo = await repos.privacy.tombstoned(
      tenantId,
      group.toType,
      remapped.map((l) => l.toId),
    );
    const erasedFrom = await repos.privacy.tombstoned(tenantId, group.fromType, group.fromIds);
    const links =
      erasedTo.size + erasedFrom.size === 0
        ? remapped
        : remapped.filter((l) => !erasedTo.has(l.toId) && !erasedFrom.has(l.fromId));
    await repos.records.replaceAssociations(tenantId, group.fromType, group.fromIds, group.toType, links);
    add('associations', group.links.length);
  }
  for (const group of changes.propertyDefinitions ?? []) {
    await repos.propertyDefinitions.replace(tenantId, group.objectType, group.definitions);
    add('properties', group.definitions.length);
  }
  if (changes.stageHistory?.length) {
    const erased = await repos.privacy.tombstoned(
      tenantId,
      'deal',
      changes.stageHistory.map((c) => c.dealId),
    );
    await repos.records.addStageHistory(
      tenantId,
      erased.size === 0 ? changes.stageHistory : changes.stageHistory.filter((c) => !erased.has(c.dealId)),
    );
  }
  for (const removal of changes.removals ?? []) {
    await repos.records.archive(tenantId, removal.type, [removal.id], removal.at, removal.mergedInto ?? null);
    if (removal.mergedInto) await repos.records.remapMerged(tenantId, removal.type, removal.id, removal.mergedInto);
    add('removed', 1);
  }
  for (const erasure of changes.erasures ?? []) {
    await repos.privacy.erase(tenantId, erasure.type, erasure.id);
    add('erased', 1);
  }
  if (changes.sweep) {
    add(
      'swept',
      await repos.records.archiveNotSyncedSince(
        tenantId,
        changes.sweep.type,
        changes.sweep.notSyncedSince,
        changes.sweep.at,
      ),
    );
  }
  if (changes.currency) {
    // Kept beside the admin's settings, which a settings save leaves in place.
    const tenant = await repos.tenants.get(tenantId);
    if (tenant) {
      const currency = crmCurrencySchema.parse(changes.currency);
      await repos.tenants.updateSettings(tenantId, { ...tenant.settings, [CRM_CURRENCY_KEY]: currency });
      add('currency', 1);
    }
  }
  add('rejected', changes.rejected?.length ?? 0);
  return counts;
}

export function addCounts(into: ChangeCounts, from: ChangeCounts): void {
  for (const [key, n] of Object.entries(from) as Array<[keyof ChangeCounts, number]>) into[key] = (into[key] ?? 0) + n;
}
