import { describe, expect, it } from '@jest/globals';
import {
  applicableActions,
  type EffectRecord,
  effectOf,
  groundTruth,
  makeReps,
  meanEffect,
  outcomeProbability,
  plantEffects,
  workTasks,
} from '../../../sandbox/world/effects.js';
import { Rng } from '../../../sandbox/world/rng.js';

const deal = (over: Partial<EffectRecord> = {}): EffectRecord => ({
  objectType: 'deal',
  segment: 'champions',
  stage: 3,
  amount: 5000,
  staleDays: 20,
  customer: false,
  baseLogit: 0.5,
  ...over,
});

describe('planted action effects', () => {
  it('are the same for the same effects seed and differ for another', () => {
    expect(plantEffects(11)).toEqual(plantEffects(11));
    expect(plantEffects(12).cells.map((c) => c.base)).not.toEqual(plantEffects(11).cells.map((c) => c.base));
    expect(makeReps(11, 5)).toEqual(makeReps(11, 5));
  });

  it('plant harmful effects: a discount to champions and a call to cold leads lower the odds', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const effects = plantEffects(seed);
      const champions = Array.from({ length: 50 }, (_, i) => deal({ stage: i % 5, amount: 1000 + i * 300 }));
      expect(meanEffect(effects, champions, 'discount_offer')).toBeLessThan(0);
      const cold = champions.map((r) => ({ ...r, objectType: 'contact' as const, segment: 'cold' as const }));
      expect(meanEffect(effects, cold, 'call')).toBeLessThan(0);
      // …while some other action helps somewhere.
      expect(effects.cells.some((c) => c.base > 0.2)).toBe(true);
    }
  });

  it('differ by stage, amount and staleness within a segment', () => {
    const effects = plantEffects(3);
    const a = effectOf(effects, deal({ stage: 0, amount: 500, staleDays: 1 }), 'meeting');
    const b = effectOf(effects, deal({ stage: 4, amount: 50_000, staleDays: 150 }), 'meeting');
    expect(a).not.toBeCloseTo(b, 3);
  });

  it('give consistent ground truth: an action not done changes nothing, and outcomes follow the probabilities', () => {
    const effects = plantEffects(5);
    const rng = new Rng(9);
    const r = deal({ segment: 'steady' });
    let withSum = 0;
    let withoutSum = 0;
    const n = 5_000;
    const helps = effectOf(effects, r, 'meeting') >= 0;
    let inconsistent = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      const skipped = groundTruth(effects, r, 'meeting', false, u);
      if (skipped.withAction !== skipped.withoutAction) inconsistent++;
      const t = groundTruth(effects, r, 'meeting', true, u);
      // Common random numbers: a helpful action never turns a win into a loss, a harmful one never the reverse.
      if (helps ? !t.withAction && t.withoutAction : t.withAction && !t.withoutAction) inconsistent++;
      withSum += Number(t.withAction);
      withoutSum += Number(t.withoutAction);
    }
    expect(inconsistent).toBe(0);
    expect(withSum / n).toBeCloseTo(outcomeProbability(effects, r, 'meeting'), 1);
    expect(withoutSum / n).toBeCloseTo(outcomeProbability(effects, r, null), 1);
    const won = groundTruth(effects, r, 'discount_offer', true, 0);
    expect(won.revenueWith).toBeCloseTo(5000 * (1 - effects.discountMargin));
  });

  it('only offers cross-sell and re-engage to customers', () => {
    expect(applicableActions({ objectType: 'contact', customer: false })).not.toContain('cross_sell');
    expect(applicableActions({ objectType: 'contact', customer: true })).toContain('re_engage');
  });

  it('has reps who work at most their capacity, likeliest first', () => {
    const rep = { ownerIndex: 0, compliance: 1, capacityPerDay: 2, favourLikely: 1 };
    const likelihoods = Array.from({ length: 30 }, (_, i) => i / 30);
    const done = workTasks(rep, likelihoods, new Rng(1));
    expect(done.filter(Boolean)).toHaveLength(10);
    expect(done.slice(20).every(Boolean)).toBe(true);
    const lazy = workTasks({ ...rep, compliance: 0.5, capacityPerDay: 100 }, likelihoods, new Rng(2));
    expect(lazy.filter(Boolean).length).toBeLessThan(30);
  });
});
