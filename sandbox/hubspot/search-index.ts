import { validationError } from './errors.js';
import type { ObjectTypeName } from './object-types.js';
import { type PropertyDefinition, parseTime } from './properties.js';

/** What the search index holds of one record: a copy of its properties as of the last indexing. */
export interface IndexedDoc {
  id: number;
  properties: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

interface Pending {
  type: ObjectTypeName;
  id: number;
  visibleAt: number;
  doc: IndexedDoc | null;
}

/**
 * The search API's view of the records. HubSpot's search runs on an index that trails the records by "a few
 * moments": with a lag, a write becomes visible to search only `lagMs` after it happened, and until then search
 * finds (and returns) the record as it was. Archived records are not searchable.
 */
export class SearchIndex {
  private readonly docs = new Map<ObjectTypeName, Map<number, IndexedDoc>>();
  private readonly pending: Pending[] = [];

  constructor(
    private readonly now: () => number,
    private lagMs: number,
  ) {}

  setLag(lagMs: number): void {
    if (lagMs > 0 && this.lagMs <= 0) {
      // From now on the index trails the records: it must hold copies, not the live values.
      for (const byId of this.docs.values()) {
        for (const doc of byId.values()) doc.properties = { ...doc.properties };
      }
    }
    this.lagMs = lagMs;
  }

  /**
   * Indexes the record's new state (or its removal, with `doc` null) after the lag. Without a lag the index
   * keeps the record's live properties (no copy: 50,000 contacts would otherwise be held twice).
   */
  put(type: ObjectTypeName, id: number, doc: IndexedDoc | null): void {
    if (this.lagMs <= 0) {
      this.apply(type, id, doc && { ...doc });
      return;
    }
    const copy = doc && { ...doc, properties: { ...doc.properties } };
    this.pending.push({ type, id, visibleAt: this.now() + this.lagMs, doc: copy });
  }

  /** Applies every pending write now (the indexer caught up). */
  flush(): void {
    for (const p of this.pending.splice(0)) this.apply(p.type, p.id, p.doc);
  }

  /** Every indexed document of a type, as search sees it now. */
  documents(type: ObjectTypeName): Iterable<IndexedDoc> {
    this.catchUp();
    return this.docs.get(type)?.values() ?? [];
  }

  private catchUp(): void {
    const now = this.now();
    let k = 0;
    while (k < this.pending.length && this.pending[k]!.visibleAt <= now) {
      const p = this.pending[k]!;
      this.apply(p.type, p.id, p.doc);
      k++;
    }
    if (k > 0) this.pending.splice(0, k);
  }

