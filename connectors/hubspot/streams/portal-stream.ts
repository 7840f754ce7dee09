import type { Association } from '../../../src/domain/records.js';
import type { Clock } from '../../../src/lib/clock.js';
import { CrmApiError } from '../../../src/lib/errors.js';
import type { Logger } from '../../../src/lib/logger.js';
import type {
  OwnWriteCheck,
  RecordChanges,
  StreamPage,
  StreamReadContext,
  SyncMode,
  SyncStream,
} from '../../../src/ports/crm-connector.js';
import type { ClientStats, HubSpotClient } from '../client.js';
import { inlineLabel, v4Label } from '../map.js';
import { AssociationPage, describeIssues, ListPage, ObjectRecord, SearchPage } from '../schemas.js';
import { linkedOwners, ownsLinksElsewhere } from './linked-owners.js';
import { mergeGenerators } from './merge.js';
import { candidatesOf } from './own-write-candidates.js';
import { buildChanges, idOf, loadSetup, readByIds, type Setup, v4Links } from './record-reads.js';
import type { ObjectSpec } from './specs.js';

const LIST_LIMIT = 100;
const SEARCH_LIMIT = 200;

type Phase = 'list' | 'changes' | 'links' | 'archived' | 'done';

/** Links re-read from the other side per page of the links phase. */
const LINKS_PAGE = 1000;

/** One object type's position within the current phase. */
export interface TypeCursor {
  /** List paging (full listing, archived listing). */
  after?: string;
  /** This type is through the current phase. */
  finished?: boolean;
  /** Records the listing could not map; a listing with any does not sweep (it would archive them). */
  rejected?: number;
  /** Keyset position: the modified value of the last record handled, and the ids handled at exactly that value. */
  lastTs?: number;
  seen?: string[];
  /** Whether the next query starts strictly after lastTs (after a tie was read through by id). */
  strict?: boolean;
  /** Reading through more than a page of records that share lastTs, by id. */
  tieAfterId?: string;
}

/** What the stream's cursor holds: where the pass stands for every type, enough to resume after the last page. */
export interface PortalCursorState {
  mode: SyncMode;
  phase: Phase;
  /** When the pass began (ms): a full pass sweeps what it did not write since, and catches up on changes since. */
  passStartedAt: number;
  /** The changes window [start, end] on the modified date, in ms. */
  windowStart?: number;
  windowEnd?: number;
  types: Record<string, TypeCursor>;
  /** Ids per type the changes phase read whose links other records own (read again in the links phase). */
  touched?: Record<string, string[]>;
}

export interface StreamDeps {
  client: HubSpotClient;
  clock: Clock;
  logger: Logger;
  /** How far each changes window reaches back before the last one's end, for the search index's lag. */
  searchOverlapMs: number;
  /** Object types read at once in a phase. */
  concurrency: number;
}

interface Row {
  id: string;
  ts: number;
  /** The search result (the record as the index holds it, with every property the sync reads). */
  raw?: unknown;
}

interface TypePage {
  changes: RecordChanges;
  type: TypeCursor;
  /** Records read in this page whose links other records own. */
  touched?: string[];
}

/**
 * The portal's CRM objects as one resumable stream. A full pass lists every record of every type (100 per page,
 * associations inline, two types at a time) and sweeps what it did not see; then it catches up, for every type
 * at once, on what changed since the pass began (so edits, deletions and merges made while it listed are in the
 * copy when it ends); then it lists archived records, which search never finds and which do not move the modified
 * date. An incremental pass does the last two from the previous window's end, reaching back for the search
 * index's lag. Changes are found by search in keyset windows that never page past its 10,000-result cap, and read
 * fresh by id. One cursor holds every type's position, so a killed sync resumes after the last page it wrote.
 */
export function portalStream(specs: ObjectSpec[], deps: StreamDeps): SyncStream {
  return {
    name: 'crm-objects',
    read: (context) => readPortal(specs, deps, context),
  };
}

