import { floor } from '../lib/math.js';
import { DAY } from './contact-features.js';

/**
 * The time day-counting features are measured at: the end of `now`'s UTC day. Every run on one day then sees the
 * same ages, recencies and staleness (a deal is "12.4 days in its stage" all day, not 12.40 at 09:00 and 12.41 at
 * 09:10), so a re-run with the CRM unchanged gives the same probabilities, instead of moving the records whose
 * fractional day count crossed a split of the model in between. Counts move once a day, at midnight UTC,
 * together; everything that happened until `now` is before it.
 */
export function featureTime(now: number): number {
  return floor(now / DAY) * DAY + DAY;
}
