import { describe, expect, it } from '@jest/globals';
import { segmentName } from '../../../src/engine/segments/segment-name.js';

const entry = (feature: string, z: number, mean = 1) => ({ feature, z, mean, populationMean: 1 });

describe('segmentName', () => {
  it('names a segment from its strongest differences', () => {
    expect(
      segmentName([entry('won_revenue', 1.5, 9000), entry('won_deals', 1, 4), entry('days_since_purchase', -0.8, 30)]),
    ).toBe('High value · Frequent · Recent');
    expect(segmentName([entry('won_deals', 0.1, 2)])).toBe('Typical');
  });

  it('never calls a segment of non-buyers lapsed, recent or high value', () => {
    const name = segmentName([
      entry('won_deals', -1.2, 0.1),
      entry('won_revenue', -1, 0),
      entry('days_since_purchase', 1.6, 3000),
      entry('days_since_activity', 0.9, 400),
    ]);
    expect(name).toBe('Not yet buying · Inactive');
    expect(name).not.toMatch(/Lapsed|Recent|value/);
  });
});
