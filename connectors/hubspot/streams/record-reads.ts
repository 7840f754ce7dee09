import type { Association, ObjectType } from '../../../src/domain/records.js';
import type { RecordChanges } from '../../../src/ports/crm-connector.js';
import type { HubSpotClient } from '../client.js';
import {
  dedupeLinks,
  MappingError,
  mapCompany,
  mapContact,
  mapDeal,
  mapLineItem,
  mapProduct,
  mapPropertyDefinitions,
  type StageMeaning,
  stageChanges,
  stageMeanings,
  v4Label,
} from '../map.js';
import {
  AssociationBatchRead,
  BatchRead,
  describeIssues,
  ObjectRecord,
  Pipelines,
  PropertiesPage,
} from '../schemas.js';
import type { ObjectSpec } from './specs.js';

/**
 * Reading records of one HubSpot object type by id, shared by the sync's changes phase and the webhook-driven
 * re-reads (`readRecords`): the property list to ask for, batch reads, v4 associations, and mapping a page of raw
 * records into changes (each record checked on its own).
 */

const ASSOCIATION_BATCH = 1000;
/** Longest comma list of property names sent in one query string (HubSpot refuses very long URLs). */
const PROPERTY_LIST_CHARS = 2500;
/** crm-agent's own properties (write-back): always read, so a plan can compare with the CRM's current value. */
const CRM_AGENT_PREFIX = 'crm_agent_';

/**
 * The property types the connector reads: those HubSpot's properties guide lists
 * (developers.hubspot.com/docs/api/crm/properties, "Property type and fieldType values"), plus `phone_number`
 * (the `PropertyCreate.type` enum of HubSpot's OpenAPI file). A type added later is left out with a warning.
 */
export const PROPERTY_TYPES: ReadonlySet<string> = new Set([
  'bool',
  'enumeration',
  'date',
  'datetime',
  'string',
  'number',
  'phone_number',
  'object_coordinates',
  'json',
]);

export type Setup = Awaited<ReturnType<typeof loadSetup>>;

const UPSERT_KEY: Record<ObjectType, keyof RecordChanges> = {
  contact: 'contacts',
  company: 'companies',
  deal: 'deals',
  line_item: 'lineItems',
  product: 'products',
  owner: 'owners',
};

/** Property definitions (and, for deals, the pipelines' stage meanings), and the property names to read. */
export async function loadSetup(spec: ObjectSpec, client: HubSpotClient, signal: AbortSignal) {
  const described = await client.request(
    { method: 'GET', path: `/crm/v3/properties/${spec.apiType}`, budget: 'burst', idempotent: true, signal },
    PropertiesPage,
  );
  const pipelines =
    spec.objectType === 'deal'
      ? await client.request(
          { method: 'GET', path: '/crm/v3/pipelines/deals', budget: 'burst', idempotent: true, signal },
          Pipelines,
        )
      : undefined;
  const readable = described.results.filter((p) => PROPERTY_TYPES.has(p.type));
  // A property of a type the connector does not know is neither described nor read: the run's data-health report
  // says so, and the sync goes on.
  const warnings = described.results
    .filter((p) => !p.archived && !PROPERTY_TYPES.has(p.type))
    .map(
      (p) =>
        `HubSpot ${spec.apiType}: property '${p.name}' of type '${p.type}' is not one the connector reads; left out`,
    );
  const definitions = mapPropertyDefinitions(spec.objectType, readable, pipelines);
  const known = new Set(readable.map((p) => p.name));
  const properties = spec.properties.filter((p) => known.has(p));
  // Custom properties (crm-agent's own first: write-back compares with them; then the account's) come along, as far
  // as the URL allows.
  let length = properties.join(',').length;
  const ours = (name: string) => (name.startsWith(CRM_AGENT_PREFIX) ? 0 : 1);
  for (const def of [...definitions].sort((a, b) => ours(a.name) - ours(b.name))) {
    if (!def.custom || properties.includes(def.name)) continue;
    if (length + def.name.length + 1 > PROPERTY_LIST_CHARS) break;
    properties.push(def.name);
    length += def.name.length + 1;
  }
  const stages: Map<string, StageMeaning> = pipelines ? stageMeanings(pipelines) : new Map();
  return { definitions, properties, stages, warnings };
}

/** Reads records by id (fresh from the source, not the search index), 100 per call (50 with history). */
export async function readByIds(
  spec: ObjectSpec,
  client: HubSpotClient,
  properties: string[],
  ids: string[],
  signal: AbortSignal,
): Promise<unknown[]> {
  const size = spec.history.length > 0 ? 50 : 100;
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += size) chunks.push(ids.slice(i, i + size));
  const read = await Promise.all(
    chunks.map((chunk) =>
      client.request(
        {
          method: 'POST',
          path: `/crm/v3/objects/${spec.apiType}/batch/read`,
          body: {
            properties,
            propertiesWithHistory: spec.history,
            inputs: chunk.map((id) => ({ id })),
          },
          budget: 'burst',
          idempotent: true,
          signal,
        },
        BatchRead,
      ),
    ),
  );
  return read.flatMap((r) => r.results);
}

