import { describe, expect, it } from '@jest/globals';
import type { WriteBatchSizes } from '../../../src/ports/crm-writer.js';
import { fieldPasses, fieldWriteCalls } from '../../../src/writeback/batch-sizes.js';

const hubspot: WriteBatchSizes = { fields: 100, tasks: 100, triggers: 100 };
const salesforce: WriteBatchSizes = {
  fields: 200,
  tasks: 200,
  triggers: 200,
  bulkFields: { above: 10_000, size: 100_000, calls: 5 },
  mixedFieldTypes: true,
};

describe('write-back batch sizes', () => {
  it('counts calls per object type, or across types where the CRM mixes them', () => {
    expect(fieldWriteCalls([250, 30, 1], hubspot)).toBe(3 + 1 + 1);
    expect(fieldWriteCalls([250, 30, 1], salesforce)).toBe(2); // 281 records in calls of 200, types mixed
    expect(fieldWriteCalls([6000, 4000], salesforce)).toBe(50);
    expect(fieldWriteCalls([], salesforce)).toBe(0);
  });

  it('sends an object type above the bulk threshold as a bulk job, the rest in batches', () => {
    expect(fieldWriteCalls([12_000, 150], salesforce)).toBe(5 + 1);
    expect(fieldWriteCalls([250_000], salesforce)).toBe(3 * 5);
    expect(fieldWriteCalls([10_000], salesforce)).toBe(50); // not above the threshold
  });

  it('plans the sender passes: bulk per type first, then mixed batches of 200', () => {
    expect(
      fieldPasses(
        [
          { objectType: 'contact', n: 12_000 },
          { objectType: 'deal', n: 80 },
        ],
        salesforce,
      ),
    ).toEqual([
      { objectType: 'contact', size: 100_000, n: 12_000, until: 10_000 },
      { objectType: null, size: 200, n: Number.POSITIVE_INFINITY, until: 0 },
    ]);
    expect(fieldPasses([{ objectType: 'deal', n: 80 }], hubspot)).toEqual([
      { objectType: 'deal', size: 100, n: Number.POSITIVE_INFINITY, until: 0 },
    ]);
    expect(fieldPasses([], salesforce)).toEqual([]);
  });
});
