import { EngineInputError } from '../engine-error.js';
import { abs, isFiniteNumber, isNaNNumber } from '../lib/math.js';
import { type CsvTable, cellNumber } from '../tabular/parse-csv.js';
import { mase, smape } from './accuracy.js';
import { forecastSeries, minimumPoints } from './forecast-series.js';
import { parsePeriod, periodsAreYears } from './infer-season.js';
import { seasonalNaive } from './models.js';

export interface ForecastScore {
  smape: number;
  mase: number;
  coverage80: number;
}

export interface ForecastEvaluation {
  engine: ForecastScore;
  seasonalNaive: ForecastScore;
  series: number;
  skipped: Array<{ series: string; points: number }>;
  models: Record<string, number>;
  seconds: number;
}

/**
 * Groups a `series,period,value` table into series ordered by period: as dates when every period of a series is
 * one (`parsePeriod`: 2021-03, Mar 2021, 2021-Q1, …), else as numbers, else in text order.
 */
export function readSeries(table: CsvTable, what = 'the CSV'): Map<string, number[]> {
  const idx = ['series', 'period', 'value'].map((c) => table.header.indexOf(c));
  const missing = ['series', 'period', 'value'].filter((_, i) => idx[i]! < 0);
  if (missing.length > 0) {
    throw new EngineInputError(`${what} needs columns series,period,value; missing ${missing.join(', ')}`);
  }
  const [si, pi, vi] = idx as [number, number, number];
  const groups = new Map<string, Array<[string, number]>>();
  table.rows.forEach((r, k) => {
    const v = cellNumber(r[vi]!);
    if (v === undefined || isNaNNumber(v)) {
      throw new EngineInputError(`${what}: line ${k + 2} has value "${r[vi]}", not a finite number`);
    }
    const list = groups.get(r[si]!) ?? [];
    list.push([r[pi]!.trim(), v]);
    groups.set(r[si]!, list);
  });
  const out = new Map<string, number[]>();
  const years = periodsAreYears(table.rows.map((r) => r[pi]!));
  for (const [name, list] of groups) {
    const days = list.map(([p]) => parsePeriod(p, years)?.day);
    if (days.every((d) => d !== undefined)) {
      const order = list.map((_, i) => i).sort((a, b) => days[a]! - days[b]! || a - b);
      out.set(
        name,
        order.map((i) => list[i]![1]),
      );
      continue;
    }
    const numeric = list.every(([p]) => isFiniteNumber(Number(p)) && p !== '');
    list.sort((a, b) => (numeric ? Number(a[0]) - Number(b[0]) : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    out.set(
      name,
      list.map(([, v]) => v),
    );
  }
  return out;
}

/** Each series' period labels as the CSV gives them, for `inferSeason`. */
export function seriesPeriods(table: CsvTable): string[][] {
  const si = table.header.indexOf('series');
  const pi = table.header.indexOf('period');
  if (si < 0 || pi < 0) return [];
  const groups = new Map<string, string[]>();
  for (const r of table.rows) {
    const list = groups.get(r[si]!) ?? [];
    list.push(r[pi]!);
    groups.set(r[si]!, list);
  }
  return [...groups.values()];
}

/** Holds out the last `horizon` points of every series, forecasts them, and scores engine and seasonal naive. */
export function evaluateForecasts(
  series: Map<string, number[]>,
  horizon: number,
  season: number,
  options: { onProgress?: (done: number, total: number) => void } = {},
): ForecastEvaluation {
  if (!(horizon >= 1)) throw new EngineInputError(`horizon must be at least 1, got ${horizon}`);
  const t0 = performance.now();
  const acc = { e: { s: 0, m: 0, mc: 0, cov: 0 }, n: { s: 0, m: 0, mc: 0, cov: 0 }, pts: 0, count: 0 };
  const skipped: ForecastEvaluation['skipped'] = [];
  const models: Record<string, number> = {};
  const need = minimumPoints(season) + horizon;
  let seen = 0;
  for (const [name, values] of series) {
    options.onProgress?.(seen++, series.size);
    if (values.length < need) {
      skipped.push({ series: name, points: values.length });
      continue;
    }
    const train = values.slice(0, -horizon);
    const test = values.slice(-horizon);
    const fc = forecastSeries(train, { horizon, season });
    const sn = seasonalNaive(Float64Array.from(train), horizon, season);
    if (fc.status !== 'ok' || !sn) {
      skipped.push({ series: name, points: values.length });
      continue;
    }
    models[fc.model] = (models[fc.model] ?? 0) + 1;
    acc.count++;
    acc.e.s += smape(test, fc.mean);
    acc.n.s += smape(test, sn.mean);
    const me = mase(train, test, fc.mean, season);
    const mn = mase(train, test, sn.mean, season);
    if (isFiniteNumber(me) && isFiniteNumber(mn)) {
      acc.e.m += me;
      acc.n.m += mn;
      acc.e.mc++;
    }
    for (let h = 0; h < horizon; h++) {
      acc.pts++;
      if (test[h]! >= fc.lo80[h]! && test[h]! <= fc.hi80[h]!) acc.e.cov++;
      if (abs(test[h]! - sn.mean[h]!) <= 1.2815515655446004 * sn.sd[h]!) acc.n.cov++;
    }
  }
  options.onProgress?.(series.size, series.size);
  if (acc.count === 0) {
    throw new EngineInputError(
      `no series has enough points: each needs at least ${need} (${minimumPoints(season)} to fit + ${horizon} held out)`,
    );
  }
  const score = (a: { s: number; m: number; mc: number; cov: number }): ForecastScore => ({
    smape: a.s / acc.count,
    mase: acc.e.mc > 0 ? a.m / acc.e.mc : Number.NaN,
    coverage80: a.cov / acc.pts,
  });
  return {
    engine: score(acc.e),
    seasonalNaive: score(acc.n),
    series: acc.count,
    skipped,
    models,
    seconds: (performance.now() - t0) / 1000,
  };
}
