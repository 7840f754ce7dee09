import type { ActionFacets, ActionListRow, ActionQuery, ActionSort } from '../../store/repositories/action-list.js';
import { actionQueryString, PAGE_SIZES } from '../action-query.js';
import { type Html, html } from '../html.js';
import { num, pct } from './chart.js';
import { badge } from './layout.js';

export interface ActionsPageModel {
  rows: ActionListRow[];
  /** Actions that match the filters, on every page. */
  total: number;
  query: ActionQuery & { page: number };
  facets: ActionFacets;
  segmentNames: Map<string, string>;
  /** The page's own path; the query string is added. */
  path: string;
  csvPath: string;
  winRates: Array<{ action: string; won: number; lost: number; winRate: number | null }>;
  /** The currency worth is in (the CRM's). */
  currency?: string;
}

const label = (action: string) => action.replaceAll('_', ' ');

/**
 * The next-best-actions page: what worked so far, then the current actions as a table paged, sorted and filtered on
 * the server (owner, action, priority, segment, words), with a CSV export of the same selection.
 */
export function actionsPage(m: ActionsPageModel): Html {
  const q = m.query;
  const link = (changes: Partial<ActionQuery & { page: number }>) => `${m.path}${actionQueryString(q, changes)}`;
  const pages = Math.max(1, Math.ceil(m.total / q.limit));
  const first = m.total === 0 ? 0 : q.offset + 1;
  const last = Math.min(q.offset + q.limit, m.total);
  const sortable = (sort: ActionSort, title: string, cls = '') => {
    const active = q.sort === sort;
    const descending = active ? !q.descending : sort === 'value';
    const arrow = active ? (q.descending ? ' ▼' : ' ▲') : '';
    return html`<th class="${cls}" aria-sort="${active ? (q.descending ? 'descending' : 'ascending') : 'none'}"><a href="${link({ sort, descending, page: 1 })}">${title}${arrow}</a></th>`;
  };
  const select = (name: string, title: string, current: string | undefined, options: Array<[string, string]>) =>
    html`<label>${title} <select name="${name}"><option value="">All</option>${options.map(([value, text]) => html`<option value="${value}"${value === current ? html` selected` : ''}>${text}</option>`)}</select></label>`;
  const noOutcomes = m.winRates.length > 0 && m.winRates.every((w) => w.won + w.lost === 0);
  return html`
${noOutcomes ? html`<div class="card"><h2>What worked: win rate after each action</h2><p class="muted" id="win-rates-empty">No outcomes yet: an action counts here once its deal closes (won or lost) after the action was planned, usually days to weeks later.</p></div>` : ''}
${m.winRates.some((w) => w.won + w.lost > 0) ? html`<div class="card"><h2>What worked: win rate after each action</h2><table id="win-rates"><thead><tr><th>Action</th><th class="num">Won</th><th class="num">Lost</th><th class="num">Win rate</th></tr></thead><tbody>${m.winRates.map((w) => html`<tr><td>${label(w.action)}</td><td class="num">${w.won}</td><td class="num">${w.lost}</td><td class="num">${pct(w.winRate, 0)}</td></tr>`)}</tbody></table></div>` : ''}
<div class="card"><h2>${num(m.facets.total)} current actions</h2>
<form method="get" action="${m.path}" class="filters" id="actions-filters" role="search">
<label>Name or reason <input type="search" name="q" value="${q.text ?? ''}"></label>
${select(
  'owner',
  'Owner',
  q.ownerId,
  m.facets.owners.map((o) => [o.id, o.name]),
)}
${select(
  'action',
  'Action',
  q.action,
  m.facets.actions.map((a) => [a, label(a)]),
)}
${select(
  'priority',
  'Priority',
  q.priority,
  m.facets.priorities.map((p) => [p, p]),
)}
${select(
  'segment',
  'Segment',
  q.segmentKey,
  m.facets.segments.map((s) => [s, m.segmentNames.get(s) ?? s]),
)}
${select(
  'size',
  'Rows per page',
  String(q.limit),
  PAGE_SIZES.filter((s) => s !== PAGE_SIZES[0]).map((s) => [String(s), String(s)]),
)}
${q.sort !== 'value' ? html`<input type="hidden" name="sort" value="${q.sort}">` : ''}
${q.descending !== (q.sort === 'value') ? html`<input type="hidden" name="dir" value="${q.descending ? 'desc' : 'asc'}">` : ''}
<button type="submit">Show</button> <a href="${m.path}">Clear</a>
</form>
<p id="actions-range">${m.total === 0 ? 'No action matches these filters.' : html`Showing ${num(first)}–${num(last)} of ${num(m.total)}${m.total !== m.facets.total ? ' matching' : ''}.`} <a id="actions-csv" href="${m.csvPath}${actionQueryString(q, { page: 1, limit: PAGE_SIZES[0] })}">Download CSV</a> (all ${num(m.total)} rows of this selection)</p>
<table id="actions-table"><thead><tr>${sortable('record', 'Record')}${sortable('owner', 'Owner')}${sortable('action', 'Action')}${sortable('priority', 'Priority')}${sortable('due', 'Due')}<th>Reason</th><th>Segment</th><th>Outcome</th>${sortable('value', m.currency ? `Worth (${m.currency})` : 'Worth', 'num')}</tr></thead><tbody>
${m.rows.map((a) => html`<tr><td>${a.name}<div class="muted" style="font-size:.8rem">${a.objectType} ${a.recordId}</div></td><td>${a.ownerName ?? '—'}</td><td>${label(a.action)}</td><td>${badge(a.priority)}</td><td>${a.dueDate.slice(0, 10)}</td><td>${a.reason}</td><td>${a.segmentKey ? (m.segmentNames.get(a.segmentKey) ?? a.segmentKey) : '—'}</td><td>${a.outcome ?? '—'}</td><td class="num">${num(Math.round(a.value))}</td></tr>`)}
</tbody></table>
${pages > 1 ? html`<nav class="pager" aria-label="Pages" id="actions-pager">${q.page > 1 ? html`<a href="${link({ page: 1 })}">« First</a> <a rel="prev" href="${link({ page: q.page - 1 })}">‹ Previous</a>` : ''} <span>Page ${num(q.page)} of ${num(pages)}</span> ${q.page < pages ? html`<a rel="next" href="${link({ page: q.page + 1 })}">Next ›</a> <a href="${link({ page: pages })}">Last »</a>` : ''}</nav>` : ''}
</div>`;
}
