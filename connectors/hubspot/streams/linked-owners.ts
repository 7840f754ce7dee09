import type { ObjectType } from '../../../src/domain/records.js';
import type { RecordChanges } from '../../../src/ports/crm-connector.js';
import { HubSpotApiError, type HubSpotClient } from '../client.js';
import { AssociationBatchRead } from '../schemas.js';
import { buildChanges, readByIds, type Setup, v4Links } from './record-reads.js';
import { OBJECT_SPECS, type ObjectSpec } from './specs.js';

/**
 * Links kept locally on the other end's record: a contact owns its company links, a deal its contact and company
 * links. HubSpot moves no modified date on a deal moved to another company or a contact given another
 * (non-primary) company, so the owner's own changes never show such a move; the other end's do.
 */
const OWNED_ELSEWHERE: Partial<Record<ObjectType, Array<{ apiType: string; owner: ObjectSpec }>>> = {
  company: [
    { apiType: 'contacts', owner: OBJECT_SPECS.contacts },
    { apiType: 'deals', owner: OBJECT_SPECS.deals },
  ],
  contact: [{ apiType: 'deals', owner: OBJECT_SPECS.deals }],
};

/** Whether other records own some of this type's links locally. */
export function ownsLinksElsewhere(spec: ObjectSpec): boolean {
  return (OWNED_ELSEWHERE[spec.objectType] ?? []).length > 0;
}

/**
 * For records of `spec` that changed, the links owned by the other end, read from this side: the records now
 * linked to each (v4 batch reads) are read fresh with their own links (added links, labels and the fields that
 * follow from them), and local links into these records from others are dropped (`associationTargets`).
 */
export async function linkedOwners(
  spec: ObjectSpec,
  ids: string[],
  deps: { client: HubSpotClient; setups: ReadonlyMap<string, Setup> },
  signal: AbortSignal,
): Promise<RecordChanges> {
  const out: RecordChanges = {};
  const pairs = (OWNED_ELSEWHERE[spec.objectType] ?? []).filter((p) => deps.setups.has(p.owner.name));
  if (ids.length === 0 || pairs.length === 0) return out;
  const all: Array<{ fromId: string; toType: ObjectType; toId: string }> = [];
  const unknown = new Set<string>();
  await Promise.all(
    pairs.map(async ({ apiType, owner }) => {
      let inputs: Array<{ id: string; after?: string }> = ids.map((id) => ({ id }));
      while (inputs.length > 0) {
        const batch = inputs.slice(0, 1000);
        inputs = inputs.slice(1000);
        const read = await deps.client
          .request(
            {
              method: 'POST',
              path: `/crm/v4/associations/${spec.apiType}/${apiType}/batch/read`,
              body: { inputs: batch },
              budget: 'burst',
              idempotent: true,
              signal,
            },
            AssociationBatchRead,
          )
          .catch((error: unknown) => {
            // None of them found (an all-missing batch may be answered 404 rather than 207).
            if (!(error instanceof HubSpotApiError) || error.details.status !== 404) throw error;
            for (const input of batch) unknown.add(input.id);
            return { results: [], errors: [] };
          });
        for (const result of read.results) {
          for (const to of result.to)
            all.push({ fromId: result.from.id, toType: owner.objectType, toId: to.toObjectId });
          const after = result.paging?.next?.after;
          if (after !== undefined) inputs.push({ id: result.from.id, after });
        }
        // A record deleted since it was read is answered OBJECT_NOT_FOUND: its links say nothing (it may be
        // restored with them), so none are dropped for it. An input with no links is simply absent.
        for (const error of read.errors ?? []) {
          if (error.category !== 'OBJECT_NOT_FOUND') continue;
          const named = JSON.stringify(error);
          for (const id of ids) if (named.includes(`"${id}"`)) unknown.add(id);
        }
      }
    }),
  );
  const known = ids.filter((id) => !unknown.has(id));
  const targets: NonNullable<RecordChanges['associationTargets']> = [];
  out.associationTargets = targets;
  for (const { owner } of pairs) {
    const links = all.filter((l) => l.toType === owner.objectType);
    targets.push({
      fromType: owner.objectType,
      toType: spec.objectType,
      toIds: known,
      links: links.map((l) => ({ fromId: l.toId, toId: l.fromId })),
    });
    const ownerIds = [...new Set(links.map((l) => l.toId))];
    if (ownerIds.length === 0) continue;
    const setup = deps.setups.get(owner.name)!;
    const records = await readByIds(owner, deps.client, setup.properties, ownerIds, signal);
    const ownerLinks = await v4Links(owner, deps.client, records, signal);
    mergeChanges(out, await buildChanges(owner, records, async (r) => ownerLinks.get(r.id) ?? [], setup.stages));
  }
  return out;
}

/** Appends `changes` to `into`, list by list. */
export function mergeChanges(into: RecordChanges, changes: RecordChanges): RecordChanges {
  for (const [key, value] of Object.entries(changes) as Array<[keyof RecordChanges, unknown]>) {
    if (!Array.isArray(value)) continue;
    const current = (into[key] as unknown[] | undefined) ?? [];
    (into as Record<string, unknown[]>)[key] = [...current, ...value];
  }
  return into;
}
