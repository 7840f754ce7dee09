import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { smape } from '../src/engine/forecast/accuracy.js';
import { evaluateForecasts, readSeries } from '../src/engine/forecast/evaluate-forecasts.js';
import {
  backtest,
  chooseModel,
  forecastCandidates,
  minimumPoints,
  SWITCH_MARGIN,
} from '../src/engine/forecast/forecast-series.js';
import { parseCsv } from '../src/engine/tabular/parse-csv.js';
import type { Benchmark } from './run.js';

const DATA = process.env.CRM_AGENT_DATA ?? join(import.meta.dirname, '..', '..', 'shared', 'data');
const H = 18;
const SEASON = 12;
const ORIGINS = 3;
/**
 * The margins tried: 0 (pick the lowest backtest error) to 95 % in steps of 5 % (a first run stopped at 50 %,
 * where validation error was still falling, so the grid was widened; only validation periods were read).
 */
export const MARGINS = Array.from({ length: 20 }, (_, i) => i * 0.05);

/**
 * How the forecast selection rule's margin is chosen without the M3 test period: every series loses its last 18
 * points (the test period, never read here), and the 18 points before them are the validation period. Each
 * margin's choice is scored on the validation period; the lowest mean sMAPE wins. Then the engine's default
 * (`SWITCH_MARGIN`) is scored once on the test period.
 */
export const forecastRuleBenchmark: Benchmark = {
  name: 'forecast-rule',
  description: 'chooses the forecast switch margin on M3 validation periods (test period untouched), then scores it',
  async run() {
    const csv = join(DATA, 'm3-monthly.csv');
    if (!existsSync(csv)) {
      console.log(`no data at ${csv} (set CRM_AGENT_DATA)`);
      return;
    }
    const series = readSeries(parseCsv(readFileSync(csv, 'utf8'), 'm3-monthly.csv'));
    const totals = new Float64Array(MARGINS.length);
    const switched = new Int32Array(MARGINS.length);
    const singles = new Map<string, number>();
    let count = 0;
    let skipped = 0;
    const t0 = performance.now();
    for (const values of series.values()) {
      const train = values.slice(0, -H); // the test period is dropped here and never looked at
      const fit = Float64Array.from(train.slice(0, -H));
      const validation = train.slice(-H);
      if (fit.length < minimumPoints(SEASON)) {
        skipped++;
        continue;
      }
      const scores = backtest(fit, H, SEASON, ORIGINS);
      const fcs = forecastCandidates(fit, H, SEASON);
      for (const [name, fc] of fcs) singles.set(name, (singles.get(name) ?? 0) + smape(validation, fc.mean));
      MARGINS.forEach((m, i) => {
        const choice = chooseModel(scores, m);
        if (choice !== 'combination') switched[i]! += 1;
        const fc = fcs.get(choice) ?? fcs.get('combination') ?? fcs.get('seasonal-naive')!;
        totals[i]! += smape(validation, fc.mean);
      });
      count++;
    }
    const means = Array.from(totals, (t) => t / count);
    const best = means.indexOf(Math.min(...means));
    console.log(
      `M3 monthly validation periods (the 18 points before each series' test period), ${count} series (${skipped} too short), ${((performance.now() - t0) / 1000).toFixed(1)} s:`,
    );
    MARGINS.forEach((m, i) => {
      console.log(
        `  margin ${(m * 100).toFixed(0).padStart(2)} %  smape=${means[i]!.toFixed(3)}  (${switched[i]} series use a single model)${i === best ? '  ← lowest' : ''}`,
      );
    });
    for (const [name, total] of [...singles].sort((a, b) => a[1] - b[1]))
      console.log(`  always ${name.padEnd(22)} smape=${(total / count).toFixed(3)}`);
    console.log(
      `validation picks a margin of ${(MARGINS[best]! * 100).toFixed(0)} %; the engine's default is ${(SWITCH_MARGIN * 100).toFixed(0)} %`,
    );
    const r = evaluateForecasts(series, H, SEASON);
    console.log(
      `M3 monthly test period (h=18), engine default: smape=${r.engine.smape.toFixed(2)} mase=${r.engine.mase.toFixed(3)} coverage80=${r.engine.coverage80.toFixed(3)} models=${JSON.stringify(r.models)}`,
    );
  },
};
