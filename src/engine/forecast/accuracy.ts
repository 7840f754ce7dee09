import { abs, max } from '../lib/math.js';
/** Symmetric MAPE in % (M3's definition: 200·|a−f|/(|a|+|f|)), points where both are 0 count as exact. */
export function smape(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = abs(actual[i]!) + abs(forecast[i]!);
    s += d === 0 ? 0 : (200 * abs(actual[i]! - forecast[i]!)) / d;
  }
  return s / actual.length;
}

/** Mean absolute scaled error: MAE over the in-sample MAE of the seasonal naive forecast (lag m, or 1). */
export function mase(
  train: ArrayLike<number>,
  actual: ArrayLike<number>,
  forecast: ArrayLike<number>,
  m: number,
): number {
  const lag = train.length > m ? max(1, m) : 1;
  let scale = 0;
  for (let t = lag; t < train.length; t++) scale += abs(train[t]! - train[t - lag]!);
  scale /= max(1, train.length - lag);
  let mae = 0;
  for (let i = 0; i < actual.length; i++) mae += abs(actual[i]! - forecast[i]!);
  mae /= actual.length;
  return scale > 0 ? mae / scale : Number.NaN;
}
