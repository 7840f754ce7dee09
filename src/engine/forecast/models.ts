import { abs, floor, max, min, sqrt, tanh } from '../lib/math.js';
import { logistic, nelderMead } from './nelder-mead.js';
import { decompose, deseasonalise, isSeasonal } from './seasonality.js';

/**
 * The forecasting models the engine chooses among. Each gives point forecasts for h = 1..H and the standard
 * deviation of the h-step error (from the model's own error structure), or null when the series cannot carry it.
 */
export interface ModelForecast {
  model: string;
  mean: Float64Array;
  sd: Float64Array;
}

export type ForecastModel = (y: Float64Array, horizon: number, season: number) => ModelForecast | null;

/** Seasonal naive: each month repeats the same month of the last season. */
export const seasonalNaive: ForecastModel = (y, horizon, season) => {
  const m = max(1, season);
  const n = y.length;
  if (n < m + 2) return null;
  let s2 = 0;
  for (let t = m; t < n; t++) s2 += (y[t]! - y[t - m]!) ** 2;
  const sigma = sqrt(s2 / (n - m));
  const mean = new Float64Array(horizon);
  const sd = new Float64Array(horizon);
  for (let h = 0; h < horizon; h++) {
    mean[h] = y[n - m + (h % m)]!;
    sd[h] = sigma * sqrt(floor(h / m) + 1);
  }
  return { model: 'seasonal-naive', mean, sd };
};

type Trend = 'none' | 'linear' | 'damped';

interface SmoothingFit {
  alpha: number;
  beta: number;
  phi: number;
  level: number;
  slope: number;
  sigma: number;
}

/** Exponential smoothing with no, linear or damped trend; parameters by least squares (Nelder–Mead). */
function fitSmoothing(y: Float64Array, trend: Trend): SmoothingFit {
  const n = y.length;
  const k = min(n, 10);
  let sx = 0;
  let sy = 0;
  let sxy = 0;
  let sxx = 0;
  for (let t = 0; t < k; t++) {
    sx += t;
    sy += y[t]!;
    sxy += t * y[t]!;
    sxx += t * t;
  }
  const b0 = trend === 'none' ? 0 : (k * sxy - sx * sy) / max(1e-12, k * sxx - sx * sx);
  const l0 = trend === 'none' ? y[0]! : sy / k - (b0 * sx) / k;
  let scale = 0;
  for (let t = 0; t < n; t++) scale += abs(y[t]!);
  scale = scale / n || 1;
  const unpack = (p: Float64Array) => {
    const alpha = 0.0001 + 0.9998 * logistic(p[0]!);
    const beta = trend === 'none' ? 0 : alpha * (0.0001 + 0.9998 * logistic(p[1]!));
    const phi = trend === 'damped' ? 0.8 + 0.18 * logistic(p[2]!) : 1;
    const level = l0 + p[trend === 'none' ? 1 : trend === 'linear' ? 2 : 3]! * scale;
    const slope = trend === 'none' ? 0 : b0 + p[trend === 'linear' ? 3 : 4]! * scale * 0.1;
    return { alpha, beta, phi, level, slope };
  };
  const run = (q: ReturnType<typeof unpack>, keep?: { level: number; slope: number }) => {
    let l = q.level;
    let b = q.slope;
    let sse = 0;
    for (let t = 0; t < n; t++) {
      const f = l + q.phi * b;
      const e = y[t]! - f;
      sse += e * e;
      const lNew = f + q.alpha * e;
      b = q.phi * b + q.beta * e;
      l = lNew;
    }
    if (keep) {
      keep.level = l;
      keep.slope = b;
    }
    return sse;
  };
  const start = trend === 'none' ? [0, 0] : trend === 'linear' ? [-1, -2, 0, 0] : [-1, -2, 1, 0, 0];
  const best = nelderMead((p) => run(unpack(p)), start, { step: 0.5, maxEvaluations: 150 * start.length });
  const q = unpack(best.x);
  const end = { level: 0, slope: 0 };
  const sse = run(q, end);
  const params = start.length;
  return { ...q, level: end.level, slope: end.slope, sigma: sqrt(sse / max(1, n - params)) };
}

