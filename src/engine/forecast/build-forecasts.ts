import type { CleanData } from '../clean/clean-records.js';
import { max, min } from '../lib/math.js';
import type { EngineSettings, ForecastPoint, SeriesResult } from '../types.js';
import { forecastSeries } from './forecast-series.js';

const monthKey = (ms: number) => {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
};
const monthLabel = (key: number) => `${Math.floor(key / 12)}-${String((key % 12) + 1).padStart(2, '0')}`;

/**
 * Monthly closed-won revenue (by close month) and new pipeline (amount of deals created, by month), per pipeline
 * and in total, up to the last complete month before now; each forecast `horizon` months ahead.
 */
export function buildForecasts(data: CleanData, settings: EngineSettings['forecast'], now: number): SeriesResult[] {
  const last = monthKey(now) - 1;
  const sums = new Map<string, Map<number, number>>();
  const add = (series: string, key: number, amount: number) => {
    if (key > last) return;
    const m = sums.get(series) ?? new Map<number, number>();
    m.set(key, (m.get(key) ?? 0) + amount);
    sums.set(series, m);
  };
  for (const d of data.deals) {
    if (d.amount === null) continue;
    if (d.record.isWon && d.closeAt !== null) {
      add('revenue:total', monthKey(d.closeAt), d.amount);
      add(`revenue:${d.pipeline}`, monthKey(d.closeAt), d.amount);
    }
    add('pipeline:total', monthKey(d.createdAt), d.amount);
    add(`pipeline:${d.pipeline}`, monthKey(d.createdAt), d.amount);
  }
  const out: SeriesResult[] = [];
  const names = [...sums.keys()].sort((a, b) => {
    const ta = a.endsWith(':total') ? 0 : 1;
    const tb = b.endsWith(':total') ? 0 : 1;
    return a.split(':')[0]!.localeCompare(b.split(':')[0]!) || ta - tb || a.localeCompare(b);
  });
  for (const series of names) {
    const m = sums.get(series)!;
    const first = min(...m.keys());
    const values: number[] = [];
    const points: ForecastPoint[] = [];
    for (let k = first; k <= last; k++) {
      const v = m.get(k) ?? 0;
      values.push(v);
      points.push({ period: monthLabel(k), kind: 'actual', value: v, lo80: null, hi80: null, lo95: null, hi95: null });
    }
    const fc = forecastSeries(values, {
      horizon: settings.horizon,
      season: settings.season,
      origins: settings.origins,
    });
    if (fc.status !== 'ok') {
      out.push({
        series,
        status: 'not-enough-data',
        model: null,
        chosenBy: null,
        message: fc.message,
        points,
        backtest: [],
      });
      continue;
    }
    // Money cannot go below zero: clamp the forecast and its intervals there.
    const floor = (v: number) => max(0, v);
    for (let h = 0; h < settings.horizon; h++) {
      points.push({
        period: monthLabel(last + 1 + h),
        kind: 'forecast',
        value: floor(fc.mean[h]!),
        lo80: floor(fc.lo80[h]!),
        hi80: floor(fc.hi80[h]!),
        lo95: floor(fc.lo95[h]!),
        hi95: floor(fc.hi95[h]!),
      });
    }
    out.push({
      series,
      status: 'ok',
      model: fc.model,
      chosenBy: fc.chosenBy,
      message: null,
      points,
      backtest: fc.backtest,
    });
  }
  return out;
}
