import type { CleanData, CleanDeal } from '../clean/clean-records.js';
import { floor, max } from '../lib/math.js';
import { type Matrix, matrix } from '../lib/matrix.js';
import { unitHash } from '../lib/random.js';
import { DAY } from './contact-features.js';
import { dayBucket } from './day-bucket.js';

/** What the deal features need from the segments: today's labels and names (for what actions say of a deal). */
export interface DealSegments {
  labels: Int32Array | null;
  names: string[];
}

export const DEAL_FEATURES = [
  'amount',
  'deal_age_days',
  'stage_index',
  'days_in_stage',
  'stage_changes',
  'activity_count',
  'owner_win_rate',
  'associated_contacts',
  'line_items',
] as const;

/** Magnitudes whose extremes are capped before modelling (not the stage index or the win rates). */
export const CAPPED_DEAL_FEATURES = [
  'amount',
  'deal_age_days',
  'days_in_stage',
  'stage_changes',
  'activity_count',
  'associated_contacts',
  'line_items',
] as const;

/** Pseudo-count pulling small groups' win rates toward the overall rate. */
const PRIOR = 10;
const FOLDS = 5;

export interface DealFeatureSet {
  x: Matrix;
  /** Deal indexes (into CleanData.deals) of the closed deals with an outcome, and their outcome. */
  closed: Int32Array;
  won: Uint8Array;
  /** Deal indexes of open deals, with their rows in `x` after the closed ones. */
  open: Int32Array;
  /** Today's segment name of an open deal's primary contact (null for closed rows). */
  segmentOfRow: Array<string | null>;
  /** Days since the last activity per row (staleness, for the actions; not a model feature). */
  daysSinceActivity: Float64Array;
  /** Time each row's features describe: a seeded point in a closed deal's life, or now for open deals. */
  at: Float64Array;
  /** The owner win rates an open deal gets, with the overall rate for the rest. */
  rates: { base: number; owner: Record<string, number> };
}

/**
 * Deal features. Closed deals are described at a seeded point during their life (stage, age and days in stage as
 * they were then), so the model learns from the situations open deals are in, not from the stage a deal closed
 * in. Owner win rates of closed deals are out-of-fold (5 folds). Day counts are in stable buckets (dayBucket), so
 * a day's passing moves only the deals that cross a bucket's edge. The primary contact's segment is not a feature:
 * a closed deal's segment can only be placed with today's centres, which move a little every run, and moved every
 * closed row's feature (and so the whole win model) daily, for an importance near nil (docs/model-quality.md).
 */
export function dealFeatures(
  data: CleanData,
  order: Map<string, number>,
  segments: DealSegments,
  now: number,
  seed: number,
): DealFeatureSet {
  const closedIdx: number[] = [];
  const openIdx: number[] = [];
  data.deals.forEach((d, k) => {
    if (d.record.isClosed) {
      if (d.closeAt !== null && d.closeAt <= now) closedIdx.push(k);
    } else openIdx.push(k);
  });
  const rowsIdx = [...closedIdx, ...openIdx];
  const n = rowsIdx.length;
  const won = Uint8Array.from(closedIdx, (k) => (data.deals[k]!.record.isWon ? 1 : 0));

  // The time each row describes: a seeded point in a closed deal's life, now for an open deal.
  const at = new Float64Array(n);
  rowsIdx.forEach((k, r) => {
    const d = data.deals[k]!;
    at[r] = r < closedIdx.length ? d.createdAt + unitHash(seed, d.record.id) * max(0, d.closeAt! - d.createdAt) : now;
  });
  // Today's segment of an open deal's primary contact, for what the actions say.
  const segmentOfRow = rowsIdx.map((k, r) => {
    const first = data.deals[k]!.contactIds[0];
    if (r < closedIdx.length || !segments.labels || first === undefined) return null;
    const s = segments.labels[data.contactIndex.get(first)!] ?? -1;
    return s >= 0 ? (segments.names[s] ?? null) : null;
  });
  // Outcome tallies per owner.
  // Out-of-fold: a closed deal's owner rate comes from the other folds' deals only (leave-one-out would leak the
  // outcome: within a group, won deals would always show a slightly lower rate than lost ones).
  const fold = (k: number) => floor(unitHash(seed ^ 0x5bd1e995, data.deals[k]!.record.id) * FOLDS);
  const ownerWins = new Map<string, Float64Array>();
  let totalWins = 0;
  const tally = <K>(map: Map<K, Float64Array>, key: K, f: number, w: number) => {
    const t = map.get(key) ?? new Float64Array(2 * (FOLDS + 1));
    t[2 * f]! += w;
    t[2 * f + 1]! += 1;
    t[2 * FOLDS]! += w;
    t[2 * FOLDS + 1]! += 1;
    map.set(key, t);
  };
  closedIdx.forEach((k, r) => {
    tally(ownerWins, data.deals[k]!.record.ownerId ?? '', fold(k), won[r]!);
    totalWins += won[r]!;
  });
  const base = closedIdx.length > 0 ? totalWins / closedIdx.length : 0.5;
  const rate = (t: Float64Array | undefined, f: number | null) => {
    if (!t) return base;
    const wins = t[2 * FOLDS]! - (f === null ? 0 : t[2 * f]!);
    const count = t[2 * FOLDS + 1]! - (f === null ? 0 : t[2 * f + 1]!);
    return (wins + PRIOR * base) / (count + PRIOR);
  };

  const x = matrix(n, [...DEAL_FEATURES]);
  const daysSinceActivity = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const k = rowsIdx[r]!;
    const d = data.deals[k]!;
    const isClosedRow = r < closedIdx.length;
    const f = isClosedRow ? fold(k) : null;
    writeDealRow(x.data, r * x.cols, d, at[r]!, isClosedRow, order, rate(ownerWins.get(d.record.ownerId ?? ''), f));
    daysSinceActivity[r] = staleDays(d, isClosedRow ? d.closeAt! : now);
  }
  // The rates an open deal gets (every fold counts), kept so a stored model describes a deal later as this run did.
  const owner: Record<string, number> = {};
  for (const [key, t] of ownerWins) owner[key] = rate(t, null);
  return {
    x,
    closed: Int32Array.from(closedIdx),
    won,
    open: Int32Array.from(openIdx),
    segmentOfRow,
    daysSinceActivity,
    at,
    rates: { base, owner },
  };
}