async function* readPortal(
  specs: ObjectSpec[],
  shared: StreamDeps,
  context: StreamReadContext,
): AsyncGenerator<StreamPage> {
  // This read's own request counts (other streams use the same client), reported with each page.
  const tally: ClientStats = { requests: 0, throttled: 0, retries: 0 };
  const deps: StreamDeps = { ...shared, client: shared.client.counting(tally) };
  const now = () => Math.floor(deps.clock.now());
  const setups = new Map<string, Setup>();
  await Promise.all(
    specs.map(async (spec) => {
      try {
        setups.set(spec.name, await loadSetup(spec, deps.client, context.signal));
      } catch (error) {
        if (spec.optionalScope && error instanceof CrmApiError && error.details.status === 403) {
          deps.logger.warn(
            { object: spec.apiType, reason: error.message },
            'skipping a HubSpot object the app may not read',
          );
          return;
        }
        throw error;
      }
    }),
  );
  const readable = specs.filter((s) => setups.has(s.name));
  let pendingWarnings: string[] | undefined = readable.flatMap((s) => setups.get(s.name)!.warnings);
  if (pendingWarnings.length === 0) pendingWarnings = undefined;
  let pendingDefinitions: RecordChanges['propertyDefinitions'] = readable.map((s) => ({
    objectType: s.objectType,
    definitions: setups.get(s.name)!.definitions,
  }));
  let state = startState(context, now(), deps.searchOverlapMs);
  let watermark = context.cursor?.watermark ?? null;
  const page = (changes: RecordChanges): StreamPage => {
    const { requests, throttled } = tally;
    tally.requests = 0;
    tally.throttled = 0;
    if (pendingDefinitions) {
      changes.propertyDefinitions = pendingDefinitions;
      pendingDefinitions = undefined;
    }
    if (pendingWarnings) {
      changes.warnings = [...(changes.warnings ?? []), ...pendingWarnings];
      pendingWarnings = undefined;
    }
    const cursorState = structuredClone(state) as unknown as Record<string, unknown>;
    return { changes, cursor: { watermark, state: cursorState }, requests, throttled };
  };

  while (state.phase !== 'done') {
    const phase = state.phase;
    const sources = readable
      .filter((spec) => !state.types[spec.name]?.finished)
      .map((spec) => ({
        key: spec.name,
        start: () => phaseOf(phase, spec, setups, deps, state, context.signal, context.ownWrites),
      }));
    // Listing is bound by the burst budget; finding changes alternates search and burst, so every type goes at once.
    const concurrency = phase === 'list' ? deps.concurrency : readable.length;
    for await (const { key, value } of mergeGenerators(sources, concurrency)) {
      state.types[key] = value.type;
      if (value.touched?.length) {
        state.touched ??= {};
        state.touched[key] = [...new Set([...(state.touched[key] ?? []), ...value.touched])];
      }
      yield page(value.changes);
    }
    // Every type is through this phase: record the next one.
    if (phase === 'list') {
      state = {
        mode: state.mode,
        phase: 'changes',
        passStartedAt: state.passStartedAt,
        windowStart: state.passStartedAt - deps.searchOverlapMs,
        windowEnd: now(),
        types: {},
      };
    } else if (phase === 'changes') {
      watermark = new Date(state.windowEnd!).toISOString();
      state = {
        mode: state.mode,
        phase: 'links',
        passStartedAt: state.passStartedAt,
        types: {},
        ...(state.touched ? { touched: state.touched } : {}),
      };
    } else if (phase === 'links') {
      state = { mode: state.mode, phase: 'archived', passStartedAt: state.passStartedAt, types: {} };
    } else {
      state = { mode: state.mode, phase: 'done', passStartedAt: state.passStartedAt, types: {} };
    }
    yield page({});
  }
}

function phaseOf(
  phase: Phase,
  spec: ObjectSpec,
  setups: ReadonlyMap<string, Setup>,
  deps: StreamDeps,
  state: PortalCursorState,
  signal: AbortSignal,
  ownWrites: OwnWriteCheck | undefined,
): AsyncGenerator<TypePage> {
  const cursor = { ...(state.types[spec.name] ?? {}) };
  const setup = setups.get(spec.name)!;
  if (phase === 'list') return listPhase(spec, setup, deps, cursor, state.passStartedAt, signal);
  if (phase === 'changes')
    return changesPhase(spec, setup, deps, cursor, state.windowStart!, state.windowEnd!, signal, ownWrites);
  if (phase === 'links') return linksPhase(spec, setups, deps, cursor, state.touched?.[spec.name] ?? [], signal);
  return archivedPhase(spec, deps, cursor, signal);
}

