import type { ObjectType } from '../../src/domain/records.js';
import { isoAt } from '../../src/lib/clock.js';
import type { RecordChanges } from '../../src/ports/crm-connector.js';
import { ACCOUNT, CONTACT, LEAD, LINE_ITEM, type Mapped, type ObjectSpec, OPPORTUNITY, type Row, USER } from './map.js';
import { idLiteral, select } from './soql.js';
import type { StreamDeps } from './streams/common.js';
import type { GroupedSpec } from './streams/grouped-stream.js';
import { CONTACT_ROLES, STAGE_HISTORY } from './streams/index.js';

/** Ids per query: an IN list of 100 ids keeps the URL short, and its rows fit one page. */
const IDS_PER_QUERY = 100;

/** The spec that reads a record of a canonical type, by its id's key prefix (a canonical contact is a Contact or Lead). */
function specOf(type: ObjectType, id: string): ObjectSpec | undefined {
  const prefix = id.slice(0, 3);
  switch (type) {
    case 'contact':
      return prefix === '00Q' ? LEAD : prefix === '003' ? CONTACT : undefined;
    case 'company':
      return prefix === '001' ? ACCOUNT : undefined;
    case 'deal':
      return prefix === '006' ? OPPORTUNITY : undefined;
    case 'line_item':
      return prefix === '00k' ? LINE_ITEM : undefined;
    case 'owner':
      return prefix === '005' ? USER : undefined;
    default:
      return undefined;
  }
}

function merge(into: RecordChanges, from: Mapped['changes']): void {
  for (const [key, value] of Object.entries(from)) {
    if (!Array.isArray(value)) continue;
    const lists = into as Record<string, unknown[]>;
    lists[key] = [...(lists[key] ?? []), ...value];
  }
}

/**
 * The current state of a few records, for a webhook-driven recompute: each read by id with the fields and
 * mappings the sync streams use (queryAll, so a deleted or merged record shows as a removal with its
 * MasterRecordId), opportunities with their contact roles and stage history. A record Salesforce no longer has at
 * all (purged, or an id of another org) is a removal too. Every query goes through the sync's client and budget.
 */
export async function readRecords(
  deps: StreamDeps,
  refs: ReadonlyArray<{ type: ObjectType; id: string }>,
): Promise<RecordChanges> {
  const { describer, settings, clock } = deps;
  const changes: RecordChanges = { removals: [], rejected: [] };
  const bySpec = new Map<ObjectSpec, Set<string>>();
  for (const ref of refs) {
    const spec = specOf(ref.type, ref.id);
    if (!spec) {
      changes.rejected!.push({ type: ref.type, id: ref.id, reason: `not the id of a Salesforce ${ref.type}` });
      continue;
    }
    bySpec.set(spec, (bySpec.get(spec) ?? new Set()).add(ref.id));
  }
  const liveDeals: string[] = [];
  for (const [spec, idSet] of bySpec) {
    const ids = [...idSet];
    const { names } = await describer.fields(spec.object, spec.fields);
    for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
      const chunk = ids.slice(i, i + IDS_PER_QUERY);
      const rows = await allRows(deps, select({ fields: names, object: spec.object, where: [inIds('Id', chunk)] }));
      const mapped = spec.map(rows, settings);
      merge(changes, mapped.changes);
      changes.rejected!.push(...mapped.rejected);
      const seen = new Set(rows.map((r) => String(r.Id).slice(0, 15)));
      for (const id of chunk) {
        if (!seen.has(id.slice(0, 15)))
          changes.removals!.push({ type: spec.type, id, at: isoAt(clock), mergedInto: null });
      }
      if (spec === OPPORTUNITY) liveDeals.push(...(mapped.changes.deals ?? []).map((d) => d.id));
    }
  }
  for (let i = 0; i < liveDeals.length; i += IDS_PER_QUERY) {
    const chunk = liveDeals.slice(i, i + IDS_PER_QUERY);
    for (const spec of [CONTACT_ROLES, STAGE_HISTORY]) {
      const mapped = spec.map(chunk, await groupRows(deps, spec, chunk));
      merge(changes, mapped.changes);
      changes.rejected!.push(...mapped.rejected);
    }
  }
  return changes;
}

const inIds = (field: string, ids: readonly string[]) => `${field} IN (${ids.map(idLiteral).join(', ')})`;

/** The complete rows of some opportunities' group (contact roles, history), ordered as the stream orders them. */
function groupRows(deps: StreamDeps, spec: GroupedSpec, opportunityIds: readonly string[]): Promise<Row[]> {
  return allRows(
    deps,
    select({
      fields: spec.fields,
      object: spec.object,
      where: [inIds('OpportunityId', opportunityIds)],
      orderBy: ['OpportunityId', ...spec.orderWithin],
    }),
    false,
  );
}

/** Every row of a query, one query chain at a time (the sync's cursor discipline). */
async function allRows(deps: StreamDeps, soql: string, all = true): Promise<Row[]> {
  const release = await deps.chains.acquire();
  try {
    const rows: Row[] = [];
    let page = await deps.client.query(soql, { all });
    rows.push(...(page.records as Row[]));
    while (!page.done && page.nextRecordsUrl) {
      page = await deps.client.queryMore(page.nextRecordsUrl);
      rows.push(...(page.records as Row[]));
    }
    return rows;
  } finally {
    release();
  }
}
