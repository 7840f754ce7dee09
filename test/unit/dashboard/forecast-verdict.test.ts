import { describe, expect, it } from '@jest/globals';
import { forecastVerdict } from '../../../src/dashboard/views/forecast-verdict.js';

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
