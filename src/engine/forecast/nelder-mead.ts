import { abs, exp, log, max } from '../lib/math.js';
/** Nelder–Mead minimisation (no gradients), enough for the 2–5 parameters of a smoothing or ARIMA fit. */
export function nelderMead(
  f: (x: Float64Array) => number,
  start: ArrayLike<number>,
  options: { step?: number; maxEvaluations?: number; tolerance?: number } = {},
): { x: Float64Array; value: number } {
  const n = start.length;
  const step = options.step ?? 0.1;
  const maxEval = options.maxEvaluations ?? 200 * n;
  const tol = options.tolerance ?? 1e-8;
  const simplex: Float64Array[] = [Float64Array.from(start)];
  for (let i = 0; i < n; i++) {
    const p = Float64Array.from(start);
    p[i] = p[i]! + (p[i] === 0 ? step : step * max(1, abs(p[i]!)));
    simplex.push(p);
  }
  const values = simplex.map((p) => f(p));
  let evals = n + 1;
  const centroid = new Float64Array(n);
  const point = (a: Float64Array, b: Float64Array, t: number) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = a[i]! + t * (b[i]! - a[i]!);
    return out;
  };
  while (evals < maxEval) {
    const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
    const sortedS = order.map((i) => simplex[i]!);
    const sortedV = order.map((i) => values[i]!);
    for (let i = 0; i <= n; i++) {
      simplex[i] = sortedS[i]!;
      values[i] = sortedV[i]!;
    }
    if (abs(values[n]! - values[0]!) <= tol * (abs(values[0]!) + tol)) break;
    centroid.fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j]! += simplex[i]![j]! / n;
    const worst = simplex[n]!;
    const reflected = point(centroid, worst, -1);
    const fr = f(reflected);
    evals++;
    if (fr < values[0]!) {
      const expanded = point(centroid, worst, -2);
      const fe = f(expanded);
      evals++;
      if (fe < fr) {
        simplex[n] = expanded;
        values[n] = fe;
      } else {
        simplex[n] = reflected;
        values[n] = fr;
      }
    } else if (fr < values[n - 1]!) {
      simplex[n] = reflected;
      values[n] = fr;
    } else {
      const outside = fr < values[n]!;
      const contracted = point(centroid, outside ? reflected : worst, 0.5);
      const fc = f(contracted);
      evals++;
      if (fc < (outside ? fr : values[n]!)) {
        simplex[n] = contracted;
        values[n] = fc;
      } else {
        for (let i = 1; i <= n; i++) {
          simplex[i] = point(simplex[0]!, simplex[i]!, 0.5);
          values[i] = f(simplex[i]!);
          evals++;
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i <= n; i++) if (values[i]! < values[best]!) best = i;
  return { x: simplex[best]!, value: values[best]! };
}

export const logistic = (v: number) => 1 / (1 + exp(-v));
export const logit = (p: number) => log(p / (1 - p));
