import { describe, expect, it } from '@jest/globals';
import { smape } from '../../../src/engine/forecast/accuracy.js';
import { chooseModel, forecastSeries, SWITCH_MARGIN } from '../../../src/engine/forecast/forecast-series.js';
import { airline, dampedTrend, seasonalNaive, ses, theta } from '../../../src/engine/forecast/models.js';
import { decompose, isSeasonal } from '../../../src/engine/forecast/seasonality.js';
import { Random } from '../../../src/engine/lib/random.js';

const SEASON = [0.8, 0.85, 1.05, 0.95, 1, 1.1, 0.8, 0.75, 1.05, 1.1, 1.2, 1.35];

function seasonal(n: number, seed: number, noise = 0.03): number[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, (_, t) => 1000 * (1 + 0.01 * t) * SEASON[t % 12]! * (1 + noise * rng.normal()));
}

describe('forecast models', () => {
  const y = seasonal(72, 1);
  const train = Float64Array.from(y.slice(0, 60));
  const test = y.slice(60);

  it('detects the season and estimates its indices', () => {
    expect(isSeasonal(train, 12)).toBe(true);
    const d = decompose(train, 12);
    expect(d.multiplicative).toBe(true);
    expect(d.indices[11]! / d.indices[7]!).toBeCloseTo(1.35 / 0.75, 1);
    expect(
      isSeasonal(
        Float64Array.from({ length: 60 }, (_, t) => t),
        12,
      ),
    ).toBe(false);
  });

  it.each([
    ['seasonal naive', seasonalNaive, 15],
    ['SARIMA airline', airline, 8],
  ])('%s forecasts a seasonal series within %d %% sMAPE', (_, model, limit) => {
    const fc = model(train, 12, 12)!;
    expect(smape(test, fc.mean)).toBeLessThan(limit);
    for (let h = 1; h < 12; h++) expect(fc.sd[h]!).toBeGreaterThanOrEqual(fc.sd[h - 1]! - 1e-9);
  });

  it.each([
    ['ses', ses],
    ['damped', dampedTrend],
    ['theta', theta],
  ])('%s follows a level and trend', (_, model) => {
    const line = Float64Array.from({ length: 40 }, (_, t) => 100 + 2 * t);
    const fc = model(line, 5, 1)!;
    expect(fc.mean.every(Number.isFinite)).toBe(true);
    expect(Math.abs(fc.mean[0]! - 180)).toBeLessThan(6);
  });

  it('chooses by backtest, gives ordered 80/95 % intervals, and is deterministic', () => {
    const fc = forecastSeries(y.slice(0, 60), { horizon: 12, season: 12 });
    if (fc.status !== 'ok') throw new Error(fc.status);
    expect(fc.chosenBy).toBe('backtest');
    expect(fc.backtest.length).toBeGreaterThan(3);
    expect(smape(test, fc.mean)).toBeLessThan(8);
    for (let h = 0; h < 12; h++) {
      expect(fc.lo95[h]!).toBeLessThan(fc.lo80[h]!);
      expect(fc.lo80[h]!).toBeLessThan(fc.mean[h]!);
      expect(fc.hi80[h]!).toBeLessThan(fc.hi95[h]!);
    }
    expect(forecastSeries(y.slice(0, 60), { horizon: 12, season: 12 })).toEqual(fc);
  });

  it('keeps the combination unless a single model beat it in the backtest by more than the margin', () => {
    const scores = (single: number) => [
      { model: 'ses', smape: single },
      { model: 'combination', smape: 10 },
      { model: 'seasonal-naive', smape: 12 },
    ];
    expect(SWITCH_MARGIN).toBe(0.55);
    expect(chooseModel(scores(4.4), SWITCH_MARGIN)).toBe('ses');
    expect(chooseModel(scores(4.6), SWITCH_MARGIN)).toBe('combination');
    expect(chooseModel(scores(9), 0)).toBe('ses');
    expect(chooseModel([{ model: 'sarima', smape: 3 }], SWITCH_MARGIN)).toBe('sarima');
    expect(chooseModel([], SWITCH_MARGIN)).toBe('combination');
  });

  it('says "not enough data" with the count instead of drawing a line', () => {
    expect(forecastSeries([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { horizon: 6, season: 12 })).toEqual({
      status: 'not-enough-data',
      points: 10,
      needed: 24,
      message: 'not enough data: 10 points, need at least 24 (two seasons of 12)',
    });
  });

  it('falls back to the combination when history is too short to backtest, and copes with zeros and constants', () => {
    const short = forecastSeries(seasonal(26, 2), { horizon: 6, season: 12 });
    expect(short.status === 'ok' && short.chosenBy).toBe('default (history too short to backtest)');
    const flat = forecastSeries(new Array(40).fill(0), { horizon: 6, season: 12 });
    expect(flat.status === 'ok' && flat.mean.every((v) => v === 0)).toBe(true);
    const constant = forecastSeries(new Array(40).fill(5), { horizon: 6, season: 12 });
    expect(constant.status === 'ok' && constant.mean.every((v) => Math.abs(v - 5) < 1e-6)).toBe(true);
  });

  it('names a non-finite point', () => {
    expect(() => forecastSeries([...seasonal(30, 3), Number.NaN], { horizon: 6, season: 12 })).toThrow(
      'point 31 of the series is NaN',
    );
  });
});
