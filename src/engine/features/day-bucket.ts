import { floor, isFiniteNumber } from '../lib/math.js';

/**
 * Lower edges (days) of the buckets the models see day counts in: the edges the reasons say them in (`span`:
 * "under a week", "over 2 weeks", … "over 3 years"), with 1 and 3 days below a week; whole years from 4 years.
 */
const EDGES = [0, 1, 3, 7, 14, 30, 61, 91, 182, 365, 730, 1095] as const;
const YEAR = 365;

/**
 * A day count (age, time in stage, recency, tenure) as its bucket's lower edge. A model fed raw day counts moves
 * most records a little every day as the clock moves (each crosses some split of some tree), and a calibrated
 * step then moves many of them by points; in buckets a day's passing moves only the records that cross an edge,
 * on the day they do. NaN and other non-finite values pass through.
 */
export function dayBucket(days: number): number {
  if (!isFiniteNumber(days)) return days;
  if (days >= 4 * YEAR) return floor(days / YEAR) * YEAR;
  let edge = 0;
  for (const e of EDGES) if (days >= e) edge = e;
  return edge;
}
