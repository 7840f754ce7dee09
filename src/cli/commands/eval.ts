import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EngineInputError } from '../../engine/engine-error.js';
import { evaluateForecasts, readSeries, seriesPeriods } from '../../engine/forecast/evaluate-forecasts.js';
import { inferSeason } from '../../engine/forecast/infer-season.js';
import { evaluateClassifier } from '../../engine/scores/evaluate-classifier.js';
import { evaluateSegments } from '../../engine/segments/evaluate-segments.js';
import { parseCsv } from '../../engine/tabular/parse-csv.js';
import { tableToMatrix } from '../../engine/tabular/table-to-matrix.js';
import { type CliIo, print } from '../cli-io.js';
import { terminalProgress } from '../progress-bar.js';

const f4 = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : 'n/a');

function readTable(io: CliIo, file: string) {
  const path = resolve(io.cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new EngineInputError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseCsv(text, file);
}

function integer(name: string, raw: string, min: number): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min)
    throw new EngineInputError(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
  return v;
}

/** `crm-agent eval winprob|forecast|segments`: the engine's models measured on the user's own CSV files. */
export function registerEval(program: Command, io: CliIo): void {
  const evalCommand = program
    .command('eval')
    .description('measure the models on your own CSV files (winprob|forecast|segments)');
  evalCommand
    .command('winprob')
    .description(
      'win/churn probability: seeded stratified 80/20 split, forest + calibration, held-out AUC, Brier and calibration error',
    )
    .requiredOption('--csv <file>', 'labelled table, one row per record')
    .requiredOption('--target <column>', 'the outcome column')
    .requiredOption('--positive <value>', 'the outcome value that counts as positive (e.g. yes)')
    .option('--seed <n>', 'seed of the split and the forest', '1')
    .option('--trees <n>', 'trees in the forest', '100')
    .option('--drop <columns>', 'comma-separated columns to leave out (e.g. ones known only afterwards)')
    .action(
      (options: { csv: string; target: string; positive: string; seed: string; trees: string; drop?: string }) => {
        const table = readTable(io, options.csv);
        const drop = options.drop
          ? options.drop
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : [];
        const { x, y, dropped } = tableToMatrix(table, options.target, options.positive, drop, options.csv);
        const seed = integer('seed', options.seed, 0);
        const trees = integer('trees', options.trees, 1);
        const bar = terminalProgress(io.stderr, 'winprob');
        let r: ReturnType<typeof evaluateClassifier>;
        try {
          r = evaluateClassifier(x, y, {
            seed,
            trees,
            ...(bar ? { onProgress: (done: number, total: number) => bar.update(done, total, 'trees') } : {}),
          });
        } finally {
          bar?.stop();
        }
        print(
          io.stdout,
          `auc=${f4(r.auc)} brier=${f4(r.brier)} ece=${f4(r.ece)} accuracy=${f4(r.accuracy)} train_s=${r.trainSeconds.toFixed(2)}`,
        );
        print(
          io.stderr,
          `rows: ${r.trainRows} train, ${r.testRows} test; ${x.cols} features` +
            (dropped.length > 0 ? `; left out: ${dropped.map((d) => `${d.column} (${d.reason})`).join(', ')}` : ''),
        );
      },
    );
  evalCommand
    .command('forecast')
    .description('forecasts: the last H points of every series held out; engine vs seasonal naive')
    .requiredOption('--csv <file>', 'columns series,period,value')
    .requiredOption('--horizon <h>', 'points held out and forecast per series')
    .option(
      '--season <m>',
      'season length: 12 monthly, 4 quarterly, 52 weekly, 7 daily, 1 none (default: inferred from dated periods, else 12)',
    )
    .action((options: { csv: string; horizon: string; season?: string }) => {
      const table = readTable(io, options.csv);
      const series = readSeries(table, options.csv);
      const horizon = integer('horizon', options.horizon, 1);
      const season =
        options.season === undefined ? inferSeason(seriesPeriods(table)) : integer('season', options.season, 1);
      if (typeof season !== 'number') print(io.stderr, season.reason);
      const m = typeof season === 'number' ? season : season.season;
      const bar = terminalProgress(io.stderr, 'forecast');
      let r: ReturnType<typeof evaluateForecasts>;
      try {
        r = evaluateForecasts(series, horizon, m, {
          ...(bar ? { onProgress: (done: number, total: number) => bar.update(done, total, 'series') } : {}),
        });
      } finally {
        bar?.stop();
      }
      const line = (s: { smape: number; mase: number; coverage80: number }) =>
        `smape=${f4(s.smape)} mase=${f4(s.mase)} coverage80=${f4(s.coverage80)} series=${r.series}`;
      print(io.stdout, line(r.engine));
      print(io.stdout, `seasonal_naive ${line(r.seasonalNaive)}`);
      const models = Object.entries(r.models)
        .sort((a, b) => b[1] - a[1])
        .map(([m, n]) => `${m}=${n}`)
        .join(' ');
      print(
        io.stderr,
        `season ${m}; models chosen: ${models}; ${r.seconds.toFixed(1)} s` +
          (r.skipped.length > 0
            ? `; skipped ${r.skipped.length} series too short to hold out ${options.horizon} points`
            : ''),
      );
    });
  evalCommand
    .command('segments')
    .description('k-means on a numeric table (standardised): inertia, silhouette, seconds')
    .requiredOption('--csv <file>', 'one row per customer, number columns (a text id column is ignored)')
    .requiredOption('--k <k>', 'number of segments')
    .option('--seed <n>', 'seed of the k-means++ starts', '1')
    .option('--starts <n>', 'k-means++ starts (the best is kept)', '4')
    .action((options: { csv: string; k: string; seed: string; starts: string }) => {
      const table = readTable(io, options.csv);
      const k = integer('k', options.k, 2);
      const settings = { seed: integer('seed', options.seed, 0), starts: integer('starts', options.starts, 1) };
      const bar = terminalProgress(io.stderr, 'segments');
      let r: ReturnType<typeof evaluateSegments>;
      try {
        r = evaluateSegments(table, k, {
          ...settings,
          what: options.csv,
          ...(bar
            ? {
                onProgress: (done: number, total: number) =>
                  bar.update(done, total, done === 0 ? 'k-means' : 'silhouette'),
              }
            : {}),
        });
      } finally {
        bar?.stop();
      }
      print(io.stdout, `inertia=${f4(r.inertia)} silhouette=${f4(r.silhouette)} seconds=${r.seconds.toFixed(3)}`);
      print(
        io.stderr,
        `${r.rows} rows × ${r.columns.length} columns (${r.columns.join(', ')}), standardised; silhouette on ${r.silhouetteSample} rows` +
          (r.ignored.length > 0 ? `; ignored id columns: ${r.ignored.join(', ')}` : ''),
      );
    });
}
