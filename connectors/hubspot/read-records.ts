import type { ObjectType } from '../../src/domain/records.js';
import type { Clock } from '../../src/lib/clock.js';
import type { RecordChanges } from '../../src/ports/crm-connector.js';
import { HubSpotApiError, type HubSpotClient } from './client.js';
import { BatchRead, ObjectRecord } from './schemas.js';
import { buildChanges, loadSetup, readByIds, type Setup, v4Links } from './streams/record-reads.js';
import { OBJECT_SPECS, type ObjectSpec } from './streams/specs.js';

const BATCH_LIMIT = 100;
const SPEC_OF = new Map<ObjectType, ObjectSpec>(Object.values(OBJECT_SPECS).map((s) => [s.objectType, s]));

/**
 * Reads a few records fresh for a webhook-driven recompute, the way the sync's changes phase reads them (same
 * properties, crm-agent's own included; same mapping, stage history and v4 associations), through the portal's
 * budget: `batch/read` by id, 100 a call. HubSpot answers a merged-away id with the record it lives on in, whose
 * `hs_merged_object_ids` make the old id a removal `mergedInto` it. Ids it does not return are looked up among
 * archived records (a removal at the archive time); ids it knows nowhere are removals as of now (purged).
 * Property definitions are read once per connector.
 */
export function hubspotRecordReader(deps: { client: HubSpotClient; clock: Clock }) {
  const setups = new Map<string, Promise<Setup>>();
  const signal = new AbortController().signal;
  const setupOf = (spec: ObjectSpec) => {
    let setup = setups.get(spec.name);
    if (!setup) {
      setup = loadSetup(spec, deps.client, signal);
      setup.catch(() => setups.delete(spec.name));
      setups.set(spec.name, setup);
    }
    return setup;
  };

  return async (refs: ReadonlyArray<{ type: ObjectType; id: string }>): Promise<RecordChanges> => {
    const out: RecordChanges = {};
    for (const [type, spec] of SPEC_OF) {
      const ids = [...new Set(refs.filter((r) => r.type === type && /^\d+$/.test(r.id)).map((r) => r.id))];
      if (ids.length === 0) continue;
      const setup = await setupOf(spec);
      const records = await readByIds(spec, deps.client, setup.properties, ids, signal);
      const links = await v4Links(spec, deps.client, records, signal);
      const changes = await buildChanges(spec, records, async (r) => links.get(r.id) ?? [], setup.stages);
      const accounted = new Set([
        ...records.map((r) => ObjectRecord.safeParse(r)).flatMap((r) => (r.success ? [r.data.id] : [])),
        ...(changes.removals ?? []).map((r) => r.id),
        ...(changes.rejected ?? []).map((r) => r.id),
      ]);
      const gone = ids.filter((id) => !accounted.has(id));
      if (gone.length > 0) {
        changes.removals = [...(changes.removals ?? []), ...(await removals(spec, deps, gone))];
      }
      merge(out, changes);
    }
    return out;
  };
}

/** Ids HubSpot did not return live: archived ones with their archive time, the rest (purged) as of now. */
async function removals(
  spec: ObjectSpec,
  deps: { client: HubSpotClient; clock: Clock },
  ids: string[],
): Promise<NonNullable<RecordChanges['removals']>> {
  const archivedAt = new Map<string, string>();
  for (let i = 0; i < ids.length; i += BATCH_LIMIT) {
    const read = await deps.client
      .request(
        {
          method: 'POST',
          path: `/crm/v3/objects/${spec.apiType}/batch/read`,
          query: { archived: true },
          body: { properties: [spec.modified], inputs: ids.slice(i, i + BATCH_LIMIT).map((id) => ({ id })) },
          budget: 'burst',
          idempotent: true,
        },
        BatchRead,
      )
      .catch((error: unknown) => {
        // None of them archived either (an all-missing batch read may be answered 404 rather than 207).
        if (error instanceof HubSpotApiError && error.details.status === 404) return { results: [] };
        throw error;
      });
    for (const raw of read.results) {
      const parsed = ObjectRecord.safeParse(raw);
      if (parsed.success)
        archivedAt.set(parsed.data.id, new Date(parsed.data.archivedAt ?? parsed.data.updatedAt).toISOString());
    }
  }
  const now = new Date(Math.floor(deps.clock.now())).toISOString();
  return ids.map((id) => ({ type: spec.objectType, id, at: archivedAt.get(id) ?? now }));
}

/** Appends one type's changes to the whole answer. */
function merge(into: RecordChanges, changes: RecordChanges): void {
  for (const [key, value] of Object.entries(changes) as Array<[keyof RecordChanges, unknown]>) {
    if (!Array.isArray(value)) continue;
    const current = (into[key] as unknown[] | undefined) ?? [];
    (into as Record<string, unknown[]>)[key] = [...current, ...value];
  }
}
