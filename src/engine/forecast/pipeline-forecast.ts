import { EngineInputError } from '../engine-error.js';
import { isFiniteNumber, max, min } from '../lib/math.js';
import { Random } from '../lib/random.js';
import { quantileSorted } from '../lib/stats.js';

const DAY = 86_400_000;

/** An open deal as the bottom-up forecast needs it. */
export interface OpenDeal {
  amount: number;
  /** Calibrated probability that the deal is won (at any time). */
  pWin: number;
  /** Creation time (ms). */
  createdAt: number;
}

/** A forecast period, [from, to) in ms; the first usually starts at `now`. */
export interface ForecastPeriod {
  label: string;
  from: number;
  to: number;
}

export interface PipelineForecastInput {
  openDeals: OpenDeal[];
  /** Days from creation to close of the tenant's won deals: the time-to-close model. */
  wonDurationsDays: number[];
  periods: ForecastPeriod[];
  now: number;
  /** Top-down forecast of revenue from deals not created yet, per period (mean and standard deviation). */
  newDeals?: { mean: number[]; sd: number[] };
  /** Simulated futures for the interval (default 2,000). */
  simulations?: number;
  seed: number;
}

export interface PipelinePeriodForecast {
  label: string;
  /** Expected revenue from today's open deals: Σ amount × P(win) × P(closing in the period | won, open now). */
  fromOpenDeals: number;
  /** Expected revenue from deals not created yet (the top-down part), 0 without one. */
  fromNewDeals: number;
  mean: number;
  /** 80 % interval from the simulated futures. */
  lo80: number;
  hi80: number;
}

export interface PipelineForecast {
  periods: PipelinePeriodForecast[];
  /** The whole horizon's total, with its own interval (not the sum of the periods' bounds). */
  total: { mean: number; lo80: number; hi80: number };
  /** Open deals older than every won deal took: the time-to-close model gives them no close in the horizon. */
  beyondHistory: number;
}

/**
 * Survival of the won deals' time to close: `share(t)` = share of won deals that took longer than t days.
 * Empirical (each won deal one step), so a deal is never expected to close at an age no won deal has reached.
 */
export function timeToClose(durationsDays: number[]): { share: (days: number) => number; deals: number } {
  const sorted = Float64Array.from(durationsDays.filter((d) => isFiniteNumber(d) && d >= 0)).sort();
  const n = sorted.length;
  return {
    deals: n,
    share: (days: number) => {
      // Number of durations ≤ days, by binary search.
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid]! <= days) lo = mid + 1;
        else hi = mid;
      }
      return n === 0 ? 0 : (n - lo) / n;
    },
  };
}

/**
 * Probability that a deal open at `ageDays`, if won, closes in each period: (S(a + from) − S(a + to)) / S(a) with
 * S the won deals' survival; all zero for a deal older than every won deal took (S(a) = 0).
 */
export function closeProbabilities(
  survival: (days: number) => number,
  ageDays: number,
  periods: ForecastPeriod[],
  now: number,
): number[] {
  const alive = survival(ageDays);
  if (!(alive > 0)) return periods.map(() => 0);
  return periods.map((p) => {
    const from = ageDays + max(0, p.from - now) / DAY;
    const to = ageDays + max(0, p.to - now) / DAY;
    return max(0, survival(from) - survival(to)) / alive;
  });
}

/**
 * Bottom-up pipeline forecast: per period, the sum over open deals of amount × P(win) × P(closing in that period)
 * (from the tenant's won deals' time to close), plus the top-down forecast of revenue from deals not created yet;
 * an 80 % interval by simulating each deal's outcome and close period (and normal new-deal revenue, floored at 0).
 */
export function pipelineForecast(input: PipelineForecastInput): PipelineForecast {
  const { periods, now } = input;
  if (periods.length === 0) throw new EngineInputError('pipeline forecast: no periods to forecast');
  for (const p of periods) {
    if (!(p.to > p.from)) throw new EngineInputError(`pipeline forecast: period ${p.label} ends before it starts`);
  }
  const model = timeToClose(input.wonDurationsDays);
  if (model.deals === 0 && input.openDeals.length > 0) {
    throw new EngineInputError('pipeline forecast: no won deals to learn the time to close from');
  }
  const k = periods.length;
  const expected = new Float64Array(k);
  let beyondHistory = 0;
  const deals = input.openDeals.map((d) => {
    const amount = isFiniteNumber(d.amount) && d.amount > 0 ? d.amount : 0;
    const pWin = isFiniteNumber(d.pWin) ? min(1, max(0, d.pWin)) : 0;
    const age = max(0, (now - d.createdAt) / DAY);
    if (!(model.share(age) > 0)) beyondHistory++;
    const close = closeProbabilities(model.share, age, periods, now);
    for (let j = 0; j < k; j++) expected[j]! += amount * pWin * close[j]!;
    return { amount, pWin, close };
  });
  const newMean = periods.map((_, j) => max(0, input.newDeals?.mean[j] ?? 0));
  const newSd = periods.map((_, j) => max(0, input.newDeals?.sd[j] ?? 0));
  const sims = input.simulations ?? 2000;
  const rng = new Random(input.seed).fork('pipeline-forecast');
  const byPeriod = periods.map(() => new Float64Array(sims));
  const totals = new Float64Array(sims);
  for (let s = 0; s < sims; s++) {
    for (const d of deals) {
      if (d.amount === 0 || rng.next() >= d.pWin) continue;
      let u = rng.next();
      for (let j = 0; j < k; j++) {
        u -= d.close[j]!;
        if (u < 0) {
          byPeriod[j]![s]! += d.amount;
          break;
        }
      }
    }
    for (let j = 0; j < k; j++) {
      if (newSd[j]! > 0 || newMean[j]! > 0) byPeriod[j]![s]! += max(0, newMean[j]! + newSd[j]! * rng.normal());
      totals[s]! += byPeriod[j]![s]!;
    }
  }
  const interval = (values: Float64Array) => {
    const sorted = values.slice().sort();
    return { lo80: quantileSorted(sorted, 0.1), hi80: quantileSorted(sorted, 0.9) };
  };
  const out = periods.map((p, j) => ({
    label: p.label,
    fromOpenDeals: expected[j]!,
    fromNewDeals: newMean[j]!,
    mean: expected[j]! + newMean[j]!,
    ...interval(byPeriod[j]!),
  }));
  return {
    periods: out,
    total: { mean: out.reduce((a, p) => a + p.mean, 0), ...interval(totals) },
    beyondHistory,
  };
}

/** The CRM's own stage-weighted forecast: Σ amount × stage probability of the open deals whose close date falls in each period. */
export function stageWeightedForecast(
  deals: Array<{ amount: number; stageProbability: number; closeDate: number }>,
  periods: ForecastPeriod[],
): number[] {
  return periods.map((p) =>
    deals.reduce(
      (sum, d) =>
        d.closeDate >= p.from && d.closeDate < p.to && isFiniteNumber(d.amount) && isFiniteNumber(d.stageProbability)
          ? sum + d.amount * d.stageProbability
          : sum,
      0,
    ),
  );
}

/** The current month's rest and the next `count − 1` calendar months (UTC), labelled YYYY-MM. */
export function nextMonths(now: number, count: number): ForecastPeriod[] {
  const d = new Date(now);
  const out: ForecastPeriod[] = [];
  for (let i = 0; i < count; i++) {
    const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + i, 1);
    const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + i + 1, 1);
    out.push({ label: new Date(start).toISOString().slice(0, 7), from: i === 0 ? now : start, to: end });
  }
  return out;
}
