import { describe, expect, it } from '@jest/globals';
import { forecastVerdict, seriesTitle } from '../../../src/dashboard/views/forecast-verdict.js';

describe('forecastVerdict', () => {
  const backtest = [
    { model: 'theta', smape: 19.6 },
    { model: 'seasonal-naive', smape: 21.0 },
    { model: 'ets', smape: 24.0 },
  ];

  it("quotes the chosen model's backtest error, not the best candidate's", () => {
    expect(forecastVerdict({ model: 'ets', backtest })).toEqual({
      chosen: 24.0,
      naive: { model: 'seasonal-naive', smape: 21.0 },
      worseThanNaive: true,
    });
  });

  it('is not worse than naive when the chosen model beat it', () => {
    expect(forecastVerdict({ model: 'theta', backtest })).toMatchObject({ chosen: 19.6, worseThanNaive: false });
  });

  it('falls back to plain naive, and says nothing it cannot know', () => {
    expect(forecastVerdict({ model: 'theta', backtest: [{ model: 'naive', smape: 10 }] })).toEqual({
      chosen: null,
      naive: { model: 'naive', smape: 10 },
      worseThanNaive: false,
    });
    expect(forecastVerdict({ model: null, backtest: [] })).toEqual({
      chosen: null,
      naive: null,
      worseThanNaive: false,
    });
  });
});

describe('seriesTitle', () => {
  it('names a series in words, not by its key', () => {
    expect(seriesTitle('revenue:total')).toBe('Won revenue per month, all pipelines');
    expect(seriesTitle('pipeline:2000100')).toBe('New pipeline per month (amount of deals created), pipeline 2000100');
    expect(seriesTitle('revenue:default')).toBe('Won revenue per month, default pipeline');
    expect(seriesTitle('bottom-up:total')).toMatch(/^Won revenue expected from today’s open deals .*, all pipelines$/);
    expect(seriesTitle('other')).toBe('other');
  });
});
