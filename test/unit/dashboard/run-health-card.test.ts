import { describe, expect, it } from '@jest/globals';
import { describeHealth } from '../../../src/cli/commands/run.js';
import { runHealthCard } from '../../../src/dashboard/views/run-health-card.js';
import { runPage } from '../../../src/dashboard/views/run-page.js';
import type { DataHealth } from '../../../src/engine/types.js';
import type { Run } from '../../../src/store/repositories/runs.js';

const warning = "HubSpot deals: property 'deal_embedding' of type 'vector' is not one the connector reads; left out";
const health: DataHealth = {
  input: { deals: 10 },
  kept: { deals: 9 },
  fixes: {
    'deals.amount_missing_filled_from_line_items': 3,
    'contacts.duplicates_merged': 1,
    a: 7,
    b: 1,
    c: 1,
    d: 1,
    'e.nothing_to_do': 0,
  },
  policy: ['Amounts…'],
  warnings: [warning],
};

describe("a run's data-health card", () => {
  it('lists each warning and the largest fixes in words, with a link to the full report', () => {
    const text = String(runHealthCard({ health, warnings: [], dataLink: '/dashboard/t/x/data' }));
    expect(text).toContain('<p class="note">1 warning: left out or skipped, the run went on without it.</p>');
    expect(text).toContain(`<ul id="health-warnings"><li>${warning.replaceAll("'", '&#39;')}</li></ul>`);
    expect(text).toContain('14 fixes applied to the input, of 6 kinds:');
    // Largest first, five by name, the rest counted; a zero count is no fix.
    expect(text).toMatch(/<tr><td>a<\/td><td class="num">7<\/td><\/tr><tr><td>deals\.amount missing filled/);
    expect(text).toContain('and 1 other kind.');
    expect(text).not.toContain('nothing to do');
    expect(text).toContain('<a href="/dashboard/t/x/data">');
  });

  it("shows a sync run's warnings from its summary, and nothing for a run with neither", () => {
    const sync = String(runHealthCard({ health: undefined, warnings: ['w1', 'w2'], dataLink: 'data' }));
    expect(sync).toContain('2 warnings: left out or skipped, the run went on without them.');
    expect(sync).not.toContain('fixes applied');
    expect(runHealthCard({ health: undefined, warnings: [], dataLink: 'data' })).toBe('');
  });

  it('is on the run page, and the summary table no longer repeats the warnings', () => {
    const run = {
      id: 'r1',
      tenantId: 't1',
      kind: 'cycle:full',
      trigger: 'cli',
      status: 'succeeded',
      startedAt: '2026-11-01T08:00:00.000Z',
      finishedAt: '2026-11-01T08:01:00.000Z',
      summary: { records: 10, warnings: [warning] },
      error: null,
    } as unknown as Run;
    const page = String(runPage(run, [], { report: health, dataLink: 'data' }));
    expect(page).toContain('id="run-health"');
    expect(page.split('deal_embedding')).toHaveLength(2);
  });
});

describe('the CLI run’s data-health lines', () => {
  it('count the fixes and print each warning on its own line', () => {
    expect(describeHealth(health, [])).toEqual([
      'data health: 14 fixes applied, 1 warning (the dashboard’s Data health page lists them)',
      `  warning: ${warning}`,
    ]);
    expect(describeHealth(undefined, ['w'])).toEqual(['data health: 1 warning', '  warning: w']);
    expect(describeHealth(undefined, [])).toEqual([]);
  });
});
