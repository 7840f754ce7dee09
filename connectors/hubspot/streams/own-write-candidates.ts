import type { OwnWriteCandidate } from '../../../src/ports/crm-connector.js';
import { MappingError } from '../map.js';
import { ObjectRecord } from '../schemas.js';
import { mapRecord, type Setup } from './record-reads.js';
import type { ObjectSpec } from './specs.js';

/**
 * Canonical fields a record's own properties cannot tell (they come from its associations, which a search result
 * lacks): left out of the comparison. A link moved in HubSpot changes the other side's counts, so that side is
 * re-read and the links phase reads this one's links again from there.
 */
const FROM_LINKS: Partial<Record<string, readonly string[]>> = {
  deal: ['companyId'],
  line_item: ['dealId'],
};

/**
 * The search results of the ids about to be read, as candidates for "changed only by crm-agent's own write": each
 * mapped like a read record but without associations, with its modified time. A result that does not map is no
 * candidate (it is read by id, as before).
 * Search results carry `id`, `properties` (those asked for), `createdAt`, `updatedAt` and `archived`:
 * https://developers.hubspot.com/docs/api/crm/search (CollectionResponseWithTotalSimplePublicObjectForwardPaging).
 */
export function candidatesOf(
  spec: ObjectSpec,
  rows: ReadonlyArray<{ id: string; ts: number; raw?: unknown }>,
  ids: readonly string[],
  setup: Setup,
): OwnWriteCandidate[] {
  const wanted = new Set(ids);
  const out: OwnWriteCandidate[] = [];
  for (const row of rows) {
    if (!wanted.has(row.id) || row.raw === undefined) continue;
    const parsed = ObjectRecord.safeParse(row.raw);
    if (!parsed.success) continue;
    // A property asked for and not sent has no value (compared as such: a value cleared since is a change).
    const properties = { ...parsed.data.properties };
    for (const name of setup.properties) properties[name] ??= null;
    let mapped: Record<string, unknown>;
    try {
      mapped = { ...mapRecord(spec, { ...parsed.data, properties }, [], setup.stages) } as Record<string, unknown>;
    } catch (error) {
      if (error instanceof MappingError) continue;
      throw error;
    }
    for (const key of FROM_LINKS[spec.objectType] ?? []) delete mapped[key];
    // A contact's company comes from `associatedcompanyid`, or else from its primary company link.
    if (spec.objectType === 'contact' && !parsed.data.properties.associatedcompanyid) delete mapped.companyId;
    out.push({
      id: row.id,
      modifiedAt: new Date(row.ts).toISOString(),
      record: mapped as OwnWriteCandidate['record'],
    });
  }
  return out;
}