/** Lists every live record of a type; the last page sweeps what the pass did not write. */
async function* listPhase(
  spec: ObjectSpec,
  setup: Setup,
  deps: StreamDeps,
  cursor: TypeCursor,
  passStartedAt: number,
  signal: AbortSignal,
): AsyncGenerator<TypePage> {
  const { client } = deps;
  for (;;) {
    signal.throwIfAborted();
    const listed = await client.request(
      {
        method: 'GET',
        path: `/crm/v3/objects/${spec.apiType}`,
        query: {
          limit: LIST_LIMIT,
          after: cursor.after,
          properties: setup.properties.join(','),
          propertiesWithHistory: spec.history.length > 0 ? spec.history.join(',') : undefined,
          associations: spec.associations.length > 0 ? spec.associations.map((a) => a.apiType).join(',') : undefined,
        },
        budget: 'burst',
        idempotent: true,
        signal,
      },
      ListPage,
    );
    const changes = await buildChanges(
      spec,
      listed.results,
      (record) => inlineLinks(spec, record, client, signal),
      setup.stages,
    );
    const rejected = (cursor.rejected ?? 0) + (changes.rejected?.length ?? 0);
    const next = listed.paging?.next?.after;
    if (next !== undefined) {
      cursor = { after: next, rejected };
      yield { changes, type: cursor };
      continue;
    }
    if (rejected > 0) {
      deps.logger.warn(
        { object: spec.apiType, rejected },
        'the listing had records it could not read; not archiving unseen records this time',
      );
    } else {
      changes.sweep = {
        type: spec.objectType,
        notSyncedSince: new Date(passStartedAt).toISOString(),
        at: new Date(Math.floor(deps.clock.now())).toISOString(),
      };
    }
    yield { changes, type: { finished: true, rejected } };
    return;
  }
}

/**
 * Records of a type modified inside the window, found by keyset search and read fresh by id, except those whose only
 * change is crm-agent's own write-back: the search result carries every property the sync reads, and a record whose
 * values all equal the local copy (crm-agent's own as it wrote them), modified right after crm-agent wrote it, is
 * neither read nor handed out (`ownWrites`; anything else, a rep's edit included, is read).
 */
async function* changesPhase(
  spec: ObjectSpec,
  setup: Setup,
  deps: StreamDeps,
  start: TypeCursor,
  windowStart: number,
  windowEnd: number,
  signal: AbortSignal,
  ownWrites: OwnWriteCheck | undefined,
): AsyncGenerator<TypePage> {
  const { client } = deps;
  // Every property only when someone can compare them; otherwise the modified date is all a search needs.
  const properties = ownWrites ? setup.properties : [spec.modified];
  let cursor = start;
  let rows = await search(spec, client, cursor, windowStart, windowEnd, signal, properties);
  for (;;) {
    const step = planStep(cursor, rows);
    // The next search goes out now, on the search budget, while this page's records are read on the burst budget.
    const lookahead = step.done
      ? undefined
      : search(spec, client, step.next, windowStart, windowEnd, signal, properties);
    lookahead?.catch(() => undefined);
    let changes: RecordChanges = {};
    let touched: string[] = [];
    const own = ownWrites ? await ownWrites(spec.objectType, candidatesOf(spec, rows, step.ids, setup)) : undefined;
    const ids = own?.size ? step.ids.filter((id) => !own.has(id)) : step.ids;
    if (ids.length > 0) {
      const records = await readByIds(spec, client, setup.properties, ids, signal);
      const links = await v4Links(spec, client, records, signal);
      changes = await buildChanges(spec, records, async (record) => links.get(record.id) ?? [], setup.stages);
      if (ownsLinksElsewhere(spec)) touched = records.map(idOf).filter((id) => /^\d+$/.test(id));
    }
    cursor = step.next;
    if (step.done) {
      yield { changes, type: { finished: true }, touched };
      return;
    }
    if (ids.length > 0) yield { changes, type: cursor, touched };
    rows = await lookahead!;
  }
}

/**
 * After every type's changes are in: for the records read in the changes phase whose links other records own
 * locally (a company's contacts and deals, a contact's deals), those links read again from this side. A link
 * moved in HubSpot moves no modified date on the record that owns it locally, only on this side (its counts).
 * Run after the changes phase so these fresher reads land after its own.
 */
