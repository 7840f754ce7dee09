import { abs } from '../lib/math.js';
import type { SegmentProfileEntry } from '../types.js';

/** Words for a centre that sits at least this many standard deviations from the population on a feature. */
const THRESHOLD = 0.5;

const WORDS: Record<string, [high: string, low: string]> = {
  won_revenue: ['High value', 'Low value'],
  won_deals: ['Frequent', 'Infrequent'],
  days_since_purchase: ['Lapsed', 'Recent'],
  engagement: ['Engaged', 'Unengaged'],
  days_since_activity: ['Inactive', 'Active'],
  tenure_days: ['Long-standing', 'New'],
};

/**
 * A readable name from how a segment's centre differs from the population, strongest differences first,
 * e.g. "High value · Recent · Engaged". Email opens and page views speak as one word (engagement).
 */
export function segmentName(profile: SegmentProfileEntry[]): string {
  const z = new Map(profile.map((p) => [p.feature, p.z]));
  // Most members never bought: words about purchases ("Lapsed", "Recent", value) would contradict the data (a
  // non-buyer's days since purchase is a filled-in value); the segment is named for that instead.
  const wonDeals = profile.find((p) => p.feature === 'won_deals');
  const prospects = wonDeals !== undefined && wonDeals.mean < 0.5;
  if (prospects) {
    z.delete('days_since_purchase');
    z.delete('won_revenue');
    z.delete('won_deals');
  }
  const engagement = ['email_opens', 'page_views'].map((f) => z.get(f)).filter((v): v is number => v !== undefined);
  const scores: Array<[string, number]> = [];
  for (const [feature, [high, low]] of Object.entries(WORDS)) {
    const v =
      feature === 'engagement'
        ? engagement.length > 0
          ? engagement.reduce((a, b) => a + b, 0) / engagement.length
          : undefined
        : z.get(feature);
    if (v === undefined || abs(v) < THRESHOLD) continue;
    scores.push([v > 0 ? high : low, abs(v)]);
  }
  scores.sort((a, b) => b[1] - a[1]);
  const words = scores.slice(0, prospects ? 2 : 3).map(([w]) => w);
  if (prospects) words.unshift('Not yet buying');
  return words.length === 0 ? 'Typical' : words.join(' · ');
}
