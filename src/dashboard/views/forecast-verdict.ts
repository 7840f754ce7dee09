import type { SeriesResult } from '../../engine/types.js';

export interface ForecastVerdict {
  /** The backtest sMAPE of the model the forecast uses (not the best candidate's). */
  chosen: number | null;
  /** The naive baseline's (seasonal naive where it was a candidate). */
  naive: { model: string; smape: number } | null;
  /** The chosen model did worse than the naive baseline in the backtest. */
  worseThanNaive: boolean;
}

/**
 * What the forecast page says about a series' accuracy: the chosen model's own backtest error beside the naive
 * baseline's (the best candidate's error is not the one that applies when another model was chosen, e.g. by the
 * forecast rule), and whether the forecast did worse than naive.
 */
export function forecastVerdict(meta: Pick<SeriesResult, 'model' | 'backtest'>): ForecastVerdict {
  const chosen = meta.backtest.find((b) => b.model === meta.model)?.smape ?? null;
  const naive =
    meta.backtest.find((b) => b.model === 'seasonal-naive') ?? meta.backtest.find((b) => b.model === 'naive') ?? null;
  const usable = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
  return {
    chosen: usable(chosen) ? chosen : null,
    naive: naive && usable(naive.smape) ? naive : null,
    worseThanNaive: usable(chosen) && naive !== null && usable(naive.smape) && chosen > naive.smape,
  };
}

/** A series key in words: `revenue:total` → "Won revenue per month, all pipelines". */
export function seriesTitle(series: string, pipelines: Record<string, string> = {}): string {
  const [kind, pipeline = 'total'] = series.split(/:(.*)/s);
  const what =
    kind === 'revenue'
      ? 'Won revenue per month'
      : kind === 'pipeline'
        ? 'New pipeline per month (amount of deals created)'
        : kind === 'bottom-up'
          ? 'Won revenue expected from today’s open deals (bottom-up: amount × win probability × chance of closing that month)'
          : series;
  if (what === series) return series;
  return `${what}, ${pipeline === 'total' ? 'all pipelines' : pipeline === 'default' ? 'default pipeline' : pipelines[pipeline] ? `pipeline “${pipelines[pipeline]}”` : `pipeline ${pipeline}`}`;
}
