import { soqlError } from '../errors.js';

/**
 * A parser for the SOQL subset a connector needs: field lists (relationship fields one level deep, COUNT()),
 * WHERE with AND / OR / NOT and parentheses (mixing AND and OR without parentheses is refused, as SOQL does),
 * comparison operators, IN / NOT IN, LIKE, date and datetime literals and date keywords, ORDER BY, LIMIT, OFFSET;
 * and aggregate queries: `COUNT(field)` with an optional alias, beside the GROUP BY fields.
 * Errors are MALFORMED_QUERY with Salesforce's row/column pointer.
 */
export interface Position {
  row: number;
  column: number;
}

export interface FieldRef {
  path: string[];
  pos: Position;
}

export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'date'; value: string }
  | { kind: 'datetime'; value: number }
  | { kind: 'dateKeyword'; name: string; n?: number };

export type Condition =
  | { kind: 'and' | 'or'; items: Condition[] }
  | { kind: 'not'; item: Condition }
  | { kind: 'compare'; field: FieldRef; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: Literal; pos: Position }
  | { kind: 'in'; field: FieldRef; negated: boolean; values: Literal[]; pos: Position }
  | { kind: 'like'; field: FieldRef; pattern: string; pos: Position };

export interface OrderItem {
  field: FieldRef;
  descending: boolean;
  nullsLast: boolean;
}

/** `COUNT(field) [alias]` in an aggregate query's SELECT list, at `index` among the selected items. */
export interface Aggregate {
  fn: 'count';
  field: FieldRef;
  alias?: string;
  index: number;
  pos: Position;
}

export interface SoqlQuery {
  text: string;
  count: boolean;
  fields: FieldRef[];
  /** Aggregate functions selected (an aggregate query: the rows are AggregateResult records). */
  aggregates?: Aggregate[];
  /** Aliases of plain fields in an aggregate query, by their index in `fields`. */
  aliases?: Map<number, string>;
  /** Where each selected item goes in the output, in SELECT order: a field (index in `fields`) or an aggregate. */
  items?: Array<{ field: number } | { aggregate: number }>;
  groupBy?: FieldRef[];
  from: { name: string; pos: Position };
  where?: Condition;
  orderBy: OrderItem[];
  limit?: number;
  offset?: number;
}

interface Token {
  type: 'ident' | 'string' | 'number' | 'datetime' | 'date' | 'op' | 'punct' | 'eof';
  value: string;
  pos: Position;
}

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})/;
const DATE = /^\d{4}-\d{2}-\d{2}(?![T\d])/;
const NUMBER = /^-?\d+(?:\.\d+)?(?![\w-])/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/;
const ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  f: '\f',
  "'": "'",
  '"': '"',
  '\\': '\\',
  _: '\\_',
  '%': '\\%',
};

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let row = 1;
  let lineStart = 0;
  const pos = (at: number): Position => ({ row, column: at - lineStart + 1 });
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      i++;
      row++;
      lineStart = i;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    const start = pos(i);
    if (c === "'") {
      let value = '';
      let j = i + 1;
      for (; j < text.length; j++) {
        const ch = text[j]!;
        if (ch === '\\') {
          const next = text[j + 1];
          const mapped = next === undefined ? undefined : ESCAPES[next];
          if (mapped === undefined)
            throw soqlError(
              'MALFORMED_QUERY',
              text,
              pos(j),
              `Invalid string literal '${rest.slice(0, j - i + 2)}'. Illegal character sequence '\\${next ?? ''}' in string literal.`,
            );
          value += mapped;
          j++;
        } else if (ch === "'") break;
        else value += ch;
      }
      if (j >= text.length)
        throw soqlError(
          'MALFORMED_QUERY',
          text,
          start,
          `line ${row}:${start.column - 1} mismatched character '<EOF>' expecting '''`,
        );
      tokens.push({ type: 'string', value, pos: start });
      i = j + 1;
      continue;
    }
    const datetime = DATETIME.exec(rest);
    if (datetime) {
      tokens.push({ type: 'datetime', value: datetime[0], pos: start });
      i += datetime[0].length;
      continue;
    }
    const date = DATE.exec(rest);
    if (date) {
      tokens.push({ type: 'date', value: date[0], pos: start });
      i += date[0].length;
      continue;
    }
    const number = NUMBER.exec(rest);
    if (number) {
      tokens.push({ type: 'number', value: number[0], pos: start });
      i += number[0].length;
      continue;
    }
    const ident = IDENT.exec(rest);
    if (ident) {
      tokens.push({ type: 'ident', value: ident[0], pos: start });
      i += ident[0].length;
      continue;
    }
    const op = /^(?:!=|<>|<=|>=|=|<|>)/.exec(rest);
    if (op) {
      tokens.push({ type: 'op', value: op[0] === '<>' ? '!=' : op[0], pos: start });
      i += op[0].length;
      continue;
    }
    if ('(),:'.includes(c)) {
      tokens.push({ type: 'punct', value: c, pos: start });
      i++;
      continue;
    }
    throw soqlError('MALFORMED_QUERY', text, start, `unexpected token: '${c}'`);
  }
  tokens.push({ type: 'eof', value: '<EOF>', pos: pos(i) });
  return tokens;
}