function smoothingForecast(fit: SmoothingFit, horizon: number, model: string): ModelForecast {
  const mean = new Float64Array(horizon);
  const sd = new Float64Array(horizon);
  let phiSum = 0;
  let varSum = 0;
  for (let h = 0; h < horizon; h++) {
    phiSum += fit.phi ** (h + 1);
    mean[h] = fit.level + phiSum * fit.slope;
    // ETS(A,Ad,N) variance: σ²[1 + Σ_{j<h} (α + αβ·φ_j)²] with φ_j = φ + … + φ^j (β here is α·β*).
    if (h > 0) {
      let phij = 0;
      for (let i = 1; i <= h; i++) phij += fit.phi ** i;
      varSum += (fit.alpha + fit.beta * phij) ** 2;
    }
    sd[h] = fit.sigma * sqrt(1 + varSum);
  }
  return { model, mean, sd };
}

/** Simple exponential smoothing. */
export const ses: ForecastModel = (y, horizon) =>
  y.length < 4 ? null : smoothingForecast(fitSmoothing(y, 'none'), horizon, 'ses');

/** Holt's damped trend. */
export const dampedTrend: ForecastModel = (y, horizon) =>
  y.length < 8 ? null : smoothingForecast(fitSmoothing(y, 'damped'), horizon, 'damped');

/**
 * The Theta method (Assimakopoulos & Nikolopoulos 2000, as Hyndman & Billah write it): SES plus half the
 * slope of the series' linear trend. Intervals are SES's.
 */
export const theta: ForecastModel = (y, horizon) => {
  const n = y.length;
  if (n < 4) return null;
  const fit = fitSmoothing(y, 'none');
  let sx = 0;
  let sy = 0;
  let sxy = 0;
  let sxx = 0;
  for (let t = 0; t < n; t++) {
    sx += t;
    sy += y[t]!;
    sxy += t * y[t]!;
    sxx += t * t;
  }
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const base = smoothingForecast(fit, horizon, 'theta');
  const a = fit.alpha;
  for (let h = 0; h < horizon; h++) base.mean[h]! += (slope / 2) * (h + (1 - (1 - a) ** n) / a);
  return base;
};

/**
 * Seasonal ARIMA(0,1,1)(0,1,1)_m, the "airline" model (or ARIMA(0,1,1) with drift when there is no season),
 * by conditional sum of squares; intervals from the ψ-weights of the integrated model.
 */
