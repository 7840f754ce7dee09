import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Random } from '../../../src/engine/lib/random.js';
import { cli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir();
afterAll(() => dir.remove());
const env = { LOG_LEVEL: 'silent' };
const file = (name: string, text: string) => {
  const path = join(dir.path, name);
  writeFileSync(path, text);
  return path;
};

const rng = new Random(4);
const labelled = file(
  'deals.csv',
  [
    'id,amount,region,won',
    ...Array.from({ length: 400 }, (_, i) => {
      const a = rng.normal();
      const region = i % 3 === 0 ? 'north' : 'south';
      return `d${i},${(1000 + 300 * a).toFixed(2)},${region},${a + (region === 'north' ? 0.5 : 0) + 0.7 * rng.normal() > 0 ? 'yes' : 'no'}`;
    }),
  ].join('\n'),
);
const series = file(
  'series.csv',
  [
    'series,period,value',
    ...['a', 'b'].flatMap((s, k) =>
      Array.from(
        { length: 48 },
        (_, t) => `${s},${t + 1},${(100 + k * 50 + t) * (1 + 0.3 * Math.sin((2 * Math.PI * t) / 12))}`,
      ),
    ),
  ].join('\n'),
);

const customers = file(
  'customers.csv',
  ['customer,r,f', ...Array.from({ length: 60 }, (_, i) => `c${i},${i % 3},${(i % 3) * 2 + (i % 7) * 0.01}`)].join(
    '\n',
  ),
);

describe('crm-agent eval', () => {
  it.each([
    ['winprob', ['--csv', labelled, '--target', 'won', '--positive', 'yes', '--trees', '20'], /winprob .*20\/20 trees/],
    ['forecast', ['--csv', series, '--horizon', '6'], /forecast .*2\/2 series/],
    ['segments', ['--csv', customers, '--k', '3'], /segments .*2\/2 silhouette/],
  ])('%s shows a progress bar on a terminal, and none when its output is not one', async (what, args, bar) => {
    const onTerminal = await cli(['eval', what, ...args], env, { tty: true });
    expect(onTerminal.status).toBe(0);
    expect(onTerminal.stderr).toMatch(bar);
    const piped = await cli(['eval', what, ...args], env);
    expect(piped.status).toBe(0);
    expect(piped.stderr).not.toMatch(new RegExp(`^${what} `, 'm'));
    expect(piped.stderr).not.toContain('\u2588'); // the bar's block
    // The results are the same either way.
    expect(onTerminal.stdout.replace(/(train_s|seconds)=[\d.]+/g, '')).toBe(
      piped.stdout.replace(/(train_s|seconds)=[\d.]+/g, ''),
    );
  });

  it('winprob prints computed AUC, Brier, calibration error, accuracy and training time, leaving out the id column', async () => {
    const r = await cli(
      ['eval', 'winprob', '--csv', labelled, '--target', 'won', '--positive', 'yes', '--seed', '3', '--trees', '30'],
      env,
    );
    expect(r.status).toBe(0);
    const m = r.stdout.match(/^auc=([\d.]+) brier=([\d.]+) ece=([\d.]+) accuracy=([\d.]+) train_s=([\d.]+)\n$/);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0.7);
    // Calibration error of the held-out 80 rows: between 0 and the worst a calibrated model would plausibly show.
    expect(Number(m![3])).toBeGreaterThanOrEqual(0);
    expect(Number(m![3])).toBeLessThan(0.2);
    expect(r.stderr).toContain('id (an identifier (400 distinct values))');
  });

  it('forecast prints the engine and seasonal naive lines', async () => {
    const r = await cli(['eval', 'forecast', '--csv', series, '--horizon', '6'], env);
    expect(r.status).toBe(0);
    const [engine, naive] = r.stdout.trim().split('\n');
    expect(engine).toMatch(/^smape=[\d.]+ mase=[\d.]+ coverage80=[\d.]+ series=2$/);
    expect(naive).toMatch(/^seasonal_naive smape=[\d.]+ mase=[\d.]+ coverage80=[\d.]+ series=2$/);
    expect(Number(engine!.match(/smape=([\d.]+)/)![1])).toBeLessThanOrEqual(Number(naive!.match(/smape=([\d.]+)/)![1]));
  });

  it('forecast infers the season from dated periods, says so, and says when it has to assume one', async () => {
    // Quarterly series with a strong quarterly pattern, its rows shuffled: ordered as dates, season 4.
    const quarterly = file(
      'quarterly.csv',
      [
        'series,period,value',
        ...['a', 'b'].flatMap((s, k) =>
          Array.from({ length: 32 }, (_, t) => ({
            line: `${s},${1995 + Math.floor(t / 4)} Q${(t % 4) + 1},${(200 + 10 * k + 2 * t) * [0.7, 1.1, 1.4, 0.8][t % 4]!}`,
            key: (t * 7) % 32,
          }))
            .sort((x, y) => x.key - y.key)
            .map((r) => r.line),
        ),
      ].join('\n'),
    );
    const inferred = await cli(['eval', 'forecast', '--csv', quarterly, '--horizon', '4'], env);
    expect(inferred.status).toBe(0);
    expect(inferred.stderr).toContain('season 4: quarterly periods (quarters)');
    expect(inferred.stderr).toMatch(/season 4; models chosen/);
    const set = await cli(['eval', 'forecast', '--csv', quarterly, '--horizon', '4', '--season', '4'], env);
    expect(set.stdout).toBe(inferred.stdout);
    expect(set.stderr).not.toContain('quarterly periods');
    // Read with the old default (12) the same series forecast worse: the quarterly pattern is missed.
    const twelve = await cli(['eval', 'forecast', '--csv', quarterly, '--horizon', '4', '--season', '12'], env);
    const smapeOf = (out: string) => Number(out.match(/^smape=([\d.]+)/)![1]);
    expect(smapeOf(inferred.stdout)).toBeLessThan(smapeOf(twelve.stdout));
    const numbered = await cli(['eval', 'forecast', '--csv', series, '--horizon', '6'], env);
    expect(numbered.stderr).toContain('season 12 assumed: the periods are not dates');
  });

  it('segments prints inertia, silhouette and seconds', async () => {
    const r = await cli(['eval', 'segments', '--csv', labelled.replace('deals', 'deals'), '--k', '3'], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('column "region" has text ("north" on line 2); segments need numbers');
    const numeric = file(
      'rfm.csv',
      [
        'customer,r,f',
        ...Array.from({ length: 60 }, (_, i) => `c${i},${i % 3},${(i % 3) * 2 + rng.normal() * 0.1}`),
      ].join('\n'),
    );
    const ok = await cli(['eval', 'segments', '--csv', numeric, '--k', '3'], env);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^inertia=[\d.]+ silhouette=0\.9\d+ seconds=[\d.]+\n$/);
  });

  it.each([
    [
      ['eval', 'winprob', '--csv', 'missing.csv', '--target', 'won', '--positive', 'yes'],
      'cannot read missing.csv: ENOENT',
    ],
    [['eval', 'winprob', '--csv', 'LABELLED', '--target', 'won', '--positive', 'maybe'], 'no row has won="maybe"'],
    [['eval', 'winprob', '--csv', 'LABELLED', '--target', 'nope', '--positive', 'yes'], 'has no column "nope"'],
    [['eval', 'forecast', '--csv', 'SERIES', '--horizon', '40'], 'no series has enough points: each needs at least 64'],
    [['eval', 'forecast', '--csv', 'SERIES', '--horizon', 'x'], '--horizon must be an integer ≥ 1, got "x"'],
  ])('names the problem with bad input: %j', async (argv, message) => {
    const args = argv.map((a) => (a === 'LABELLED' ? labelled : a === 'SERIES' ? series : a));
    const r = await cli(args, env, { cwd: dir.path });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
  });

  it('refuses text in a number column and an empty file', async () => {
    const bad = file('bad.csv', 'amount,won\n10,yes\n12,no\n13,yes\nlots,no\n');
    const r = await cli(['eval', 'winprob', '--csv', bad, '--target', 'won', '--positive', 'yes'], env);
    expect(r.stderr).toContain('column "amount" holds numbers but line 5 has the text "lots"');
    const empty = file('empty.csv', '');
    const e = await cli(['eval', 'forecast', '--csv', empty, '--horizon', '3'], env);
    expect(e.stderr).toContain('is empty: expected a header line and rows');
  });
});