/** Associations of records read by id: v4 batch reads, each input followed through its own paging. */
export async function v4Links(
  spec: ObjectSpec,
  client: HubSpotClient,
  records: unknown[],
  signal: AbortSignal,
): Promise<Map<string, Association[]>> {
  const ids = records.map(idOf).filter((id) => /^\d+$/.test(id));
  const links = new Map<string, Association[]>();
  const add = (fromId: string, found: Association[]) => links.set(fromId, [...(links.get(fromId) ?? []), ...found]);
  // Each associated type is its own request (they queue for the budget together, not one after another).
  await Promise.all(
    spec.associations.map(async (pair) => {
      let inputs: Array<{ id: string; after?: string }> = ids.map((id) => ({ id }));
      while (inputs.length > 0) {
        const batch = inputs.slice(0, ASSOCIATION_BATCH);
        inputs = inputs.slice(ASSOCIATION_BATCH);
        const read = await client.request(
          {
            method: 'POST',
            path: `/crm/v4/associations/${spec.apiType}/${pair.apiType}/batch/read`,
            body: { inputs: batch },
            budget: 'burst',
            idempotent: true,
            signal,
          },
          AssociationBatchRead,
        );
        for (const result of read.results) {
          add(
            result.from.id,
            result.to.flatMap((to) =>
              to.associationTypes.map((type) => ({
                fromType: spec.objectType,
                fromId: result.from.id,
                toType: pair.toType,
                toId: to.toObjectId,
                label: v4Label(type),
              })),
            ),
          );
          const after = result.paging?.next?.after;
          if (after !== undefined) inputs.push({ id: result.from.id, after });
        }
      }
    }),
  );
  return links;
}

/** Maps a page of raw records: each checked on its own (a malformed one is reported, the rest sync). */
export async function buildChanges(
  spec: ObjectSpec,
  raws: unknown[],
  linksOf: (record: ObjectRecord) => Promise<Association[]>,
  stages: Map<string, StageMeaning>,
): Promise<RecordChanges> {
  const upserts: unknown[] = [];
  const rejected: NonNullable<RecordChanges['rejected']> = [];
  const stageHistory: NonNullable<RecordChanges['stageHistory']> = [];
  const removals: NonNullable<RecordChanges['removals']> = [];
  const fromIds: string[] = [];
  const links: Association[] = [];
  for (const raw of raws) {
    const parsed = ObjectRecord.safeParse(raw);
    if (!parsed.success) {
      rejected.push({ type: spec.objectType, id: idOf(raw), reason: describeIssues(parsed.error) });
      continue;
    }
    const record = parsed.data;
    try {
      const recordLinks = dedupeLinks(await linksOf(record));
      const mapped = mapRecord(spec, record, recordLinks, stages);
      const history = spec.objectType === 'deal' ? stageChanges(record) : [];
      upserts.push(mapped);
      stageHistory.push(...history);
      fromIds.push(record.id);
      links.push(...recordLinks);
      for (const merged of (record.properties.hs_merged_object_ids ?? '').split(';')) {
        if (/^\d+$/.test(merged) && merged !== record.id) {
          removals.push({
            type: spec.objectType,
            id: merged,
            at: mapped.updatedAt ?? new Date(record.updatedAt).toISOString(),
            mergedInto: record.id,
          });
        }
      }
    } catch (error) {
      if (!(error instanceof MappingError)) throw error;
      rejected.push({ type: spec.objectType, id: record.id, reason: error.message });
    }
  }
  const changes: RecordChanges = { [UPSERT_KEY[spec.objectType]]: upserts } as RecordChanges;
  if (fromIds.length > 0 && spec.associations.length > 0) {
    changes.associations = spec.associations.map((pair) => ({
      fromType: spec.objectType,
      fromIds,
      toType: pair.toType,
      links: links.filter((l) => l.toType === pair.toType),
    }));
  }
  if (spec.objectType === 'deal') {
    // A line item belongs to one deal, so a deal's line items also say exactly which deal each line item is on
    // (a deal merge moves line items without touching them, so their own reads would not tell).
    const items = links.filter((l) => l.toType === 'line_item');
    if (items.length > 0) {
      changes.associations?.push({
        fromType: 'line_item',
        fromIds: [...new Set(items.map((l) => l.toId))],
        toType: 'deal',
        links: items.map((l) => ({
          fromType: 'line_item',
          fromId: l.toId,
          toType: 'deal',
          toId: l.fromId,
          label: l.label,
        })),
      });
    }
  }
  if (stageHistory.length > 0) changes.stageHistory = stageHistory;
  if (removals.length > 0) changes.removals = removals;
  if (rejected.length > 0) changes.rejected = rejected;
  return changes;
}

export function mapRecord(
  spec: ObjectSpec,
  record: ObjectRecord,
  links: Association[],
  stages: Map<string, StageMeaning>,
) {
  switch (spec.objectType) {
    case 'contact':
      return mapContact(record, links);
    case 'company':
      return mapCompany(record);
    case 'deal':
      return mapDeal(record, links, stages);
    case 'line_item':
      return mapLineItem(record, links);
    case 'product':
      return mapProduct(record);
    default:
      throw new MappingError(`no mapping for ${spec.objectType}`);
  }
}

export function idOf(raw: unknown): string {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : '?';
}
