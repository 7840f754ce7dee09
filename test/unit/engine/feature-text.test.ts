import { describe, expect, it } from '@jest/globals';
import { count, describeContribution, describeFeature } from '../../../src/engine/features/feature-text.js';
import { momentumText } from '../../../src/engine/nba/decide-actions.js';
import { stableReasons } from '../../../src/engine/scores/stable-reasons.js';

describe('the words of a reason', () => {
  it('puts counts in the right number', () => {
    expect(count(1, 'won deal')).toBe('1 won deal');
    expect(count(0, 'won deal')).toBe('0 won deals');
    expect(count(1.2, 'logged activity', 'logged activities')).toBe('1 logged activity');
    expect(describeFeature('open_deals', 1)).toBe('1 open deal');
    expect(describeFeature('open_deals', 3)).toBe('3 open deals');
    expect(describeFeature('associated_contacts', 1)).toBe('1 contact on the deal');
    expect(describeFeature('activity_count', 14)).toBe('14 logged activities');
  });

  it('says "1 pt" and "12 pts", and a stated reason of either form is read back as raising', () => {
    expect(describeContribution(0.01)).toBe('raises it 1 pt');
    expect(describeContribution(-0.12)).toBe('lowers it 12 pts');
    expect(describeContribution(0.004)).toBe('raises it 0.4 pts');
    const now = [{ feature: 'page_views', value: 3, contribution: 0.02, text: '3 page views raises it 2 pts' }];
    const before = [{ feature: 'page_views', text: '3 page views raises it 1 pt' }];
    expect(stableReasons(now, before)[0]!.text).toBe('3 page views raises it 1 pt');
  });

  it('says "keep momentum" only on a deal likely to close', () => {
    expect(momentumText('14k', 0.62, '62 % win probability')).toBe(
      'Keep momentum on a 14k deal with 62 % win probability',
    );
    expect(momentumText('14k', 0.04, '4 % win probability')).toMatch(
      /^Follow up on a 14k deal with a low win probability \(4 %\)/,
    );
    expect(momentumText('14k', 0.3, '30 % win probability')).toBe('Follow up on a 14k deal with 30 % win probability');
    expect(momentumText('14k', Number.NaN, 'no win probability yet')).toBe(
      'Follow up on a 14k deal with no win probability yet',
    );
  });
});
