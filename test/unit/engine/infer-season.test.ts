import { describe, expect, it } from '@jest/globals';
import { readSeries, seriesPeriods } from '../../../src/engine/forecast/evaluate-forecasts.js';
import { inferSeason, parsePeriod } from '../../../src/engine/forecast/infer-season.js';
import { parseCsv } from '../../../src/engine/tabular/parse-csv.js';

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

describe('parsePeriod', () => {
  it.each([
    ['2021-03-15', '2021-03-15'],
    ['2021/3/5', '2021-03-05'],
    ['2021-03-15T10:00:00Z', '2021-03-15'],
    ['2021-03', '2021-03-01'],
    ['2021-Q3', '2021-07-01'],
    ['2021 Q4', '2021-10-01'],
    ['2021q1', '2021-01-01'],
    ['Q2 2021', '2021-04-01'],
    ['Mar 2021', '2021-03-01'],
    ['2021 Sept', '2021-09-01'],
    ['December 2020', '2020-12-01'],
  ])('reads %s as %s', (label, iso) => {
    expect(parsePeriod(label)?.day).toBe(day(iso));
  });

  it.each(['12', '2021-13', '2021-02-30', 'Marzipan 2021', 'week 3', ''])('reads %j as no date', (label) => {
    expect(parsePeriod(label)).toBeNull();
  });

  it('reads a bare year only when told the column holds years', () => {
    expect(parsePeriod('2021')).toBeNull();
    expect(parsePeriod('2021', true)?.day).toBe(day('2021-01-01'));
  });
});

describe('inferSeason', () => {
  const months = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => `${from + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);
  it.each([
    ['monthly', [months(2015, 40), months(2018, 30)], 12],
    ['quarterly', [Array.from({ length: 20 }, (_, i) => `${2010 + Math.floor(i / 4)}-Q${(i % 4) + 1}`)], 4],
    [
      'quarterly as dates',
      [
        Array.from(
          { length: 20 },
          (_, i) => `${2010 + Math.floor(i / 4)}-${String(3 * (i % 4) + 1).padStart(2, '0')}-01`,
        ),
      ],
      4,
    ],
    [
      'weekly',
      [Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2021, 0, 4 + 7 * i)).toISOString().slice(0, 10))],
      52,
    ],
    ['daily', [Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2021, 0, 1 + i)).toISOString().slice(0, 10))], 7],
    ['yearly', [['1990', '1991', '1992', '1993']], 1],
  ])('%s periods give season %d', (_, periods, season) => {
    const r = inferSeason(periods as string[][]);
    expect(r.season).toBe(season);
    expect(r.dated).toBe(true);
  });

  it('says the fallback is assumed when the periods are not dates, and none for an irregular spacing', () => {
    const r = inferSeason([['1', '2', '3']]);
    expect(r).toEqual({ season: 12, dated: false, reason: expect.stringContaining('season 12 assumed') });
    expect(r.reason).toContain('set --season');
    const odd = inferSeason([['2021-01-01', '2021-02-20', '2021-04-11', '2021-05-31']]);
    expect(odd.season).toBe(1);
    expect(odd.reason).toContain('about 50 days apart');
  });
});

describe('readSeries with dated periods', () => {
  it('orders months as dates, not as text', () => {
    const rows = ['Mar 2021', 'Jan 2021', 'Feb 2021', 'Dec 2020'].map((p, i) => `s,${p},${i}`);
    const table = parseCsv(['series,period,value', ...rows].join('\n'));
    expect(readSeries(table).get('s')).toEqual([3, 1, 2, 0]);
    expect(inferSeason(seriesPeriods(table)).season).toBe(12);
  });
});
