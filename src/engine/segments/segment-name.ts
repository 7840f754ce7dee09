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
  return scores.length === 0
    ? 'Typical'
    : scores
        .slice(0, 3)
        .map(([w]) => w)
        .join(' · ');
}