  private apply(type: ObjectTypeName, id: number, doc: IndexedDoc | null): void {
    let byId = this.docs.get(type);
    if (!byId) {
      byId = new Map();
      this.docs.set(type, byId);
    }
    if (doc) byId.set(id, doc);
    else byId.delete(id);
  }
}

export interface SearchFilter {
  propertyName: string;
  operator: string;
  value?: unknown;
  values?: unknown[];
  highValue?: unknown;
}

const OPERATORS = new Set([
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
]);

/** Limits on a search body (the documented caps HubSpot enforces). */
export const SEARCH_LIMITS = { groups: 5, filtersPerGroup: 6, filtersTotal: 18, pageSize: 200, totalResults: 10_000 };

type Lookup = (name: string) => PropertyDefinition | undefined;

/** Compiles filter groups (ORed; filters inside a group ANDed) into a predicate over indexed documents. */
export function compileFilterGroups(groups: unknown, lookup: Lookup): (doc: IndexedDoc) => boolean {
  if (groups === undefined) return () => true;
  if (!Array.isArray(groups)) throw validationError('filterGroups must be an array.');
  if (groups.length > SEARCH_LIMITS.groups) {
    throw validationError(`Too many filter groups: ${groups.length} (at most ${SEARCH_LIMITS.groups}).`);
  }
  let total = 0;
  const compiled = groups.map((group) => {
    const filters = (group as { filters?: unknown } | null)?.filters;
    if (!Array.isArray(filters)) throw validationError('Each filter group needs a filters array.');
    if (filters.length > SEARCH_LIMITS.filtersPerGroup) {
      throw validationError(
        `Too many filters in a group: ${filters.length} (at most ${SEARCH_LIMITS.filtersPerGroup}).`,
      );
    }
    total += filters.length;
    return filters.map((f) => compileFilter(f as SearchFilter, lookup));
  });
  if (total > SEARCH_LIMITS.filtersTotal) {
    throw validationError(`Too many filters: ${total} (at most ${SEARCH_LIMITS.filtersTotal}).`);
  }
  if (compiled.length === 0) return () => true;
  return (doc) => compiled.some((filters) => filters.every((f) => f(doc)));
}

function compileFilter(filter: SearchFilter, lookup: Lookup): (doc: IndexedDoc) => boolean {
  if (!filter || typeof filter.propertyName !== 'string' || typeof filter.operator !== 'string') {
    throw validationError('Each filter needs a propertyName and an operator.');
  }
  const { propertyName: name, operator } = filter;
  if (!OPERATORS.has(operator)) {
    throw validationError(`Unknown operator ${operator}: use one of ${[...OPERATORS].join(', ')}.`);
  }
  const def = lookup(name);
  const kind = sortKind(def);
  const read = (doc: IndexedDoc) => doc.properties[name];
  if (operator === 'HAS_PROPERTY') return (doc) => read(doc) !== undefined;
  if (operator === 'NOT_HAS_PROPERTY') return (doc) => read(doc) === undefined;
  if (operator === 'IN' || operator === 'NOT_IN') {
    if (!Array.isArray(filter.values)) throw validationError(`${operator} needs a values array.`);
    const wanted = new Set(filter.values.map((v) => normaliseForCompare(String(v), kind)));
    return operator === 'IN'
      ? (doc) => matchesAny(read(doc), wanted, kind, def)
      : (doc) => !matchesAny(read(doc), wanted, kind, def);
  }
  if (filter.value === undefined || filter.value === null) throw validationError(`${operator} needs a value.`);
  const value = String(filter.value);
  if (operator === 'CONTAINS_TOKEN' || operator === 'NOT_CONTAINS_TOKEN') {
    const test = tokenMatcher(value);
    return operator === 'CONTAINS_TOKEN' ? (doc) => test(read(doc)) : (doc) => !test(read(doc));
  }
  const target = comparable(value, kind, name);
  if (operator === 'BETWEEN') {
    if (filter.highValue === undefined) throw validationError('BETWEEN needs a highValue.');
    const high = comparable(String(filter.highValue), kind, name);
    return (doc) => {
      const v = docValue(doc, name, kind);
      return v !== undefined && v >= target && v <= high;
    };
  }
  return (doc) => {
    const v = docValue(doc, name, kind);
    switch (operator) {
      case 'EQ':
        return v !== undefined && v === target;
      case 'NEQ':
        return v === undefined || v !== target;
      case 'LT':
        return v !== undefined && v < target;
      case 'LTE':
        return v !== undefined && v <= target;
      case 'GT':
        return v !== undefined && v > target;
      default:
        return v !== undefined && v >= target;
    }
  };
}

type Kind = 'number' | 'time' | 'text';

function sortKind(def: PropertyDefinition | undefined): Kind {
  if (!def) return 'text';
  if (def.type === 'number') return 'number';
  if (def.type === 'date' || def.type === 'datetime') return 'time';
  return 'text';
}

function comparable(value: string, kind: Kind, name: string): number | string {
  if (kind === 'number') {
    const n = Number(value);
    if (value.trim() === '' || Number.isNaN(n))
      throw validationError(`${JSON.stringify(value)} is not a number for ${name}.`);
    return n;
  }
  if (kind === 'time') {
    const ms = parseTime(value);
    if (ms === undefined) throw validationError(`${JSON.stringify(value)} is not a valid date for ${name}.`);
    return ms;
  }
  return value.toLowerCase();
}

function docValue(doc: IndexedDoc, name: string, kind: Kind): number | string | undefined {
  const raw = doc.properties[name];
  if (raw === undefined) return undefined;
  if (kind === 'number') return Number(raw);
  if (kind === 'time') {
    const ms = Date.parse(raw);
    return Number.isNaN(ms) ? parseTime(raw) : ms;
  }
  return raw.toLowerCase();
}

function normaliseForCompare(value: string, kind: Kind): string {
  if (kind === 'number') return String(Number(value));
  if (kind === 'time') return String(parseTime(value));
  return value.toLowerCase();
}

function matchesAny(raw: string | undefined, wanted: Set<string>, kind: Kind, def: PropertyDefinition | undefined) {
  if (raw === undefined) return false;
  const parts = def?.fieldType === 'checkbox' ? raw.split(';') : [raw];
  return parts.some((p) => wanted.has(normaliseForCompare(p, kind)));
}

/** CONTAINS_TOKEN: a word of the value equals the token; `*` is a wildcard (e.g. `*@example.com`). */
function tokenMatcher(token: string): (raw: string | undefined) => boolean {
  const lower = token.toLowerCase();
  if (lower.includes('*')) {
    const pattern = new RegExp(`^${lower.split('*').map(escapeRegExp).join('.*')}$`);
    return (raw) => raw !== undefined && (pattern.test(raw.toLowerCase()) || tokens(raw).some((t) => pattern.test(t)));
  }
  return (raw) => raw !== undefined && (raw.toLowerCase() === lower || tokens(raw).includes(lower));
}

function tokens(raw: string): string[] {
  return raw
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Sorts documents by the one sort that takes effect (ties by id); keys are computed once per document. */
export function compileSort(sorts: unknown, lookup: Lookup): (docs: IndexedDoc[]) => IndexedDoc[] {
  if (sorts === undefined || (Array.isArray(sorts) && sorts.length === 0))
    return (docs) => docs.sort((a, b) => a.id - b.id);
  if (!Array.isArray(sorts)) throw validationError('sorts must be an array.');
  const first = sorts[0] as unknown;
  let name: string;
  let descending: boolean;
  if (typeof first === 'string') {
    descending = first.startsWith('-');
    name = descending ? first.slice(1) : first;
  } else if (
    first &&
    typeof first === 'object' &&
    typeof (first as { propertyName?: unknown }).propertyName === 'string'
  ) {
    name = (first as { propertyName: string }).propertyName;
    const direction = (first as { direction?: unknown }).direction ?? 'ASCENDING';
    if (direction !== 'ASCENDING' && direction !== 'DESCENDING') {
      throw validationError(`Sort direction must be ASCENDING or DESCENDING, got ${String(direction)}.`);
    }
    descending = direction === 'DESCENDING';
  } else {
    throw validationError('Each sort needs a propertyName.');
  }
  const kind = name === 'hs_object_id' ? 'number' : sortKind(lookup(name));
  const sign = descending ? -1 : 1;
  return (docs) => {
    const keyed = docs.map((doc) => ({ doc, key: docValue(doc, name, kind) }));
    keyed.sort((a, b) => {
      if (a.key === b.key) return a.doc.id - b.doc.id;
      // Records without the property sort last, whichever the direction.
      if (a.key === undefined) return 1;
      if (b.key === undefined) return -1;
      return (a.key < b.key ? -1 : 1) * sign;
    });
    return keyed.map((k) => k.doc);
  };
}

/** Free-text `query`: a prefix of a word in the type's default searchable properties. */
export function compileQuery(query: unknown): (doc: IndexedDoc) => boolean {
  if (query === undefined || query === '') return () => true;
  if (typeof query !== 'string') throw validationError('query must be a string.');
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const searchable = [
    'firstname',
    'lastname',
    'email',
    'phone',
    'company',
    'name',
    'domain',
    'dealname',
    'hs_sku',
    'hs_task_subject',
  ];
  return (doc) => {
    const text = searchable.flatMap((p) => (doc.properties[p] ? tokens(doc.properties[p]!) : []));
    const full = searchable.map((p) => doc.properties[p]?.toLowerCase() ?? '');
    return words.every((w) => text.some((t) => t.startsWith(w)) || full.some((f) => f.startsWith(w)));
  };
}
