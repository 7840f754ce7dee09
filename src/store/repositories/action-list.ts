import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';

/** The columns the actions table can be sorted by. */
export const ACTION_SORTS = ['value', 'priority', 'due', 'action', 'record', 'owner'] as const;
export type ActionSort = (typeof ACTION_SORTS)[number];

/** One page of a tenant's current next-best-actions: filters, a sort and a window. */
export interface ActionQuery {
  action?: string | undefined;
  priority?: string | undefined;
  segmentKey?: string | undefined;
  ownerId?: string | undefined;
  /** Words in the record's name or the reason (case-insensitive). */
  text?: string | undefined;
  sort: ActionSort;
  descending: boolean;
  offset: number;
  limit: number;
}

/**
 * One row as the dashboard shows it: the action with its record's name, owner and segment, and its outcome (the
 * action's own, else the latest one recorded for the same record and action).
 */
export interface ActionListRow {
  objectType: string;
  recordId: string;
  name: string;
  ownerName: string | null;
  action: string;
  priority: string;
  dueDate: string;
  reason: string;
  outcome: string | null;
  segmentKey: string | null;
  value: number;
}

/** The values each filter can take, as they occur in the tenant's current actions. */
export interface ActionFacets {
  /** All current actions (not 'none'), whatever the filters. */
  total: number;
  actions: string[];
  priorities: string[];
  /** Segment keys (the dashboard names them from the latest run's segments). */
  segments: string[];
  owners: Array<{ id: string; name: string }>;
}

const PRIORITY_RANK = sql<number>`case a.priority when 'high' then 0 when 'medium' then 1 else 2 end`;

/**
 * The next-best-actions table of the dashboard, paged, sorted and filtered in the store (a portal has one current
 * action per record, so a page never loads them all), with the record's name and owner joined in.
 */
export class ActionListRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async page(tenantId: string, q: ActionQuery): Promise<{ rows: ActionListRow[]; total: number }> {
    const base = this.filtered(tenantId, q);
    const count = await base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    const sortExpr = {
      value: sql`a.value`,
      priority: PRIORITY_RANK,
      due: sql`coalesce(a.due_date, '')`,
      action: sql`a.action`,
      record: sql`lower(${nameExpr})`,
      owner: sql`lower(coalesce(o.name, o.email, ''))`,
    }[q.sort];
    const direction = q.descending ? sql`desc` : sql`asc`;
    const rows = await base
      .select([
        'a.objectType',
        'a.recordId',
        'a.action',
        'a.priority',
        'a.dueDate',
        'a.reason',
        sql<
          string | null
        >`coalesce(a.outcome, (select h.outcome from action_history h where h.tenant_id = a.tenant_id and h.object_type = a.object_type and h.record_id = a.record_id and h.action = a.action and h.outcome is not null order by h.created_at desc limit 1))`.as(
          'outcome',
        ),
        'a.value',
        'a.segmentKey',
        sql<string>`${nameExpr}`.as('name'),
        sql<string | null>`coalesce(o.name, o.email)`.as('ownerName'),
      ])
      .orderBy(sql`${sortExpr} ${direction}`)
      .orderBy('a.actionKey')
      .offset(q.offset)
      .limit(q.limit)
      .execute();
    return {
      total: Number(count.n),
      rows: rows.map((r) => ({ ...r, dueDate: r.dueDate ?? '', value: Number(r.value) })),
    };
  }

  async facets(tenantId: string): Promise<ActionFacets> {
    const live = this.filtered(tenantId, {});
    const [total, actions, priorities, segments, owners] = await Promise.all([
      live.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
      live.select('a.action').distinct().orderBy('a.action').execute(),
      live.select('a.priority').distinct().execute(),
      live.select('a.segmentKey').distinct().where('a.segmentKey', 'is not', null).execute(),
      live
        .select(['o.id', sql<string>`coalesce(o.name, o.email, o.id)`.as('label')])
        .distinct()
        .where('o.id', 'is not', null)
        .orderBy('label')
        .execute(),
    ]);
    const rank = { high: 0, medium: 1, low: 2 } as Record<string, number>;
    return {
      total: Number(total.n),
      actions: actions.map((r) => r.action),
      priorities: priorities.map((r) => r.priority).sort((x, y) => (rank[x] ?? 3) - (rank[y] ?? 3)),
      segments: segments.map((r) => r.segmentKey!),
      owners: owners.map((r) => ({ id: r.id!, name: r.label })),
    };
  }

  private filtered(tenantId: string, q: Omit<ActionQuery, 'sort' | 'descending' | 'offset' | 'limit'>) {
    let query = this.db
      .selectFrom('actions as a')
      .leftJoin('contacts as c', (j) =>
        j.onRef('c.tenantId', '=', 'a.tenantId').onRef('c.id', '=', 'a.recordId').on('a.objectType', '=', 'contact'),
      )
      .leftJoin('deals as d', (j) =>
        j.onRef('d.tenantId', '=', 'a.tenantId').onRef('d.id', '=', 'a.recordId').on('a.objectType', '=', 'deal'),
      )
      .leftJoin('owners as o', (j) =>
        j.onRef('o.tenantId', '=', 'a.tenantId').on(sql`o.id`, '=', sql`coalesce(d.owner_id, c.owner_id)`),
      )
      .where('a.tenantId', '=', tenantId)
      .where('a.action', '!=', 'none');
    if (q.action) query = query.where('a.action', '=', q.action);
    if (q.priority) query = query.where('a.priority', '=', q.priority);
    if (q.segmentKey) query = query.where('a.segmentKey', '=', q.segmentKey);
    if (q.ownerId) query = query.where(sql`coalesce(d.owner_id, c.owner_id)`, '=', q.ownerId);
    const text = q.text?.trim().toLowerCase();
    if (text) {
      const like = `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
      query = query.where((eb) =>
        eb.or([
          eb(sql`lower(${nameExpr})`, 'like', sql`${like} escape '\\'`),
          eb(sql`lower(a.reason)`, 'like', sql`${like} escape '\\'`),
        ]),
      );
    }
    return query;
  }
}

/** The record's name as a rep knows it: the deal's name, the contact's full name or email, else its id. */
const nameExpr = sql`coalesce(d.name, nullif(trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')), ''), c.email, a.record_id)`;
