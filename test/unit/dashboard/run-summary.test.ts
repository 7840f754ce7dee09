import { describe, expect, it } from '@jest/globals';
import { runSummaryTable, summaryRows } from '../../../src/dashboard/views/run-summary.js';

describe('summaryRows', () => {
  it('labels known figures, nests their parts under a heading and keeps each count apart from its API cost', () => {
    const rows = summaryRows({
      mode: 'incremental',
      syncSeconds: 12.345,
      planned: {
        records: 12,
        updated: 30,
        suppressed: { smallProbabilityChange: 4, modelVersionOnly: 0 },
        triggers: 9,
        calls: { fields: 1, triggers: 9, total: 10 },
      },
      sent: undefined,
      somethingNew: 1234,
    });
    expect(rows).toEqual([
      { depth: 0, label: 'Sync mode', value: 'incremental' },
      { depth: 0, label: 'Sync time (seconds)', value: '12.3' },
      { depth: 0, label: 'Planned', value: null },
      { depth: 1, label: 'Records with field changes', value: '12' },
      { depth: 1, label: 'Values updated', value: '30' },
      { depth: 1, label: 'Candidate writes not made', value: null },
      { depth: 2, label: 'Not rewritten: small probability moves', value: '4' },
      { depth: 2, label: 'Not rewritten: model version only', value: '0' },
      { depth: 1, label: 'Workflow triggers', value: '9' },
      { depth: 1, label: 'API calls the plan costs', value: null },
      { depth: 2, label: 'fields', value: '1' },
      { depth: 2, label: 'triggers', value: '9' },
      { depth: 2, label: 'total', value: '10' },
      { depth: 0, label: 'Something new', value: '1,234' },
    ]);
  });

  it('renders a table, never JSON, and says so when a run recorded nothing', () => {
    const table = String(runSummaryTable({ planned: { records: 3 } }));
    expect(table).toContain('<table id="run-summary">');
    expect(table).not.toMatch(/[{}"]\s*:/);
    expect(String(runSummaryTable({}))).toContain('recorded no figures');
  });
});
