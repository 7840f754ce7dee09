import { describe, expect, it } from '@jest/globals';
import { actionsPage } from '../../../src/dashboard/views/results-pages.js';
import type { StoredAction } from '../../../src/store/repositories/results.js';

const action = {
  action: 'call',
  recordId: '1',
  objectType: 'deal',
  priority: 'high',
  dueDate: '2026-12-01',
  reason: 'r',
};

describe('the actions page’s "What worked" card', () => {
  it('explains that no outcomes are in yet instead of a table of zeros', () => {
    const page = String(
      actionsPage({
        actions: [action as unknown as StoredAction],
        names: new Map(),
        winRates: [{ action: 'call', won: 0, lost: 0, winRate: null }],
      }),
    );
    expect(page).toContain('id="win-rates-empty"');
    expect(page).not.toContain('id="win-rates"');
  });

  it('shows the table once an outcome is known', () => {
    const page = String(
      actionsPage({
        actions: [action as unknown as StoredAction],
        names: new Map(),
        winRates: [{ action: 'call', won: 2, lost: 1, winRate: 2 / 3 }],
      }),
    );
    expect(page).toContain('id="win-rates"');
    expect(page).not.toContain('id="win-rates-empty"');
  });
});
