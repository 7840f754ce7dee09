import { describe, expect, it } from '@jest/globals';
import { NO_SEGMENT, relativeRiskText, usualChurnRisk } from '../../../src/engine/nba/relative-risk.js';
import type { RecordScore } from '../../../src/engine/types.js';

const score = (kind: 'churn' | 'conversion', probability: number): RecordScore => ({
  objectType: 'contact',
  recordId: `c${probability}`,
  kind,
  probability,
  previousProbability: null,
  reasons: [],
  modelVersion: 'v',
});

describe('relativeRiskText', () => {
  it.each([
    [0.92, 0.84, 'this segment', '1.1× the usual for this segment (84 %)'],
    [0.46, 0.2, 'this segment', '2.3× the usual for this segment (20 %)'],
    [0.5, 0.8, 'customers', '0.6× the usual for customers (80 %)'],
    [0.88, 0.9, 'this segment', 'about the usual for this segment (90 %)'],
    [0.9, 0.05, 'this segment', '18× the usual for this segment (5 %)'],
  ])('risk %d against a usual %d: %s', (p, usual, group, text) => {
    expect(relativeRiskText(p, usual, group)).toBe(text);
  });

  it('says nothing without a usual risk to compare with', () => {
    expect(relativeRiskText(0.5, undefined, 'this segment')).toBeNull();
    expect(relativeRiskText(0.5, 0, 'this segment')).toBeNull();
    expect(relativeRiskText(0.5, Number.NaN, 'this segment')).toBeNull();
  });
});

describe('usualChurnRisk', () => {
  it('is the mean churn risk of the customers in each segment; prospects are left out', () => {
    const scores = [
      score('churn', 0.9),
      score('churn', 0.7),
      score('conversion', 0.1),
      score('churn', 0.4),
      score('churn', 0.2),
    ];
    const segment = ['a', 'a', 'a', 'b', null];
    expect(usualChurnRisk(scores, (i) => segment[i]!)).toEqual({
      [NO_SEGMENT]: 0.2,
      a: expect.closeTo(0.8, 12),
      b: 0.4,
    });
  });
});
