import { SalesforceError, soqlError } from '../errors.js';
import { normalizeId } from '../ids.js';
import { compoundValue, type FieldDef, type ObjectDef, type SfRecord, type Value } from '../schema.js';
import type { OrgState } from '../state.js';
import { toJsonValue } from '../values.js';
import { dateKeywordRange } from './date-literals.js';
import type { Condition, FieldRef, Literal, SoqlQuery } from './parse.js';

export interface EvaluateOptions {
  userId: string;
  /** queryAll: include deleted (recycle bin) and archived rows. */
  includeDeleted: boolean;
  tooling?: boolean;
  /** The API version of the request, for the `attributes.url` of each row. */
  version: string;
}

export interface QueryResult {
  object: ObjectDef;
  totalSize: number;
  /** JSON-ready rows, `attributes` first, in the query's order (none for COUNT()). */
  records: Array<Record<string, unknown>>;
}

/** A resolved field path: how to read it from a row, and where to put it in the output. */
interface Resolved {
  field: FieldDef;
  /** The relationship hop, for `Account.Name`. */
  via?: { reference: FieldDef; targets: ObjectDef[] };
  get(record: SfRecord): Value;
  /** A compound field (Address, Location): its JSON object, read from its components. */
  json?(record: SfRecord): unknown;
}

const TEXT_TYPES = new Set(['string', 'textarea', 'email', 'phone', 'url', 'picklist']);
const NUMBER_TYPES = new Set(['int', 'double', 'currency', 'percent']);
const SOAP_TYPE: Record<string, string> = {
  boolean: 'boolean',
  int: 'integer',
  double: 'double',
  currency: 'currency',
  percent: 'percent',
  date: 'date',
  datetime: 'dateTime',
};

