import { describe, expect, it } from '@jest/globals';
import { writebackPage } from '../../../src/dashboard/views/results-pages.js';

const base = { counts: {}, recent: [], plan: undefined, planNote: 'No run with results yet.' };

describe('the write-back page', () => {
  it('lists the fields the last run left alone, each with why, escaped', () => {
    const page = String(
      writebackPage({
        ...base,
        lastRun: {
          startedAt: '2026-11-02T08:00:00.000Z',
          stats: { updated: 3 },
          fieldsLeftAlone: ['crm_agent_win_probability — its type is now string, crm-agent writes number <x>'],
        },
      }),
    );
    expect(page).toContain('id="fields-left-alone"');
    expect(page).toContain(
      '<li>crm_agent_win_probability — its type is now string, crm-agent writes number &lt;x&gt;</li>',
    );
  });

  it('says nothing of fields left alone when there were none', () => {
    const page = String(
      writebackPage({ ...base, lastRun: { startedAt: '2026-11-02T08:00:00.000Z', stats: {}, fieldsLeftAlone: [] } }),
    );
    expect(page).toContain('id="last-run-decisions"');
    expect(page).not.toContain('fields-left-alone');
  });
});
