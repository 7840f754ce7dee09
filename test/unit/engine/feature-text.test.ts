import { describe, expect, it } from '@jest/globals';
import { generateWorld } from '../../../sandbox/world/generate-world.js';
import { count, describeContribution, describeFeature, money } from '../../../src/engine/features/feature-text.js';
import { momentumText } from '../../../src/engine/nba/decide-actions.js';
import { runEngine } from '../../../src/engine/run-engine.js';
import { stableReasons } from '../../../src/engine/scores/stable-reasons.js';
import type { EngineInput } from '../../../src/engine/types.js';
import { worldToRecords } from '../../helpers/world-to-records.js';

describe('the words of a reason', () => {
  it('writes amounts with their currency', () => {
    expect(money(14_200, 'USD')).toBe('$14k');
    expect(money(1_234_567, 'EUR')).toBe('€1.2M');
    expect(money(950, 'CHF')).toBe('CHF 950');
    expect(money(-20_000, 'GBP')).toBe('-£20k');
    expect(money(950)).toBe('950');
    expect(describeFeature('amount', 14_200, { currency: 'EUR' })).toBe('deal amount €14k');
    expect(describeFeature('open_pipeline', 2_000_000, { currency: 'USD' })).toBe('$2.0M in open deals');
  });

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

describe('reasons in the CRM’s words (the engine on a planted world)', () => {
  const world = generateWorld({
    seed: 11,
    contacts: 1200,
    companies: 200,
    deals: 1500,
    asOf: '2026-11-01T00:00:00.000Z',
  });
  const input: EngineInput = { tenantId: 't', ...worldToRecords(world) };
  const stages = [...new Set(input.deals.map((d) => d.stage).filter((s): s is string => s !== null))];
  const stageLabels = Object.fromEntries(stages.map((s) => [s, `Stage called ${s}`]));
  const result = runEngine(input, { currency: 'EUR', stageLabels }, { seed: 1, now: Date.parse(world.asOf) });
  const reasons = result.scores.win.scores.flatMap((s) => s.reasons);

  it('names the stage by its CRM label', () => {
    const stageReasons = reasons.filter((r) => r.feature === 'stage_index');
    expect(stageReasons.length).toBeGreaterThan(0);
    for (const r of stageReasons) expect(r.text).toMatch(/^at stage “Stage called [^”]+” (raises|lowers) it/);
  });

  it('writes amounts in the tenant’s currency, in reasons and in actions', () => {
    const amounts = reasons.filter((r) => r.feature === 'amount');
    expect(amounts.length).toBeGreaterThan(0);
    for (const r of amounts) expect(r.text).toMatch(/^deal amount €/);
    const withMoney = result.actions.actions.filter((a) => /deal with|Late-stage deal|on a /.test(a.reason));
    expect(withMoney.length).toBeGreaterThan(0);
    for (const a of withMoney) expect(a.reason).not.toMatch(/ \d+(\.\d)?[kM]? deal/);
  });
});