/** Runs a parsed query against the org, as `options.userId` sees it (field-level security applies). */
export function evaluateQuery(state: OrgState, query: SoqlQuery, options: EvaluateOptions): QueryResult {
  const object = state.object(query.from.name, { tooling: options.tooling ?? false });
  if (!object?.queryable) {
    throw soqlError(
      'INVALID_TYPE',
      query.text,
      query.from.pos,
      `sObject type '${query.from.name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  }
  const resolve = (ref: FieldRef) => resolveField(state, object, ref, query.text, options.userId);
  /** Compound fields can be selected, never filtered or sorted on (SOAP API Developer Guide, "Compound Fields"). */
  const scalar = (verb: 'filtered' | 'sorted') => (ref: FieldRef) => {
    const resolved = resolve(ref);
    if (resolved.json) {
      throw soqlError(
        'INVALID_FIELD',
        query.text,
        ref.pos,
        `field '${resolved.field.name}' can not be ${verb} in a query call`,
      );
    }
    return resolved;
  };
  const selected = query.fields.map((ref) => ({ ref, resolved: resolve(ref) }));
  const filter = query.where ? compileCondition(state, query.where, scalar('filtered'), query.text) : () => true;
  const order = query.orderBy.map((item) => ({ ...item, resolved: scalar('sorted')(item.field) }));
  if (query.offset !== undefined && query.offset > 2000) {
    throw new SalesforceError(400, 'NUMBER_OUTSIDE_VALID_RANGE', 'Maximum SOQL offset allowed is 2000');
  }

  const rows: SfRecord[] = [];
  for (const record of state.table(object.name).values()) {
    if (!options.includeDeleted && record.IsDeleted === true) continue;
    if (filter(record)) rows.push(record);
  }
  if (order.length > 0) {
    const keys = rows.map((r) => order.map((o) => o.resolved.get(r)));
    const index = rows.map((_, i) => i);
    index.sort((a, b) => {
      for (let k = 0; k < order.length; k++) {
        const o = order[k]!;
        const c = compareForSort(keys[a]![k]!, keys[b]![k]!, o.resolved.field, o.nullsLast, o.descending);
        if (c !== 0) return c;
      }
      return 0;
    });
    // Element by element: spreading 100,000+ rows into push() overflows the call stack.
    const sorted = index.map((i) => rows[i]!);
    for (let i = 0; i < sorted.length; i++) rows[i] = sorted[i]!;
  }
  if (query.items) return { object, ...aggregate(query, rows, resolve) };
  const start = query.offset ?? 0;
  const end = query.limit === undefined ? rows.length : start + query.limit;
  const page = rows.slice(start, end);
  if (query.count) return { object, totalSize: page.length, records: [] };

  const base = `/services/data/v${options.version}/${options.tooling ? 'tooling/' : ''}sobjects`;
  const attributes = (def: ObjectDef, id: unknown) => ({ type: def.name, url: `${base}/${def.name}/${String(id)}` });
  const records = page.map((record) => {
    const out: Record<string, unknown> = { attributes: attributes(object, record.Id) };
    for (const { resolved } of selected) {
      if (!resolved.via) {
        out[resolved.field.name] = resolved.json
          ? resolved.json(record)
          : toJsonValue(resolved.field, resolved.get(record));
        continue;
      }
      const relationship = resolved.via.reference.relationshipName!;
      const targetId = record[resolved.via.reference.name];
      if (typeof targetId !== 'string') {
        out[relationship] = null;
        continue;
      }
      if (out[relationship] === null) continue;
      const target = state.findById(targetId);
      if (!target) {
        out[relationship] = null;
        continue;
      }
      const nested = (out[relationship] as Record<string, unknown> | undefined) ?? {
        attributes: attributes(state.object(target.object)!, targetId),
      };
      nested[resolved.field.name] = resolved.json
        ? resolved.json(record)
        : toJsonValue(resolved.field, resolved.get(record));
      out[relationship] = nested;
    }
    return out;
  });
  return { object, totalSize: records.length, records };
}

/**
 * An aggregate query's rows (SOQL and SOSL Reference, "COUNT() and COUNT(fieldName)", "GROUP BY"; SOAP API
 * Developer Guide, "AggregateResult"): one AggregateResult record per group (one in all without GROUP BY, even over
 * no rows), with `attributes.type: "AggregateResult"` and no url, each selected field under its name (or alias) and
 * each aggregate under its alias or `expr0`, `expr1`… counting the unaliased ones. `COUNT(field)` counts the rows
 * where the field is not null. A plain field that is not grouped is refused as Salesforce does. Groups come in the
 * ORDER BY order (rows are sorted before grouping); LIMIT and OFFSET apply to groups.
 */
function aggregate(
  query: SoqlQuery,
  rows: SfRecord[],
  resolve: (ref: FieldRef) => Resolved,
): { totalSize: number; records: Array<Record<string, unknown>> } {
  const key = (ref: FieldRef) => ref.path.join('.').toLowerCase();
  const grouped = (query.groupBy ?? []).map((ref) => ({ ref, resolved: resolve(ref) }));
  const groupKeys = new Set((query.groupBy ?? []).map(key));
  for (const ref of query.fields) {
    if (!groupKeys.has(key(ref))) {
      throw soqlError(
        'MALFORMED_QUERY',
        query.text,
        ref.pos,
        `Field must be grouped or aggregated: ${resolve(ref).field.name}`,
      );
    }
  }
  const counted = (query.aggregates ?? []).map((a) => resolve(a.field));
  const groups = new Map<string, { values: Value[]; counts: number[] }>();
  if (!query.groupBy) groups.set(JSON.stringify([]), { values: [], counts: counted.map(() => 0) });
  for (const row of rows) {
    const values = grouped.map((g) => g.resolved.get(row));
    const id = JSON.stringify(values);
    let group = groups.get(id);
    if (!group) {
      group = { values, counts: counted.map(() => 0) };
      groups.set(id, group);
    }
    counted.forEach((field, i) => {
      const value = field.get(row);
      if (value !== null && value !== undefined) group.counts[i]! += 1;
    });
  }
  const start = query.offset ?? 0;
  const selected = [...groups.values()].slice(start, query.limit === undefined ? undefined : start + query.limit);
  const records = selected.map((group) => {
    const out: Record<string, unknown> = { attributes: { type: 'AggregateResult' } };
    let unnamed = 0;
    for (const item of query.items ?? []) {
      if ('field' in item) {
        const ref = query.fields[item.field]!;
        const g = grouped.findIndex((x) => key(x.ref) === key(ref));
        out[query.aliases?.get(item.field) ?? grouped[g]!.resolved.field.name] = toJsonValue(
          grouped[g]!.resolved.field,
          group.values[g]!,
        );
        continue;
      }
      const aggregateItem = query.aggregates![item.aggregate]!;
      const name = aggregateItem.alias ?? `expr${unnamed++}`;
      out[name] = group.counts[item.aggregate]!;
    }
    return out;
  });
  return { totalSize: records.length, records };
}

function resolveField(state: OrgState, object: ObjectDef, ref: FieldRef, text: string, userId: string): Resolved {
  let path = ref.path;
  if (path.length > 1 && path[0]!.toLowerCase() === object.name.toLowerCase()) path = path.slice(1);
  const noColumn = (name: string, on: ObjectDef) =>
    soqlError(
      'INVALID_FIELD',
      text,
      ref.pos,
      `No such column '${name}' on entity '${on.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  const visible = (def: ObjectDef, name: string): FieldDef => {
    const field = def.fields.get(name.toLowerCase());
    if (!field || !state.access(userId, def, field).read) throw noColumn(name, def);
    return field;
  };
  if (path.length === 1) {
    const field = visible(object, path[0]!);
    if (field.components) return { field, get: () => null, json: (r) => compoundValue(field, r) };
    if (field.formula) {
      const formula = field.formula;
      return { field, get: (r) => formula.compute(r, state.formulaContext()) };
    }
    const name = field.name;
    return { field, get: (r) => r[name] ?? null };
  }
  const relationshipName = path[0]!.toLowerCase();
  const reference = [...object.fields.values()].find(
    (f) => f.type === 'reference' && f.relationshipName?.toLowerCase() === relationshipName,
  );
  if (!reference || path.length > 2) {
    throw soqlError(
      'INVALID_FIELD',
      text,
      ref.pos,
      `Didn't understand relationship '${path[0]}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  }
  const targets = (reference.referenceTo ?? []).map((name) => state.object(name)!).filter(Boolean);
  const polymorphic = targets.length > 1;
  const fieldName = path[1]!;
  let field: FieldDef;
  if (polymorphic) {
    if (!['id', 'name'].includes(fieldName.toLowerCase())) throw noColumn(fieldName, targets[0]!);
    field = targets[0]!.fields.get(fieldName.toLowerCase())!;
  } else {
    field = visible(targets[0]!, fieldName);
  }
  const referenceName = reference.name;
  const targetField = field;
  const targetOf = (r: SfRecord): { target: SfRecord; f: FieldDef } | undefined => {
    const id = r[referenceName];
    if (typeof id !== 'string') return undefined;
    const target = polymorphic ? state.findById(id)?.record : state.get(targets[0]!.name, id);
    if (!target) return undefined;
    const def = polymorphic ? state.object(state.findById(id)!.object)! : targets[0]!;
    const f = def.fields.get(targetField.name.toLowerCase());
    return f ? { target, f } : undefined;
  };
  return {
    field,
    via: { reference, targets },
    get: (r) => {
      const found = targetOf(r);
      if (!found) return null;
      const { target, f } = found;
      return f.formula ? f.formula.compute(target, state.formulaContext()) : (target[f.name] ?? null);
    },
    ...(field.components
      ? {
          json: (r: SfRecord) => {
            const found = targetOf(r);
            return found ? compoundValue(found.f, found.target) : null;
          },
        }
      : {}),
  };
}

type Predicate = (record: SfRecord) => boolean;

function compileCondition(
  state: OrgState,
  condition: Condition,
  resolve: (ref: FieldRef) => Resolved,
  text: string,
): Predicate {
  switch (condition.kind) {
    case 'and': {
      const items = condition.items.map((c) => compileCondition(state, c, resolve, text));
      return (r) => items.every((p) => p(r));
    }
    case 'or': {
      const items = condition.items.map((c) => compileCondition(state, c, resolve, text));
      return (r) => items.some((p) => p(r));
    }
    case 'not': {
      const item = compileCondition(state, condition.item, resolve, text);
      return (r) => !item(r);
    }
    case 'like': {
      const resolved = resolve(condition.field);
      if (!TEXT_TYPES.has(resolved.field.type)) {
        throw soqlError(
          'INVALID_FIELD',
          text,
          condition.field.pos,
          `invalid operator on ${resolved.field.type} field: ${resolved.field.name}`,
        );
      }
      const source = condition.pattern
        .split(/(\\[%_]|[%_])/)
        .map((part) =>
          part === '%'
            ? '.*'
            : part === '_'
              ? '.'
              : part.startsWith('\\') && part.length === 2
                ? `\\${part[1]}`
                : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
        )
        .join('');
      const regex = new RegExp(`^${source}$`, 'is');
      return (r) => {
        const v = resolved.get(r);
        return typeof v === 'string' && regex.test(v);
      };
    }
    case 'in': {
      const resolved = resolve(condition.field);
      const values = condition.values.map((v) => toComparable(state, resolved.field, v, condition.field, text, '='));
      const set = new Set(values.map((v) => normalizeForEquality(resolved.field, v.value)));
      const hasNull = values.some((v) => v.value === null);
      return (r) => {
        const v = resolved.get(r);
        const inSet = v === null ? hasNull : set.has(normalizeForEquality(resolved.field, v));
        return condition.negated ? !inSet : inSet;
      };
    }
    case 'compare': {
      const resolved = resolve(condition.field);
      const literal = toComparable(state, resolved.field, condition.value, condition.field, text, condition.op);
      return comparePredicate(resolved, condition.op, literal);
    }
  }
}

type Comparable = { value: Value; range?: [Value, Value] };

/** Checks a literal against the field's type (as SOQL does) and turns it into a stored-value form. */
function toComparable(
  state: OrgState,
  field: FieldDef,
  literal: Literal,
  ref: FieldRef,
  text: string,
  op: string,
): Comparable {
  const typeName = SOAP_TYPE[field.type] ?? 'string';
  const wrongType = () =>
    soqlError(
      'INVALID_FIELD',
      text,
      ref.pos,
      `value of filter criterion for field '${field.name}' must be of type ${typeName} and should not be enclosed in quotes`,
    );
  if (literal.kind === 'null') {
    if (op !== '=' && op !== '!=') throw wrongType();
    return { value: null };
  }
  if (field.type === 'id' || field.type === 'reference') {
    if (literal.kind !== 'string') throw wrongType();
    const id = normalizeId(literal.value);
    if (!id) {
      if (op === '=' || op === '!=') {
        throw soqlError('INVALID_QUERY_FILTER_OPERATOR', text, ref.pos, `invalid ID field: ${literal.value}`);
      }
      return { value: literal.value };
    }
    return { value: id };
  }
  if (TEXT_TYPES.has(field.type)) {
    if (literal.kind !== 'string') throw wrongType();
    return { value: literal.value };
  }
  if (field.type === 'boolean') {
    if (literal.kind !== 'boolean') throw wrongType();
    return { value: literal.value };
  }
  if (NUMBER_TYPES.has(field.type)) {
    if (literal.kind !== 'number') throw wrongType();
    return { value: literal.value };
  }
  if (literal.kind === 'dateKeyword') {
    const range = dateKeywordRange(literal.name, literal.n, state.clock.now());
    if (!range) throw soqlError('MALFORMED_QUERY', text, ref.pos, `unexpected token: '${literal.name}'`);
    if (field.type === 'date') {
      const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      return { value: day(range[0]), range: [day(range[0]), day(range[1])] };
    }
    return { value: range[0], range };
  }
  if (field.type === 'date') {
    if (literal.kind !== 'date') throw wrongType();
    return { value: literal.value };
  }
  if (field.type === 'datetime') {
    if (literal.kind !== 'datetime') throw wrongType();
    return { value: literal.value };
  }
  throw wrongType();
}

function normalizeForEquality(field: FieldDef, value: Value): Value {
  return typeof value === 'string' && field.type !== 'id' && field.type !== 'reference' ? value.toLowerCase() : value;
}

function comparePredicate(resolved: Resolved, op: string, literal: Comparable): Predicate {
  const { field, get } = resolved;
  if (literal.range) {
    const [start, end] = literal.range as [number | string, number | string];
    return (r) => {
      const v = get(r) as number | string | null;
      if (v === null) return op === '!=';
      switch (op) {
        case '=':
          return v >= start && v < end;
        case '!=':
          return v < start || v >= end;
        case '<':
          return v < start;
        case '<=':
          return v < end;
        case '>':
          return v >= end;
        default:
          return v >= start;
      }
    };
  }
  const target = normalizeForEquality(field, literal.value);
  return (r) => {
    const raw = get(r);
    if (op === '=' || op === '!=') {
      const equal = normalizeForEquality(field, raw) === target;
      return op === '=' ? equal : !equal;
    }
    if (raw === null || target === null) return false;
    const c = compareValues(normalizeForEquality(field, raw), target);
    switch (op) {
      case '<':
        return c < 0;
      case '<=':
        return c <= 0;
      case '>':
        return c > 0;
      default:
        return c >= 0;
    }
  };
}

function compareValues(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function compareForSort(a: Value, b: Value, field: FieldDef, nullsLast: boolean, descending: boolean): number {
  if (a === null || b === null) {
    if (a === b) return 0;
    return (a === null) === nullsLast ? 1 : -1;
  }
  const c = compareValues(normalizeForEquality(field, a), normalizeForEquality(field, b));
  return descending ? -c : c;
}
