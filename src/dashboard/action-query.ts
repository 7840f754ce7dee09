import { ACTION_SORTS, type ActionQuery, type ActionSort } from '../store/repositories/action-list.js';

/** Rows per page the actions table offers; the first is the default. */
export const PAGE_SIZES = [50, 100, 200] as const;

/**
 * The actions table's query from a request's query string. Anything unknown or malformed falls back to its default
 * (a hand-edited link shows the first page sorted by worth rather than an error).
 */
export function actionQueryOf(params: Record<string, unknown>): ActionQuery & { page: number } {
  const text = (key: string) => {
    const value = params[key];
    return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, 200) : undefined;
  };
  const sort = (ACTION_SORTS as readonly string[]).includes(text('sort') ?? '')
    ? (text('sort') as ActionSort)
    : 'value';
  const size = Number(text('size'));
  const limit = (PAGE_SIZES as readonly number[]).includes(size) ? size : PAGE_SIZES[0];
  const pageNumber = Number(text('page'));
  const page = Number.isSafeInteger(pageNumber) && pageNumber >= 1 ? pageNumber : 1;
  const dir = text('dir');
  return {
    action: text('action'),
    priority: text('priority'),
    segmentKey: text('segment'),
    ownerId: text('owner'),
    text: text('q'),
    sort,
    // Worth and priority read best from the top; names, owners and due dates from A and the earliest.
    descending: dir === 'desc' || (dir !== 'asc' && sort === 'value'),
    page,
    offset: (page - 1) * limit,
    limit,
  };
}

/** The query string that shows `query` with `changes` applied (defaults left out, so links stay short). */
export function actionQueryString(
  query: ActionQuery & { page: number },
  changes: Partial<ActionQuery & { page: number }> = {},
): string {
  const q = { ...query, ...changes };
  const params = new URLSearchParams();
  const put = (key: string, value: string | number | undefined, fallback?: string | number) => {
    if (value !== undefined && value !== '' && value !== fallback) params.set(key, String(value));
  };
  put('q', q.text);
  put('action', q.action);
  put('priority', q.priority);
  put('segment', q.segmentKey);
  put('owner', q.ownerId);
  put('sort', q.sort, 'value');
  put('dir', q.descending ? 'desc' : 'asc', q.sort === 'value' ? 'desc' : 'asc');
  put('size', q.limit, PAGE_SIZES[0]);
  put('page', q.page, 1);
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}
