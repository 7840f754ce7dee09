import type { CleanData } from '../clean/clean-records.js';
import { isFiniteNumber } from '../lib/math.js';
import type { ForecastPoint, SeriesResult } from '../types.js';
import { nextMonths, type OpenDeal, pipelineForecast } from './pipeline-forecast.js';

const DAY = 86_400_000;

/**
 * The bottom-up pipeline forecast as forecast series (`bottom-up:total` and `bottom-up:<pipeline>`): each month's
 * expected won revenue from today's open deals (amount × calibrated P(win) × P(closing that month)), with an
 * 80 % interval; revenue from deals not created yet is left out (the top-down `revenue:*` forecast covers all).
 * History points are the pipeline's won revenue (as in `revenue:*`) so the chart reads on from it.
 */
export function bottomUpForecasts(
  data: CleanData,
  openDealIndexes: Int32Array,
  openDealProbability: Float64Array,
  topDown: SeriesResult[],
  horizon: number,
  now: number,
  seed: number,
): SeriesResult[] {
  // No deals at all: no series, as the top-down forecasts give none (not a series that says there is nothing).
  if (data.deals.length === 0) return [];
  const periods = nextMonths(now, horizon);
  const wonDays = new Map<string, number[]>();
  for (const d of data.deals) {
    if (!d.record.isWon || d.closeAt === null) continue;
    const days = (d.closeAt - d.createdAt) / DAY;
    if (!(days >= 0)) continue;
    for (const key of ['total', d.pipeline]) {
      const list = wonDays.get(key) ?? [];
      list.push(days);
      wonDays.set(key, list);
    }
  }
  const open = new Map<string, OpenDeal[]>();
  openDealIndexes.forEach((k, r) => {
    const d = data.deals[k]!;
    const pWin = openDealProbability[r]!;
    if (d.amount === null || !isFiniteNumber(pWin)) return;
    for (const key of ['total', d.pipeline]) {
      const list = open.get(key) ?? [];
      list.push({ amount: d.amount, pWin, createdAt: d.createdAt });
      open.set(key, list);
    }
  });
  const out: SeriesResult[] = [];
  const keys = ['total', ...[...open.keys()].filter((k) => k !== 'total').sort()];
  for (const key of keys) {
    const deals = open.get(key);
    const won = wonDays.get(key) ?? [];
    const history = (topDown.find((s) => s.series === `revenue:${key}`)?.points ?? []).filter(
      (p) => p.kind === 'actual',
    );
    const series = `bottom-up:${key}`;
    if (!deals || deals.length === 0 || won.length === 0) {
      out.push({
        series,
        status: 'not-enough-data',
        model: null,
        chosenBy: null,
        message:
          won.length === 0
            ? 'No won deals to learn how long deals take to close.'
            : 'No open deals with an amount and a win probability.',
        points: history,
        backtest: [],
      });
      continue;
    }
    const fc = pipelineForecast({ openDeals: deals, wonDurationsDays: won, periods, now, seed });
    const points: ForecastPoint[] = [
      ...history,
      ...fc.periods.map((p) => ({
        period: p.label,
        kind: 'forecast' as const,
        value: p.mean,
        lo80: p.lo80,
        hi80: p.hi80,
        lo95: null,
        hi95: null,
      })),
    ];
    out.push({
      series,
      status: 'ok',
      model: 'bottom-up',
      chosenBy: null,
      message:
        fc.beyondHistory > 0
          ? `${fc.beyondHistory} open deals are older than any won deal took to close and count for nothing in the horizon.`
          : null,
      points,
      backtest: [],
    });
  }
  return out;
}
