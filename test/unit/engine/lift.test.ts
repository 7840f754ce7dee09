import { describe, expect, it } from '@jest/globals';
import type { Association, Deal } from '../../../src/domain/records.js';
import { Random } from '../../../src/engine/lib/random.js';
import { holdoutDraw, inHoldout } from '../../../src/engine/lift/holdout.js';
import { type Exposure, measureLift, newcombe, wilson } from '../../../src/engine/lift/measure-lift.js';

const DAY = 86_400_000;
const now = Date.parse('2026-11-01T00:00:00.000Z');
const iso = (t: number) => new Date(t).toISOString();
const settings = { windowDays: 90, minGroup: 30 };

function deal(id: string, won: boolean | null, closedAt: number): Deal {
  return {
    id,
    createdAt: iso(now - 200 * DAY),
    updatedAt: iso(closedAt),
    archived: false,
    name: id,
    amount: 1000,
    currency: 'USD',
    pipeline: 'default',
    stage: won === null ? 'open' : won ? 'closedwon' : 'closedlost',
    isClosed: won !== null,
    isWon: won === true,
    closeDate: won === null ? null : iso(closedAt),
    ownerId: null,
    companyId: null,
    lastActivityAt: null,
    activityCount: null,
  } as Deal;
}

/**
 * A world with a planted effect: `treated` deals win with probability `pTreated`, `holdout` deals with `pHoldout`;
 * each exposure in the last 80 days, its outcome (if won) after it.
 */
function planted(seed: number, n: { treated: number; holdout: number }, pTreated: number, pHoldout: number) {
  const rng = new Random(seed);
  const deals: Deal[] = [];
  const treated: Exposure[] = [];
  const holdout: Exposure[] = [];
  for (const [group, count, p] of [
    [treated, n.treated, pTreated],
    [holdout, n.holdout, pHoldout],
  ] as const) {
    for (let i = 0; i < count; i++) {
      const id = `${group === treated ? 't' : 'h'}${i}`;
      const at = now - (1 + rng.int(80)) * DAY;
      const won = rng.next() < p;
      deals.push(deal(id, won ? true : rng.next() < 0.5 ? false : null, at + rng.int(10) * DAY));
      group.push({
        objectType: 'deal',
        recordId: id,
        action: 'call',
        segmentKey: i % 2 ? 'seg-a' : 'seg-b',
        at: iso(at),
      });
    }
  }
  return { deals, treated, holdout };
}

const overall = (cells: ReturnType<typeof measureLift>['cells'], objectType = 'deal', action = 'all') =>
  cells.find((c) => c.objectType === objectType && c.action === action && c.segmentKey === null)!;

describe('holdout membership', () => {
  it('is stable: the same record draws the same number in every call, another tenant another number', () => {
    expect(holdoutDraw('t1', 'deal', '42')).toBe(holdoutDraw('t1', 'deal', '42'));
    expect(holdoutDraw('t1', 'deal', '42')).not.toBe(holdoutDraw('t2', 'deal', '42'));
    const d = holdoutDraw('t1', 'contact', 'abc');
    expect(d).toBeGreaterThanOrEqual(0);
    expect(d).toBeLessThan(1);
  });

  it('honours the share within sampling error, for each share, and a larger share only adds records', () => {
    const n = 20_000;
    const ids = Array.from({ length: n }, (_, i) => String(100_000 + i));
    for (const share of [0.05, 0.1, 0.25, 0.5]) {
      const held = ids.filter((id) => inHoldout('tenant-x', 'contact', id, share)).length;
      const se = Math.sqrt((share * (1 - share)) / n);
      expect(Math.abs(held / n - share)).toBeLessThan(4 * se);
    }
    for (const id of ids.slice(0, 2000))
      if (inHoldout('tenant-x', 'deal', id, 0.1)) expect(inHoldout('tenant-x', 'deal', id, 0.2)).toBe(true);
    expect(ids.some((id) => inHoldout('tenant-x', 'deal', id, 0))).toBe(false);
  });
});

describe('intervals', () => {
  it('Wilson and Newcombe give the textbook figures', () => {
    // Newcombe (1998), table II, example (a): 56/70 vs 48/80 → 0.2000, interval 0.0524 to 0.3339.
    const r = newcombe(56, 70, 48, 80);
    expect(r.diff).toBeCloseTo(0.2, 4);
    expect(r.low).toBeCloseTo(0.0524, 3);
    expect(r.high).toBeCloseTo(0.3339, 3);
    const [lo, hi] = wilson(0, 10);
    expect(lo).toBe(0);
    expect(hi).toBeCloseTo(0.2775, 3);
  });
});