async function* linksPhase(
  spec: ObjectSpec,
  setups: ReadonlyMap<string, Setup>,
  deps: StreamDeps,
  start: TypeCursor,
  ids: string[],
  signal: AbortSignal,
): AsyncGenerator<TypePage> {
  let at = Number(start.after ?? 0);
  while (at < ids.length) {
    signal.throwIfAborted();
    const part = ids.slice(at, at + LINKS_PAGE);
    at += part.length;
    const changes = await linkedOwners(spec, part, { client: deps.client, setups }, signal);
    yield { changes, type: at < ids.length ? { after: String(at) } : { finished: true } };
  }
  if (ids.length === 0) yield { changes: {}, type: { finished: true } };
}

/** Archived records of a type (restorable deletions): removals with HubSpot's archive time. */
async function* archivedPhase(
  spec: ObjectSpec,
  deps: StreamDeps,
  start: TypeCursor,
  signal: AbortSignal,
): AsyncGenerator<TypePage> {
  let cursor = start;
  for (;;) {
    signal.throwIfAborted();
    const listed = await deps.client.request(
      {
        method: 'GET',
        path: `/crm/v3/objects/${spec.apiType}`,
        query: {
          limit: LIST_LIMIT,
          after: cursor.after,
          archived: true,
          properties: `${spec.modified},hs_merged_object_ids`,
        },
        budget: 'burst',
        idempotent: true,
        signal,
      },
      ListPage,
    );
    const removals: NonNullable<RecordChanges['removals']> = [];
    const rejected: NonNullable<RecordChanges['rejected']> = [];
    for (const raw of listed.results) {
      const parsed = ObjectRecord.safeParse(raw);
      if (!parsed.success) {
        rejected.push({ type: spec.objectType, id: idOf(raw), reason: describeIssues(parsed.error) });
        continue;
      }
      const at = new Date(parsed.data.archivedAt ?? parsed.data.updatedAt).toISOString();
      removals.push({ type: spec.objectType, id: parsed.data.id, at });
      // A survivor deleted after a merge: the records merged into it are gone with it (its own read, which would
      // have named them, never comes).
      for (const merged of (parsed.data.properties.hs_merged_object_ids ?? '').split(';')) {
        if (/^\d+$/.test(merged) && merged !== parsed.data.id)
          removals.push({ type: spec.objectType, id: merged, at, mergedInto: parsed.data.id });
      }
    }
    const next = listed.paging?.next?.after;
    const changes: RecordChanges = { removals, ...(rejected.length > 0 ? { rejected } : {}) };
    if (next === undefined) {
      yield { changes, type: { finished: true } };
      return;
    }
    cursor = { after: next };
    yield { changes, type: cursor };
  }
}

/** Where a read starts: resume an unfinished pass, else a full pass (asked for, or no watermark yet) or changes. */
function startState(context: StreamReadContext, now: number, overlapMs: number): PortalCursorState {
  const saved = context.cursor?.state as Partial<PortalCursorState> | undefined;
  const unfinished = saved?.phase !== undefined && saved.phase !== 'done' && saved.types !== undefined;
  if (unfinished && !(context.mode === 'full' && saved.mode === 'incremental')) return saved as PortalCursorState;
  const watermark = context.cursor?.watermark;
  if (context.mode === 'incremental' && watermark) {
    return {
      mode: 'incremental',
      phase: 'changes',
      passStartedAt: now,
      windowStart: Date.parse(watermark) - overlapMs,
      windowEnd: now,
      types: {},
    };
  }
  return { mode: 'full', phase: 'list', passStartedAt: now, types: {} };
}

