import type { CleanData } from '../clean/clean-records.js';
import { floor, max } from '../lib/math.js';
import { type Matrix, matrix } from '../lib/matrix.js';
import { unitHash } from '../lib/random.js';
import { CONTACT_FEATURES, contactFeatureRow, DAY } from './contact-features.js';

/** What the deal features need from the segments: today's labels, names, and placing a past feature row. */
export interface DealSegments {
  labels: Int32Array | null;
  names: string[];
  assign: (row: Float64Array, offset: number) => number;
}

export const DEAL_FEATURES = [
  'amount',
  'deal_age_days',
  'stage_index',
  'days_in_stage',
  'stage_changes',
  'activity_count',
  'owner_win_rate',
  'contact_segment',
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
  /** Segment name of each row's primary contact, for the reasons. */
  segmentOfRow: Array<string | null>;
  /** Days since the last activity per row (staleness, for the actions; not a model feature). */
  daysSinceActivity: Float64Array;
  /** Time each row's features describe: a seeded point in a closed deal's life, or now for open deals. */
  at: Float64Array;
}

/**
 * Deal features. Closed deals are described at a seeded point during their life (stage, age and days in stage as
 * they were then), so the model learns from the situations open deals are in, not from the stage a deal closed
 * in. Owner and segment win rates of closed deals are out-of-fold (5 folds).
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
  // The primary contact's segment as of that time: open deals take today's; a closed deal's contact is placed by
  // its features then (deals won after that time, this one included, do not count), so the segment cannot carry
  // the deal's outcome.
  const row = new Float64Array(CONTACT_FEATURES.length);
  const segmentOfRow = new Int32Array(n).fill(-1);
  rowsIdx.forEach((k, r) => {
    const first = data.deals[k]!.contactIds[0];
    if (!segments.labels || first === undefined) return;
    const ci = data.contactIndex.get(first)!;
    if (r >= closedIdx.length) segmentOfRow[r] = segments.labels[ci] ?? -1;
    else {
      contactFeatureRow(data, ci, at[r]!, row, 0);
      segmentOfRow[r] = segments.assign(row, 0);
    }
  });
  const segOf = (r: number) => segmentOfRow[r]!;
  // Outcome tallies per owner and per primary contact's segment.
  // Out-of-fold: a closed deal's owner and segment rates come from the other folds' deals only (leave-one-out
  // would leak the outcome: within a group, won deals would always show a slightly lower rate than lost ones).
  const fold = (k: number) => floor(unitHash(seed ^ 0x5bd1e995, data.deals[k]!.record.id) * FOLDS);
  const ownerWins = new Map<string, Float64Array>();
  const segWins = new Map<number, Float64Array>();
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
    const f = fold(k);
    tally(ownerWins, data.deals[k]!.record.ownerId ?? '', f, won[r]!);
    tally(segWins, segOf(r), f, won[r]!);
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
  const cols = x.cols;
  const segmentNameOfRow: Array<string | null> = new Array(n);
  const daysSinceActivity = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const k = rowsIdx[r]!;
    const d = data.deals[k]!;
    const isClosedRow = r < closedIdx.length;
    const end = isClosedRow ? d.closeAt! : now;
    const t = at[r]!;
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
    const o = r * cols;
    x.data[o] = d.amount ?? Number.NaN;
    x.data[o + 1] = max(0, (t - d.createdAt) / DAY);
    x.data[o + 2] = stage !== null && order.has(stage) ? order.get(stage)! : Number.NaN;
    x.data[o + 3] = stage !== null ? max(0, (t - since) / DAY) : Number.NaN;
    x.data[o + 4] = changes;
    x.data[o + 5] = d.activityCount;
    x.data[o + 6] = rate(ownerWins.get(d.record.ownerId ?? ''), isClosedRow ? fold(k) : null);
    const s = segOf(r);
    x.data[o + 7] = s >= 0 ? rate(segWins.get(s), isClosedRow ? fold(k) : null) : Number.NaN;
    x.data[o + 8] = d.contactIds.length;
    x.data[o + 9] = d.products.length;
    segmentNameOfRow[r] = s >= 0 ? (segments.names[s] ?? null) : null;
    daysSinceActivity[r] = d.lastActivityAt !== null ? max(0, (end - d.lastActivityAt) / DAY) : Number.NaN;
  }
  return {
    x,
    closed: Int32Array.from(closedIdx),
    won,
    open: Int32Array.from(openIdx),
    segmentOfRow: segmentNameOfRow,
    daysSinceActivity,
    at,
  };
}