describe('measuring the lift', () => {
  it('finds a planted effect: +10 points of won deals, the interval covers it and excludes 0', () => {
    const w = planted(1, { treated: 3000, holdout: 1000 }, 0.3, 0.2);
    const r = measureLift({ ...w, associations: [], decided: [], holdoutShare: 0.25, settings, now });
    expect(r.status).toBe('ok');
    const c = overall(r.cells);
    expect(c.status).toBe('ok');
    expect(c.treated.records).toBe(3000);
    expect(c.holdout.records).toBe(1000);
    expect(c.low!).toBeLessThan(0.1);
    expect(c.high!).toBeGreaterThan(0.1);
    expect(c.low!).toBeGreaterThan(0);
    expect(c.message).toMatch(/^\+\d+\.\d pts \(95 % interval/);
    // Per action and per segment too, with the counts behind each.
    const call = overall(r.cells, 'deal', 'call');
    expect(call.treated.records).toBe(3000);
    const segA = r.cells.find((x) => x.action === 'call' && x.segmentKey === 'seg-a')!;
    expect(
      segA.treated.records + r.cells.find((x) => x.action === 'call' && x.segmentKey === 'seg-b')!.treated.records,
    ).toBe(3000);
  });

  it('covers the true difference in at least 90 % of 200 planted worlds (95 % nominal)', () => {
    let covered = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const w = planted(seed, { treated: 400, holdout: 100 }, 0.25, 0.2);
      const c = overall(measureLift({ ...w, associations: [], decided: [], holdoutShare: 0.2, settings, now }).cells);
      if (c.low! <= 0.05 && 0.05 <= c.high!) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(180);
  });

  it('says "not enough data yet" with the counts instead of a figure', () => {
    const w = planted(2, { treated: 200, holdout: 12 }, 0.5, 0.1);
    const r = measureLift({ ...w, associations: [], decided: [], holdoutShare: 0.1, settings, now });
    expect(r.status).toBe('not-enough-data');
    const c = overall(r.cells);
    expect(c.lift).toBeNull();
    expect(c.low).toBeNull();
    expect(c.message).toBe('not enough data yet (200 treated, 12 holdout; need ≥ 30 each)');
    expect(r.message).toContain('200 treated, 12 holdout');
  });

  it('with a share of 0 and no control group, says nothing can be measured', () => {
    const w = planted(3, { treated: 100, holdout: 0 }, 0.5, 0.1);
    const r = measureLift({ ...w, holdout: [], associations: [], decided: [], holdoutShare: 0, settings, now });
    expect(r.status).toBe('no-holdout');
    expect(r.message).toMatch(/cannot be measured/);
  });

  it('counts a contact as bought when a won deal of theirs closed after the exposure, not before; ignores old exposures', () => {
    const deals = [deal('d1', true, now - 10 * DAY), deal('d2', true, now - 60 * DAY)];
    const associations: Association[] = [
      { fromType: 'deal', fromId: 'd1', toType: 'contact', toId: 'c1', label: '' },
      { fromType: 'deal', fromId: 'd2', toType: 'contact', toId: 'c2', label: '' },
    ];
    const at = iso(now - 30 * DAY);
    const treated: Exposure[] = [
      { objectType: 'contact', recordId: 'c1', action: 'email', segmentKey: null, at },
      { objectType: 'contact', recordId: 'c2', action: 'email', segmentKey: null, at },
      // Outside the 90-day window: not measured.
      { objectType: 'contact', recordId: 'c3', action: 'email', segmentKey: null, at: iso(now - 120 * DAY) },
    ];
    const r = measureLift({
      treated,
      holdout: [],
      deals,
      associations,
      decided: [],
      holdoutShare: 0.1,
      settings: { windowDays: 90, minGroup: 1 },
      now,
    });
    const c = overall(r.cells, 'contact', 'email');
    expect(c.treated).toEqual({ records: 2, successes: 1, rate: 0.5 });
  });

  it('checks the balance of this run’s groups per stratum against the share', () => {
    const decided = Array.from({ length: 1000 }, (_, i) => ({
      objectType: 'deal' as const,
      segmentKey: i < 500 ? 'a' : 'b',
      // Stratum b is badly unbalanced: 40 % held out against 10 %.
      heldOut: i < 500 ? i % 10 === 0 : i % 10 < 4,
    }));
    const r = measureLift({
      treated: [],
      holdout: [],
      deals: [],
      associations: [],
      decided,
      holdoutShare: 0.1,
      settings,
      now,
    });
    expect(r.balance.map((b) => [b.segmentKey, b.records, b.heldOut, b.balanced])).toEqual([
      ['a', 500, 50, true],
      ['b', 500, 200, false],
    ]);
  });
});