/** Days since a deal's last activity as of `end` (NaN without one): staleness, for the actions. */
function staleDays(d: CleanDeal, end: number): number {
  return d.lastActivityAt !== null ? max(0, (end - d.lastActivityAt) / DAY) : Number.NaN;
}

/** One deal's model features (DEAL_FEATURES order) as of `t`, written to `out` from `o`; the owner's win rate given. */
export function writeDealRow(
  out: Float64Array,
  o: number,
  d: CleanDeal,
  t: number,
  isClosedRow: boolean,
  order: Map<string, number>,
  ownerRate: number,
): void {
  let stage: string | null = null;
  let since = d.createdAt;
  let changes = 0;
  for (const h of d.history) {
    if (h.at > t) break;
    if (!order.has(h.stage)) continue;
    stage = h.stage;
    since = h.at;
    changes++;
  }
  if (stage === null && !isClosedRow) stage = d.record.stage;
  out[o] = d.amount ?? Number.NaN;
  out[o + 1] = dayBucket(max(0, (t - d.createdAt) / DAY));
  out[o + 2] = stage !== null && order.has(stage) ? order.get(stage)! : Number.NaN;
  out[o + 3] = stage !== null ? dayBucket(max(0, (t - since) / DAY)) : Number.NaN;
  out[o + 4] = changes;
  out[o + 5] = d.activityCount;
  out[o + 6] = ownerRate;
  out[o + 7] = d.contactIds.length;
  out[o + 8] = d.products.length;
}

/** A table's own entry (not one an object inherits, such as `constructor`). */
function own(table: Record<string, number>, key: string): number | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** What an open deal's owner win rate comes from in a stored model. */
export interface StoredDealRates {
  base: number;
  /** Owner id ('' for none) → win rate; an owner not listed gets `base`. */
  owner: Record<string, number>;
}

/**
 * The open deals' features (no closed rows) with stored stage order and rates instead of ones learned from the
 * tenant's closed deals: what `dealFeatures` gives an open deal, for the deals of a few records.
 */
export function openDealFeatures(
  data: CleanData,
  order: Map<string, number>,
  segments: { labels: Int32Array | null; names: string[] },
  rates: StoredDealRates,
  now: number,
): DealFeatureSet {
  const openIdx: number[] = [];
  data.deals.forEach((d, k) => {
    if (!d.record.isClosed) openIdx.push(k);
  });
  const n = openIdx.length;
  const x = matrix(n, [...DEAL_FEATURES]);
  const segmentOfRow: Array<string | null> = new Array(n);
  const daysSinceActivity = new Float64Array(n);
  openIdx.forEach((k, r) => {
    const d = data.deals[k]!;
    const first = d.contactIds[0];
    const s = segments.labels && first !== undefined ? (segments.labels[data.contactIndex.get(first)!] ?? -1) : -1;
    writeDealRow(x.data, r * x.cols, d, now, false, order, own(rates.owner, d.record.ownerId ?? '') ?? rates.base);
    segmentOfRow[r] = s >= 0 ? (segments.names[s] ?? null) : null;
    daysSinceActivity[r] = staleDays(d, now);
  });
  return {
    x,
    closed: new Int32Array(0),
    won: new Uint8Array(0),
    open: Int32Array.from(openIdx),
    segmentOfRow,
    daysSinceActivity,
    at: new Float64Array(n).fill(now),
    rates: { base: rates.base, owner: rates.owner },
  };
}