const RESERVED = new Set([
  'select',
  'from',
  'where',
  'and',
  'or',
  'not',
  'in',
  'like',
  'order',
  'by',
  'asc',
  'desc',
  'nulls',
  'first',
  'last',
  'limit',
  'offset',
  'null',
  'true',
  'false',
  'group',
  'having',
  'with',
]);

export function parseSoql(text: string): SoqlQuery {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at]!;
  const next = () => tokens[at++]!;
  const unexpected = (token: Token): never => {
    throw soqlError(
      'MALFORMED_QUERY',
      text,
      token.pos,
      token.type === 'eof' ? 'unexpected token: <EOF>' : `unexpected token: '${token.value}'`,
    );
  };
  const isKeyword = (token: Token, word: string) => token.type === 'ident' && token.value.toLowerCase() === word;
  const expectKeyword = (word: string): Token => {
    const token = next();
    if (!isKeyword(token, word)) unexpected(token);
    return token;
  };
  const expectPunct = (p: string) => {
    const token = next();
    if (token.type !== 'punct' || token.value !== p) unexpected(token);
  };
  const fieldRef = (): FieldRef => {
    const token = next();
    if (token.type !== 'ident' || RESERVED.has(token.value.toLowerCase())) unexpected(token);
    return { path: token.value.split('.'), pos: token.pos };
  };

  expectKeyword('select');
  let count = false;
  const fields: FieldRef[] = [];
  const aggregates: Aggregate[] = [];
  const aliases = new Map<number, string>();
  const items: NonNullable<SoqlQuery['items']> = [];
  const aliasTokens: Token[] = [];
  if (isKeyword(peek(), 'count') && tokens[at + 1]?.value === '(' && tokens[at + 2]?.value === ')') {
    next();
    expectPunct('(');
    expectPunct(')');
    count = true;
  } else {
    for (;;) {
      if (isKeyword(peek(), 'count') && tokens[at + 1]?.value === '(') {
        const fn = next();
        expectPunct('(');
        const field = fieldRef();
        expectPunct(')');
        aggregates.push({ fn: 'count', field, index: items.length, pos: fn.pos });
        items.push({ aggregate: aggregates.length - 1 });
      } else {
        fields.push(fieldRef());
        items.push({ field: fields.length - 1 });
      }
      // An alias: a plain word after the item, before a comma or FROM (otherwise the word is the error).
      const after = tokens[at + 1];
      if (
        peek().type === 'ident' &&
        !RESERVED.has(peek().value.toLowerCase()) &&
        !peek().value.includes('.') &&
        after !== undefined &&
        ((after.type === 'punct' && after.value === ',') || isKeyword(after, 'from'))
      ) {
        const aliasToken = next();
        aliasTokens.push(aliasToken);
        const alias = aliasToken.value;
        const item = items.at(-1)!;
        if ('aggregate' in item) aggregates[item.aggregate]!.alias = alias;
        else aliases.set(item.field, alias);
      }
      if (peek().type === 'punct' && peek().value === ',') {
        next();
        continue;
      }
      break;
    }
  }
  expectKeyword('from');
  const fromToken = next();
  if (fromToken.type !== 'ident' || fromToken.value.includes('.') || RESERVED.has(fromToken.value.toLowerCase())) {
    unexpected(fromToken);
  }
  const query: SoqlQuery = { text, count, fields, from: { name: fromToken.value, pos: fromToken.pos }, orderBy: [] };
  if (aggregates.length > 0) Object.assign(query, { aggregates, items });
  if (aliases.size > 0) query.aliases = aliases;

  const literal = (): Literal => {
    const token = next();
    switch (token.type) {
      case 'string':
        return { kind: 'string', value: token.value };
      case 'number':
        return { kind: 'number', value: Number(token.value) };
      case 'date':
        return { kind: 'date', value: token.value };
      case 'datetime':
        return { kind: 'datetime', value: Date.parse(token.value) };
      case 'ident': {
        const word = token.value.toLowerCase();
        if (word === 'null') return { kind: 'null' };
        if (word === 'true' || word === 'false') return { kind: 'boolean', value: word === 'true' };
        if (/^[A-Z0-9_]+$/i.test(token.value) && !token.value.includes('.')) {
          const name = token.value.toUpperCase();
          if (peek().type === 'punct' && peek().value === ':') {
            next();
            const n = next();
            if (n.type !== 'number') unexpected(n);
            return { kind: 'dateKeyword', name, n: Number(n.value) };
          }
          return { kind: 'dateKeyword', name };
        }
        return unexpected(token);
      }
      default:
        return unexpected(token);
    }
  };

  const primary = (): Condition => {
    if (peek().type === 'punct' && peek().value === '(') {
      next();
      const inner = disjunction();
      expectPunct(')');
      return inner;
    }
    if (isKeyword(peek(), 'not')) {
      next();
      return { kind: 'not', item: primary() };
    }
    const field = fieldRef();
    const opToken = peek();
    if (opToken.type === 'op') {
      next();
      return { kind: 'compare', field, op: opToken.value as '=', value: literal(), pos: opToken.pos };
    }
    if (isKeyword(opToken, 'like')) {
      next();
      const pattern = next();
      if (pattern.type !== 'string') unexpected(pattern);
      return { kind: 'like', field, pattern: pattern.value, pos: opToken.pos };
    }
    const negated = isKeyword(opToken, 'not');
    if (negated) next();
    const inToken = next();
    if (!isKeyword(inToken, 'in')) unexpected(inToken);
    expectPunct('(');
    const values: Literal[] = [];
    for (;;) {
      values.push(literal());
      const sep = next();
      if (sep.type === 'punct' && sep.value === ',') continue;
      if (sep.type === 'punct' && sep.value === ')') break;
      unexpected(sep);
    }
    return { kind: 'in', field, negated, values, pos: opToken.pos };
  };

  // SOQL refuses `a AND b OR c`: one level mixes only one of AND / OR, parentheses make the rest explicit.
  const disjunction = (): Condition => {
    const items = [primary()];
    let joiner: 'and' | 'or' | undefined;
    for (;;) {
      const token = peek();
      const word = token.type === 'ident' ? token.value.toLowerCase() : '';
      if (word !== 'and' && word !== 'or') break;
      if (joiner && joiner !== word) unexpected(token);
      joiner = word;
      next();
      items.push(primary());
    }
    return items.length === 1 ? items[0]! : { kind: joiner!, items };
  };

  if (isKeyword(peek(), 'where')) {
    next();
    query.where = disjunction();
  }
  if (isKeyword(peek(), 'group')) {
    next();
    expectKeyword('by');
    query.groupBy = [];
    for (;;) {
      query.groupBy.push(fieldRef());
      if (peek().type === 'punct' && peek().value === ',') {
        next();
        continue;
      }
      break;
    }
    query.items ??= fields.map((_, i) => ({ field: i }));
  }
  // Aliases belong to aggregate queries only.
  if (aliasTokens.length > 0 && !query.items) unexpected(aliasTokens[0]!);
  if (isKeyword(peek(), 'order')) {
    next();
    expectKeyword('by');
    for (;;) {
      const field = fieldRef();
      let descending = false;
      if (isKeyword(peek(), 'asc')) next();
      else if (isKeyword(peek(), 'desc')) {
        next();
        descending = true;
      }
      let nullsLast = descending;
      if (isKeyword(peek(), 'nulls')) {
        next();
        const which = next();
        if (isKeyword(which, 'first')) nullsLast = false;
        else if (isKeyword(which, 'last')) nullsLast = true;
        else unexpected(which);
      }
      query.orderBy.push({ field, descending, nullsLast });
      if (peek().type === 'punct' && peek().value === ',') {
        next();
        continue;
      }
      break;
    }
  }
  const integer = (): number => {
    const token = next();
    if (token.type !== 'number' || !/^\d+$/.test(token.value)) unexpected(token);
    return Number(token.value);
  };
  if (isKeyword(peek(), 'limit')) {
    next();
    query.limit = integer();
  }
  if (isKeyword(peek(), 'offset')) {
    next();
    query.offset = integer();
  }
  if (peek().type !== 'eof') unexpected(peek());
  return query;
}
