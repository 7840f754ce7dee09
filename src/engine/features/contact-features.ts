import type { CleanData } from '../clean/clean-records.js';
import { INF, max } from '../lib/math.js';
import { type Matrix, matrix } from '../lib/matrix.js';

export const DAY = 86_400_000;

/** Contact features, named as reps read them. */
export const CONTACT_FEATURES = [
  'days_since_purchase',
  'won_deals',
  'won_revenue',
  'email_opens',
  'page_views',
  'days_since_activity',
  'tenure_days',
  'open_pipeline',
  'open_deals',
] as const;

/**
 * Contact features the engine can rebuild as of any past date, because they come from deals (created, closed,
 * won) and the contact's creation date. The contact model trains on these only.
 */
export const HISTORY_FEATURES = [
  'days_since_purchase',
  'won_deals',
  'won_revenue',
  'tenure_days',
  'open_pipeline',
  'open_deals',
] as const;

/**
 * Known only as their current value: the CRM gives today's email opens, page views and last-activity date, not
 * what they were on a past date. As of a past cutoff they would carry what happened after it (a contact who
 * bought since opened more emails), so they are left out of the contact model's training.
 */
export const CURRENT_ONLY_FEATURES = ['email_opens', 'page_views', 'days_since_activity'] as const;

/**
 * RFM, engagement, tenure and open pipeline per contact, as of `at` (deals count only once won or created by
 * then). Contacts that never bought count their recency from when they became contacts; contacts without an
 * activity date count theirs the same way.
 */
export function contactFeatures(data: CleanData, at: number): Matrix {
  const n = data.contacts.length;
  const m = matrix(n, [...CONTACT_FEATURES]);
  for (let i = 0; i < n; i++) contactFeatureRow(data, i, at, m.data, i * m.cols);
  return m;
}

/** One contact's features (in CONTACT_FEATURES order) as of `at`, written to `out` from `offset`. */
export function contactFeatureRow(data: CleanData, i: number, at: number, out: Float64Array, offset: number): void {
  const c = data.contacts[i]!;
  const tenure = max(0, (at - c.createdAt) / DAY);
  let won = 0;
  let revenue = 0;
  let lastWon = -INF;
  let openAmount = 0;
  let openDeals = 0;
  const { offsets, items } = data.dealsOfContact;
  for (let e = offsets[i]!; e < offsets[i + 1]!; e++) {
    const k = items[e]!;
    const d = data.deals[k]!;
    if (d.createdAt > at) continue;
    const closedBy = d.record.isClosed && d.closeAt !== null && d.closeAt <= at;
    if (closedBy && d.record.isWon) {
      won++;
      revenue += d.amount ?? 0;
      if (d.closeAt! > lastWon) lastWon = d.closeAt!;
    } else if (!closedBy && !(d.record.isClosed && d.closeAt === null)) {
      openDeals++;
      openAmount += d.amount ?? 0;
    }
  }
  out[offset] = won > 0 ? max(0, (at - lastWon) / DAY) : tenure;
  out[offset + 1] = won;
  out[offset + 2] = revenue;
  out[offset + 3] = c.emailOpens;
  out[offset + 4] = c.pageViews;
  out[offset + 5] =
    c.lastActivityAt !== null && c.lastActivityAt <= at ? max(0, (at - c.lastActivityAt) / DAY) : tenure;
  out[offset + 6] = tenure;
  out[offset + 7] = openAmount;
  out[offset + 8] = openDeals;
}