export const airline: ForecastModel = (y, horizon, season) => {
  const n = y.length;
  const m = season > 1 && n >= 2 * season + 6 ? season : 0;
  if (n < 8) return null;
  // w = differenced series.
  const start = m > 0 ? m + 1 : 1;
  const w = new Float64Array(n - start);
  let drift = 0;
  for (let t = start; t < n; t++) {
    w[t - start] = m > 0 ? y[t]! - y[t - 1]! - y[t - m]! + y[t - m - 1]! : y[t]! - y[t - 1]!;
    drift += w[t - start]!;
  }
  drift = m > 0 ? 0 : drift / w.length;
  const e = new Float64Array(w.length);
  const css = (th: number, sth: number) => {
    let s = 0;
    for (let t = 0; t < w.length; t++) {
      let v = w[t]! - drift;
      if (t >= 1) v -= th * e[t - 1]!;
      if (m > 0 && t >= m) v -= sth * e[t - m]!;
      if (m > 0 && t >= m + 1) v -= th * sth * e[t - m - 1]!;
      e[t] = v;
      s += v * v;
    }
    return s;
  };
  const bound = (v: number) => 0.98 * tanh(v);
  const fit = nelderMead((p) => css(bound(p[0]!), m > 0 ? bound(p[1]!) : 0), m > 0 ? [-0.4, -0.4] : [-0.4], {
    step: 0.3,
    maxEvaluations: 200,
  });
  const th = bound(fit.x[0]!);
  const sth = m > 0 ? bound(fit.x[1]!) : 0;
  const sse = css(th, sth);
  const sigma = sqrt(sse / max(1, w.length - (m > 0 ? 2 : 2)));
  // Extend w with future values (future shocks zero), then undo the differencing.
  const total = w.length + horizon;
  const wf = new Float64Array(total);
  wf.set(w);
  const ef = new Float64Array(total);
  ef.set(e);
  for (let t = w.length; t < total; t++) {
    let v = drift;
    if (t >= 1) v += th * ef[t - 1]!;
    if (m > 0 && t >= m) v += sth * ef[t - m]!;
    if (m > 0 && t >= m + 1) v += th * sth * ef[t - m - 1]!;
    wf[t] = v;
  }
  const yf = new Float64Array(n + horizon);
  yf.set(y);
  for (let t = n; t < n + horizon; t++) {
    const wt = wf[t - start]!;
    yf[t] = m > 0 ? wt + yf[t - 1]! + yf[t - m]! - yf[t - m - 1]! : wt + yf[t - 1]!;
  }
  // ψ-weights of (1−B)(1−B^m) y = (1+θB)(1+ΘB^m) e.
  const ar = new Float64Array(horizon + m + 2);
  ar[1] = 1;
  if (m > 0) {
    ar[m] = (ar[m] ?? 0) + 1;
    ar[m + 1] = -1;
  }
  const ma = (j: number) => (j === 1 ? th : 0) + (m > 0 && j === m ? sth : 0) + (m > 0 && j === m + 1 ? th * sth : 0);
  const psi = new Float64Array(horizon);
  psi[0] = 1;
  const sd = new Float64Array(horizon);
  let acc = 1;
  sd[0] = sigma;
  for (let j = 1; j < horizon; j++) {
    let v = ma(j);
    for (let i = 1; i <= j && i < ar.length; i++) v += ar[i]! * psi[j - i]!;
    psi[j] = v;
    acc += v * v;
    sd[j] = sigma * sqrt(acc);
  }
  return { model: m > 0 ? 'sarima(0,1,1)(0,1,1)' : 'arima(0,1,1)+drift', mean: yf.slice(n), sd };
};

/**
 * Wraps a non-seasonal model: when the series tests seasonal, fit on the seasonally adjusted series and put the
 * season back (classical multiplicative decomposition, additive when a value is not positive).
 */
export function withSeasonalAdjustment(model: ForecastModel): ForecastModel {
  return (y, horizon, season) => {
    if (season < 2 || !isSeasonal(y, season)) return model(y, horizon, season);
    const d = decompose(y, season);
    const fc = model(deseasonalise(y, d), horizon, season);
    if (!fc) return null;
    const n = y.length;
    for (let h = 0; h < horizon; h++) {
      const idx = d.indices[(n + h) % season]!;
      if (d.multiplicative) {
        fc.mean[h]! *= idx;
        fc.sd[h]! *= idx;
      } else fc.mean[h]! += idx;
    }
    return fc;
  };
}

/** The equal-weight combination of several models' forecasts (their sds averaged: errors taken as correlated). */
export function combine(name: string, parts: ModelForecast[]): ModelForecast {
  const horizon = parts[0]!.mean.length;
  const mean = new Float64Array(horizon);
  const sd = new Float64Array(horizon);
  for (const p of parts) {
    for (let h = 0; h < horizon; h++) {
      mean[h]! += p.mean[h]! / parts.length;
      sd[h]! += p.sd[h]! / parts.length;
    }
  }
  return { model: name, mean, sd };
}
