import { floor, isFiniteNumber, max, min } from '../lib/math.js';
import { smape } from './accuracy.js';
import {
  airline,
  combine,
  dampedTrend,
  type ForecastModel,
  type ModelForecast,
  seasonalNaive,
  ses,
  theta,
  withSeasonalAdjustment,
} from './models.js';

/** z-values of the central 80 % and 95 % normal intervals. */
const Z80 = 1.2815515655446004;
const Z95 = 1.959963984540054;

export interface SeriesForecastOptions {
  horizon: number;
  /** Season length (12 for monthly); 1 for none. */
  season: number;
  /** Rolling origins of the backtest (default 3), spaced half a season apart. */
  origins?: number;
  /**
   * A single model replaces the combination only when its backtest sMAPE is lower by more than this share
   * (default `SWITCH_MARGIN`): per-series picks on a few origins are noisy, and combinations are robust.
   */
  switchMargin?: number;
}

export interface BacktestScore {
  model: string;
  /** Mean sMAPE (%) over the backtest's origins and horizons. */
  smape: number;
}

export type SeriesForecast =
  | {
      status: 'ok';
      model: string;
      /** Why this model: the backtest's winner, or the default when history is too short to backtest. */
      chosenBy: 'backtest' | 'default (history too short to backtest)';
      mean: number[];
      lo80: number[];
      hi80: number[];
      lo95: number[];
      hi95: number[];
      backtest: BacktestScore[];
    }
  | { status: 'not-enough-data'; points: number; needed: number; message: string };

/**
 * Default `switchMargin`: 55 %. Chosen on validation data, never on a test period: `npm run bench --
 * forecast-rule` drops the last 18 months of every M3 monthly series (its test period), forecasts the 18 months
 * before them with margins from 0 to 95 %, and 55 % had the lowest mean sMAPE there (see docs/model-quality.md).
 * That a large margin wins agrees with the literature: per-series selection on a few backtest origins is noisy,
 * and equal-weight combinations are hard to beat (Fildes & Petropoulos 2015; Kourentzes, Barrow & Petropoulos
 * 2019; the M3 and M4 results).
 */
export const SWITCH_MARGIN = 0.55;

const CANDIDATES: Array<[string, ForecastModel]> = [
  ['seasonal-naive', seasonalNaive],
  ['ses', withSeasonalAdjustment(ses)],
  ['damped', withSeasonalAdjustment(dampedTrend)],
  ['theta', withSeasonalAdjustment(theta)],
  ['sarima', airline],
];
/** The combination of the four fitted models (not seasonal naive): the default and usually the backtest's pick. */
const COMBINED = ['ses', 'damped', 'theta', 'sarima'];

/** Every candidate's forecast, plus their combination. */
export function forecastCandidates(y: Float64Array, horizon: number, season: number): Map<string, ModelForecast> {
  const out = new Map<string, ModelForecast>();
  for (const [name, model] of CANDIDATES) {
    const fc = model(y, horizon, season);
    if (fc?.mean.every(Number.isFinite) && fc.sd.every(Number.isFinite)) out.set(name, { ...fc, model: name });
  }
  const parts = COMBINED.map((n) => out.get(n)).filter((f): f is ModelForecast => f !== undefined);
  if (parts.length === COMBINED.length) out.set('combination', combine('combination', parts));
  return out;
}

export function minimumPoints(season: number): number {
  return max(2 * season, 12);
}

/**
 * Forecasts one series: the candidates (seasonal naive, SES, damped trend, Theta, SARIMA airline, and the
 * combination of the last four) are scored by a rolling-origin backtest on the series' own history; the
 * combination is used unless a single model's backtest sMAPE is clearly lower (see `switchMargin`), with its 80 % and 95 % intervals. Too short a history gives `not-enough-data` with the count.
 */
export function forecastSeries(values: ArrayLike<number>, options: SeriesForecastOptions): SeriesForecast {
  const { horizon } = options;
  const season = max(1, options.season);
  const y = Float64Array.from(values as ArrayLike<number>);
  const needed = minimumPoints(season);
  const bad = y.findIndex((v) => !isFiniteNumber(v));
  if (bad >= 0) throw new Error(`point ${bad + 1} of the series is ${y[bad]}, not a finite number`);
  if (y.length < needed) {
    return {
      status: 'not-enough-data',
      points: y.length,
      needed,
      message: `not enough data: ${y.length} points, need at least ${needed}${season > 1 ? ` (two seasons of ${season})` : ''}`,
    };
  }
  const scores = backtest(y, horizon, season, options.origins ?? 3);
  const chosen = chooseModel(scores, options.switchMargin ?? SWITCH_MARGIN);
  const chosenBy = scores.length > 0 ? 'backtest' : 'default (history too short to backtest)';
  const all = forecastCandidates(y, horizon, season);
  const fc = all.get(chosen) ?? all.get('combination') ?? all.get('seasonal-naive') ?? [...all.values()][0];
  if (!fc) {
    return {
      status: 'not-enough-data',
      points: y.length,
      needed,
      message: `no model could be fitted to ${y.length} points`,
    };
  }
  const mean = [...fc.mean];
  return {
    status: 'ok',
    model: fc.model,
    chosenBy,
    mean,
    lo80: mean.map((v, h) => v - Z80 * fc.sd[h]!),
    hi80: mean.map((v, h) => v + Z80 * fc.sd[h]!),
    lo95: mean.map((v, h) => v - Z95 * fc.sd[h]!),
    hi95: mean.map((v, h) => v + Z95 * fc.sd[h]!),
    backtest: scores,
  };
}

/**
 * The backtest's choice: the combination, unless a single model's backtest sMAPE is lower than the
 * combination's by more than `margin` (a share); with no backtest (too short a history), the combination.
 */
export function chooseModel(scores: BacktestScore[], margin: number): string {
  if (scores.length === 0) return 'combination';
  const comb = scores.find((s) => s.model === 'combination');
  const best = scores.reduce((a, b) => (b.smape < a.smape ? b : a));
  return comb && best.smape > comb.smape * (1 - margin) ? 'combination' : best.model;
}

/** Rolling-origin backtest: refit at each origin on the history before it and score the next points. */
export function backtest(y: Float64Array, horizon: number, season: number, origins: number): BacktestScore[] {
  const hb = min(horizon, max(1, floor(y.length / 4)));
  const step = max(1, floor(season / 2));
  const minFit = minimumPoints(season);
  const sums = new Map<string, { total: number; count: number }>();
  let used = 0;
  for (let o = 0; o < origins; o++) {
    const origin = y.length - hb - o * step;
    if (origin < minFit) break;
    used++;
    const fcs = forecastCandidates(y.subarray(0, origin), hb, season);
    const actual = y.subarray(origin, origin + hb);
    for (const [name, fc] of fcs) {
      const s = sums.get(name) ?? { total: 0, count: 0 };
      s.total += smape(actual, fc.mean);
      s.count++;
      sums.set(name, s);
    }
  }
  if (used === 0) return [];
  return [...sums]
    .filter(([, s]) => s.count === used)
    .map(([model, s]) => ({ model, smape: s.total / s.count }))
    .sort((a, b) => a.smape - b.smape);
}
