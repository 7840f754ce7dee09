import { describe, expect, it } from '@jest/globals';
import { actionQueryOf, actionQueryString } from '../../../src/dashboard/action-query.js';
import { safeCell } from '../../../src/dashboard/actions-csv.js';
import { type ActionsPageModel, actionsPage } from '../../../src/dashboard/views/actions-page.js';
import type { ActionListRow } from '../../../src/store/repositories/action-list.js';

const row: ActionListRow = {
  objectType: 'deal',
  recordId: '1',
  name: 'Acme renewal',
  ownerName: 'Ada Lovelace',
  action: 'discount_offer',
  priority: 'high',
  dueDate: '2026-12-01',
  reason: 'r',
  outcome: null,
  segmentKey: 'seg-1',
  value: 1234.4,
};

const model = (changes: Partial<ActionsPageModel> = {}): ActionsPageModel => ({
  rows: [row],
  total: 1,
  query: actionQueryOf({}),
  facets: { total: 1, actions: ['discount_offer'], priorities: ['high'], segments: ['seg-1'], owners: [] },
  segmentNames: new Map([['seg-1', 'Loyal buyers']]),
  path: '/dashboard/t/x/actions',
  csvPath: '/dashboard/t/x/actions.csv',
  winRates: [],
  ...changes,
});

describe('the actions page’s "What worked" card', () => {
  it('explains that no outcomes are in yet instead of a table of zeros', () => {
    const page = String(actionsPage(model({ winRates: [{ action: 'call', won: 0, lost: 0, winRate: null }] })));
    expect(page).toContain('id="win-rates-empty"');
    expect(page).not.toContain('id="win-rates"');
  });

  it('shows the table once an outcome is known', () => {
    const page = String(actionsPage(model({ winRates: [{ action: 'call', won: 2, lost: 1, winRate: 2 / 3 }] })));
    expect(page).toContain('id="win-rates"');
    expect(page).not.toContain('id="win-rates-empty"');
  });
});

describe('the actions table', () => {
  it('shows names, owners, segment names and actions in words', () => {
    const page = String(actionsPage(model()));
    expect(page).toContain('Acme renewal');
    expect(page).toContain('Ada Lovelace');
    expect(page).toContain('<td>Loyal buyers</td>');
    expect(page).toContain('<td>discount offer</td>');
    expect(page).toContain('Showing 1–1 of 1.');
    expect(page).not.toContain('id="actions-pager"');
  });

  it('pages: the range, and links to the neighbouring pages that keep the filters', () => {
    const query = actionQueryOf({ page: '2', action: 'call', owner: '7' });
    const page = String(actionsPage(model({ total: 120, query, rows: Array(50).fill(row) })));
    expect(page).toContain('Showing 51–100 of 120 matching.');
    expect(page).toContain('Page 2 of 3');
    expect(page).toContain('href="/dashboard/t/x/actions?action=call&amp;owner=7&amp;page=3"');
    expect(page).toContain('href="/dashboard/t/x/actions?action=call&amp;owner=7"');
    // The export takes the whole selection, not one page.
    expect(page).toContain('href="/dashboard/t/x/actions.csv?action=call&amp;owner=7"');
  });

  it('says so when no action matches the filters', () => {
    const page = String(actionsPage(model({ rows: [], total: 0, query: actionQueryOf({ priority: 'low' }) })));
    expect(page).toContain('No action matches these filters.');
  });
});

describe('the actions query', () => {
  it('falls back to defaults for anything unknown or malformed', () => {
    const q = actionQueryOf({ sort: 'drop table', page: '-3', size: '7', dir: 'sideways', action: ['a', 'b'] });
    expect(q).toMatchObject({ sort: 'value', descending: true, page: 1, offset: 0, limit: 50, action: undefined });
  });

  it('reads filters, sort and page, and writes them back as a short link', () => {
    const q = actionQueryOf({ q: ' acme ', priority: 'high', sort: 'due', page: '3', size: '100' });
    expect(q).toMatchObject({
      text: 'acme',
      priority: 'high',
      sort: 'due',
      descending: false,
      offset: 200,
      limit: 100,
    });
    expect(actionQueryString(q)).toBe('?q=acme&priority=high&sort=due&size=100&page=3');
    expect(actionQueryString(q, { sort: 'value', descending: true, page: 1, limit: 50 })).toBe('?q=acme&priority=high');
  });
});

describe('CSV cells', () => {
  it('never start a formula (CSV injection)', () => {
    expect(safeCell('=HYPERLINK("http://x")')).toBe('\'=HYPERLINK("http://x")');
    expect(safeCell('+1')).toBe("'+1");
    expect(safeCell('-2')).toBe("'-2");
    expect(safeCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(safeCell('Acme')).toBe('Acme');
  });
});
