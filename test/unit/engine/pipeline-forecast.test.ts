import { describe, expect, it } from '@jest/globals';
import {
  closeProbabilities,
  nextMonths,
  pipelineForecast,
  stageWeightedForecast,
  timeToClose,
} from '../../../src/engine/forecast/pipeline-forecast.js';
import { Random } from '../../../src/engine/lib/random.js';

const DAY = 86_400_000;
const now = Date.parse('2026-11-16T00:00:00Z');

describe('time to close', () => {
  it('is the won deals’ empirical survival, and conditions on the deal’s age', () => {
    const model = timeToClose([10, 20, 30, 40]);
    expect([0, 10, 15, 39, 40].map(model.share)).toEqual([1, 0.75, 0.75, 0.25, 0]);
    // Periods of 10 days from now: a deal aged 5 days closes (if won) at 10, 20, 30 or 40 days of age.
    const periods = [0, 1, 2, 3].map((i) => ({
      label: `p${i}`,
      from: now + i * 10 * DAY,
      to: now + (i + 1) * 10 * DAY,
    }));
    expect(closeProbabilities(model.share, 5, periods, now)).toEqual([0.25, 0.25, 0.25, 0.25]);
    // Aged 25 days: only 30 and 40 remain, each half.
    expect(closeProbabilities(model.share, 25, periods, now)).toEqual([0.5, 0.5, 0, 0]);
    // Older than every won deal took: no close expected.
    expect(closeProbabilities(model.share, 45, periods, now)).toEqual([0, 0, 0, 0]);
  });
});

describe('pipelineForecast', () => {
  const periods = nextMonths(now, 3);

  it('has monthly periods starting now', () => {
    expect(periods.map((p) => [p.label, new Date(p.from).toISOString(), new Date(p.to).toISOString()])).toEqual([
      ['2026-11', '2026-11-16T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
      ['2026-12', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
      ['2027-01', '2027-01-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z'],
    ]);
  });

  it('sums amount × P(win) × P(closing in the month), plus new deals’ revenue', () => {
    // Won deals all took 30 days: a deal created 20 days ago closes (if won) 10 days from now, in November.
    const r = pipelineForecast({
      openDeals: [
        { amount: 1000, pWin: 0.5, createdAt: now - 20 * DAY },
        { amount: 400, pWin: 0.25, createdAt: now - 20 * DAY },
        { amount: 800, pWin: 0.5, createdAt: now - 40 * DAY },
      ],
      wonDurationsDays: [30, 30, 30],
      periods,
      now,
      newDeals: { mean: [0, 100, 200], sd: [0, 0, 0] },
      seed: 1,
    });
    expect(r.periods.map((p) => [p.fromOpenDeals, p.fromNewDeals, p.mean])).toEqual([
      [600, 0, 600],
      [0, 100, 100],
      [0, 200, 200],
    ]);
    expect(r.beyondHistory).toBe(1);
    expect(r.total.mean).toBe(900);
    // The simulated November is 0, 400, 1000 or 1400: its 80 % interval lies within.
    expect(r.periods[0]!.lo80).toBeGreaterThanOrEqual(0);
    expect(r.periods[0]!.hi80).toBeLessThanOrEqual(1400);
    expect(r.periods[1]!.lo80).toBe(100);
  });

  it('has 80 % intervals that hold about 80 % of futures drawn from the same model', () => {
    const rng = new Random(3);
    const durations = Array.from({ length: 300 }, () => 5 + rng.next() * 120);
    const deals = Array.from({ length: 150 }, () => ({
      amount: 500 + rng.next() * 5000,
      pWin: 0.1 + 0.7 * rng.next(),
      createdAt: now - rng.next() * 60 * DAY,
    }));
    const forecast = pipelineForecast({ openDeals: deals, wonDurationsDays: durations, periods, now, seed: 2 });
    // Futures: each deal won with its probability, closing at a duration drawn among the won deals that
    // outlast its age.
    let inside = 0;
    const futures = 400;
    for (let f = 0; f < futures; f++) {
      let total = 0;
      for (const d of deals) {
        if (rng.next() >= d.pWin) continue;
        const age = (now - d.createdAt) / DAY;
        const longer = durations.filter((t) => t > age);
        if (longer.length === 0) continue;
        const close = now + (longer[Math.floor(rng.next() * longer.length)]! - age) * DAY;
        if (close < periods[2]!.to) total += d.amount;
      }
      if (total >= forecast.total.lo80 && total <= forecast.total.hi80) inside++;
    }
    expect(inside / futures).toBeGreaterThan(0.72);
    expect(inside / futures).toBeLessThan(0.88);
  });

  it('refuses what it cannot forecast, saying why', () => {
    expect(() =>
      pipelineForecast({
        openDeals: [{ amount: 1, pWin: 1, createdAt: now }],
        wonDurationsDays: [],
        periods,
        now,
        seed: 1,
      }),
    ).toThrow('no won deals to learn the time to close from');
    expect(() => pipelineForecast({ openDeals: [], wonDurationsDays: [1], periods: [], now, seed: 1 })).toThrow(
      'no periods to forecast',
    );
  });
});

describe('stageWeightedForecast', () => {
  it('weights each open deal by its stage probability in the month of its close date', () => {
    const periods = nextMonths(now, 2);
    const deals = [
      { amount: 1000, stageProbability: 0.2, closeDate: Date.parse('2026-11-20T00:00:00Z') },
      { amount: 500, stageProbability: 0.9, closeDate: Date.parse('2026-12-31T23:00:00Z') },
      { amount: 700, stageProbability: 0.5, closeDate: Date.parse('2027-01-01T00:00:00Z') },
    ];
    expect(stageWeightedForecast(deals, periods)).toEqual([200, 450]);
  });
});
