import { describe, expect, it } from '@jest/globals';
import type { CrmWriter } from '../../../src/ports/crm-writer.js';
import type { WritePlan } from '../../../src/writeback/plan-writes.js';
import { withoutSkipped } from '../../../src/writeback/write-back.js';

describe('the write plan without fields provisioning could not make writable', () => {
  it('drops the skipped field of that object type only, and updates left with nothing', () => {
    const update = (objectType: 'deal' | 'contact', recordId: string, values: Record<string, number>) => ({
      key: `${objectType}:${recordId}`,
      objectType,
      recordId,
      values,
      changes: Object.keys(values).map((field) => ({ field, from: null, to: '1' })),
    });
    const plan: WritePlan = {
      fields: [
        update('deal', 'd1', { crm_agent_win_probability: 40, crm_agent_priority: 2 }),
        update('deal', 'd2', { crm_agent_win_probability: 70 }),
        update('contact', 'c1', { crm_agent_win_probability: 10 }),
      ],
      tasks: [],
      closes: [],
      releases: [],
      triggers: [],
      stats: {
        updated: 4,
        restored: 0,
        editedInCrm: 0,
        suppressed: {
          smallProbabilityChange: 0,
          withinUncertainty: 0,
          modelOnly: 0,
          modelVersionOnly: 0,
          smallForecastChange: 0,
          reasonsWithoutScoreMove: 0,
        },
      },
      calls: { reads: 0, fields: 1, tasks: 0, closes: 0, triggers: 0, total: 1 },
    };
    const writer = { propertyName: (f: { name: string }) => f.name } as unknown as CrmWriter;
    const skipped = [{ objectType: 'deal' as const, field: 'crm_agent_win_probability', reason: 'retyped' }];
    const out = withoutSkipped(plan, skipped, writer);
    expect(out.fields.map((f) => [f.key, f.values])).toEqual([
      ['deal:d1', { crm_agent_priority: 2 }],
      ['contact:c1', { crm_agent_win_probability: 10 }],
    ]);
    expect(out.fields[0]!.changes.map((c) => c.field)).toEqual(['crm_agent_priority']);
    expect(withoutSkipped(plan, [], writer)).toBe(plan);
  });
});
