import type { ObjectType } from '../../../src/domain/records.js';
import type { OwnWriteCandidate, OwnWriteCheck, RecordChanges } from '../../../src/ports/crm-connector.js';
import type { Row } from '../map.js';
import { rowTime } from './common.js';

/** Fields every update moves, whoever makes it (and views move), never a change of the record's content. */
const MOVED_BY_EVERY_WRITE = [
  'LastModifiedDate',
  'LastModifiedById',
  'SystemModstamp',
  'LastViewedDate',
  'LastReferencedDate',
];

const UPSERTS: Array<[ObjectType, 'contacts' | 'companies' | 'deals']> = [
  ['contact', 'contacts'],
  ['company', 'companies'],
  ['deal', 'deals'],
];

/**
 * A page of mapped query rows without the records whose only change is crm-agent's own write-back (`check`): the query
 * row holds every field the sync reads, so each written record is compared as read, with its `SystemModstamp` as the
 * modified time (a string such as `2024-01-01T00:00:00.000+0000`, as the REST API sends datetimes:
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_valid_date_formats.htm). Their links
 * go too (the local copy already holds them). Returns the page and how many records it left out.
 */
export async function withoutOwnWrites(
  changes: RecordChanges,
  rows: readonly Row[],
  check: OwnWriteCheck | undefined,
): Promise<{ changes: RecordChanges; skipped: number }> {
  if (!check) return { changes, skipped: 0 };
  const modified = new Map<string, string>();
  for (const row of rows) {
    const at = rowTime(row, 'SystemModstamp');
    if (typeof row.Id === 'string' && at) modified.set(row.Id, at);
  }
  const out: RecordChanges = { ...changes };
  const dropped = new Set<string>();
  for (const [type, key] of UPSERTS) {
    const records = changes[key];
    if (!records?.length) continue;
    const candidates: OwnWriteCandidate[] = [];
    for (const record of records) {
      const at = modified.get(record.id);
      if (!at) continue;
      const properties = { ...record.properties };
      for (const name of MOVED_BY_EVERY_WRITE) delete properties[name];
      candidates.push({ id: record.id, modifiedAt: at, record: { ...record, properties } });
    }
    const own = await check(type, candidates);
    if (own.size === 0) continue;
    (out as Record<string, unknown>)[key] = records.filter((r) => !own.has(r.id));
    for (const id of own) dropped.add(id);
  }
  if (dropped.size === 0) return { changes, skipped: 0 };
  if (changes.associations) {
    out.associations = changes.associations
      .map((group) => ({
        ...group,
        fromIds: group.fromIds.filter((id) => !dropped.has(id)),
        links: group.links.filter((l) => !dropped.has(l.fromId)),
      }))
      .filter((group) => group.fromIds.length > 0);
  }
  return { changes: out, skipped: dropped.size };
}