/** The search for the next keyset page of the changes window. */
async function search(
  spec: ObjectSpec,
  client: HubSpotClient,
  state: TypeCursor,
  windowStart: number,
  windowEnd: number,
  signal: AbortSignal,
  properties: string[],
): Promise<Row[]> {
  const modified = spec.modified;
  const tie = state.tieAfterId !== undefined;
  const filters = tie
    ? [
        { propertyName: modified, operator: 'EQ', value: String(state.lastTs) },
        { propertyName: 'hs_object_id', operator: 'GT', value: state.tieAfterId },
      ]
    : [
        {
          propertyName: modified,
          operator: state.strict ? 'GT' : 'GTE',
          value: String(state.lastTs ?? windowStart),
        },
        { propertyName: modified, operator: 'LTE', value: String(windowEnd) },
      ];
  const found = await client.request(
    {
      method: 'POST',
      path: `/crm/v3/objects/${spec.apiType}/search`,
      body: {
        filterGroups: [{ filters }],
        sorts: [{ propertyName: tie ? 'hs_object_id' : modified, direction: 'ASCENDING' }],
        properties,
        limit: SEARCH_LIMIT,
      },
      budget: 'search',
      idempotent: true,
      signal,
    },
    SearchPage,
  );
  return found.results.map((r) => {
    const raw = r.properties[modified];
    const ts = raw ? Date.parse(raw) : Number.NaN;
    return { id: r.id, ts: Number.isNaN(ts) ? (state.lastTs ?? windowStart) : ts, raw: r };
  });
}

/**
 * Given the rows a keyset search returned, which ids to read now and where the next search starts. Keyset
 * (a new query from the last modified value) instead of `after` paging: it never reaches the 10,000 cap and
 * records edited meanwhile cannot shift an offset. Records sharing one modified value beyond a page are read
 * through by id.
 */
export function planStep(state: TypeCursor, rows: Row[]): { ids: string[]; next: TypeCursor; done: boolean } {
  const seen = new Set(state.seen ?? []);
  if (state.tieAfterId !== undefined) {
    const ids = rows.map((r) => r.id).filter((id) => !seen.has(id));
    if (rows.length < SEARCH_LIMIT) {
      const { tieAfterId: _t, seen: _s, ...rest } = state;
      return { ids, next: { ...rest, strict: true }, done: false };
    }
    return { ids, next: { ...state, tieAfterId: rows[rows.length - 1]!.id }, done: false };
  }
  const fresh = rows.filter((r) => !(r.ts === state.lastTs && seen.has(r.id)));
  if (rows.length === SEARCH_LIMIT && fresh.length === 0) {
    // A whole page at one modified value, all handled: read through that value by id.
    return { ids: [], next: { ...state, tieAfterId: '0' }, done: false };
  }
  const done = rows.length < SEARCH_LIMIT;
  if (rows.length === 0) return { ids: [], next: state, done };
  const lastTs = rows[rows.length - 1]!.ts;
  const atLast = rows.filter((r) => r.ts === lastTs).map((r) => r.id);
  const carried = lastTs === state.lastTs ? [...seen] : [];
  const { strict: _strict, ...rest } = state;
  return {
    ids: fresh.map((r) => r.id),
    next: { ...rest, lastTs, seen: [...new Set([...carried, ...atLast])] },
    done,
  };
}

/** Associations listed inline with a record; a truncated list is read whole through the v4 per-record endpoint. */
async function inlineLinks(
  spec: ObjectSpec,
  record: ObjectRecord,
  client: HubSpotClient,
  signal: AbortSignal,
): Promise<Association[]> {
  const out: Association[] = [];
  for (const pair of spec.associations) {
    const inline =
      record.associations?.[pair.apiType] ??
      record.associations?.[pair.apiType.replace(/_/g, ' ')] ??
      record.associations?.[pair.toType];
    if (!inline) continue;
    if (inline.paging?.next === undefined) {
      for (const r of inline.results) {
        out.push({
          fromType: spec.objectType,
          fromId: record.id,
          toType: pair.toType,
          toId: r.id,
          label: inlineLabel(r.type),
        });
      }
      continue;
    }
    let after: string | undefined;
    do {
      const page = await client.request(
        {
          method: 'GET',
          path: `/crm/v4/objects/${spec.apiType}/${record.id}/associations/${pair.apiType}`,
          query: { limit: 500, after },
          budget: 'burst',
          idempotent: true,
          signal,
        },
        AssociationPage,
      );
      for (const to of page.results) {
        for (const type of to.associationTypes) {
          out.push({
            fromType: spec.objectType,
            fromId: record.id,
            toType: pair.toType,
            toId: to.toObjectId,
            label: v4Label(type),
          });
        }
      }
      after = page.paging?.next?.after;
    } while (after !== undefined);
  }
  return out;
}
