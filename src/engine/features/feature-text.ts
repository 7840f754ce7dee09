import { abs, isFiniteNumber, round } from '../lib/math.js';

/** What wording needs beside a value: the currency amounts are in. */
export interface TextContext {
  currency?: string | undefined;
}

/** How a feature's value reads to a rep, e.g. "owner's win rate 62 %", "14 logged activities". */
const TEXT: Record<string, (v: number, c: TextContext) => string> = {
  amount: (v, c) => `deal amount ${money(v, c.currency)}`,
  deal_age_days: (v) => `deal open ${span(v)}`,
  stage_index: (v) => `at stage ${round(v) + 1} of the pipeline`,
  days_in_stage: (v) => `${span(v)} in the current stage`,
  stage_changes: (v) => count(v, 'stage change'),
  activity_count: (v) => count(v, 'logged activity', 'logged activities'),
  owner_win_rate: (v) => `owner's win rate ${round(v * 100)} %`,
  contact_segment: (v) => `contact's segment wins ${round(v * 100)} % of deals`,
  associated_contacts: (v) => `${count(v, 'contact')} on the deal`,
  line_items: (v) => `${count(v, 'product')} on the deal`,
  days_since_purchase: (v) => `last purchase ${span(v)} ago`,
  won_deals: (v) => count(v, 'won deal'),
  won_revenue: (v, c) => `${money(v, c.currency)} won revenue`,
  email_opens: (v) => count(v, 'email open'),
  page_views: (v) => count(v, 'page view'),
  days_since_activity: (v) => `last activity ${span(v)} ago`,
  tenure_days: (v) => `contact for ${span(v)}`,
  open_pipeline: (v, c) => `${money(v, c.currency)} in open deals`,
  open_deals: (v) => count(v, 'open deal'),
};

/** Bucket edges in days, with their words: a day count is said as "over" the largest edge it has passed. */
const SPANS: Array<[number, string]> = [
  [3 * 365, '3 years'],
  [2 * 365, '2 years'],
  [365, 'a year'],
  [182, '6 months'],
  [91, '3 months'],
  [61, '2 months'],
  [30, 'a month'],
  [14, '2 weeks'],
  [7, 'a week'],
];

/**
 * A number of days in words that change only at bucket edges ("over 3 months", "under a week"), so a text does
 * not change every day as the clock moves (a reason field rewritten daily on every record). Longer than 3 years
 * counts in whole years ("over 4 years").
 */
export function span(days: number): string {
  if (days >= 4 * 365) return `over ${Math.floor(days / 365)} years`;
  for (const [edge, words] of SPANS) if (days >= edge) return `over ${words}`;
  return 'under a week';
}

/** Symbols a rep reads without a code; any other currency is written with its ISO code ("CHF 950"). */
const SYMBOLS: Record<string, string> = { USD: '$', EUR: '€', GBP: '£', JPY: '¥', INR: '₹' };

/** An amount, short ("14k", "1.2M"), with its currency when known: "$14k", "€1.2M", "CHF 950". */
export function money(v: number, currency?: string): string {
  const short = abs(v) >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : abs(v) >= 1e4 ? `${round(v / 1e3)}k` : String(round(v));
  if (!currency) return short;
  const symbol = SYMBOLS[currency.toUpperCase()];
  const sign = short.startsWith('-') ? '-' : '';
  return symbol ? `${sign}${symbol}${short.replace(/^-/, '')}` : `${currency.toUpperCase()} ${short}`;
}

export function describeFeature(feature: string, value: number | null, context: TextContext = {}): string {
  if (value === null || !isFiniteNumber(value)) return `${feature.replace(/_/g, ' ')} unknown`;
  const text = TEXT[feature];
  return text
    ? text(value, context)
    : `${feature.replace(/_/g, ' ')} = ${Number.isInteger(value) ? value : value.toFixed(2)}`;
}

/** "raises" / "lowers" with the size in percentage points ("1 pt", "0.4 pts", "12 pts"). */
export function describeContribution(contribution: number): string {
  const pts = abs(contribution * 100);
  const said = pts < 1 ? pts.toFixed(1) : String(round(pts));
  return `${contribution >= 0 ? 'raises' : 'lowers'} it ${said} ${said === '1' ? 'pt' : 'pts'}`;
}

/** A whole count with its noun in the right number: "1 won deal", "3 won deals", "1 logged activity". */
export function count(value: number, one: string, many = `${one}s`): string {
  const n = round(value);
  return `${n} ${n === 1 ? one : many}`;
}
