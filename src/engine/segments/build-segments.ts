import type { CleanData } from '../clean/clean-records.js';
import { countCaps, countOutside, fitCaps } from '../features/cap-outliers.js';
import { CONTACT_FEATURES } from '../features/contact-features.js';
import { INF, isFiniteNumber, log1p, max, min, sqrt } from '../lib/math.js';
import type { Matrix } from '../lib/matrix.js';
import { Random } from '../lib/random.js';
import { shuffled } from '../lib/stats.js';
import type { EngineSettings, PreviousRun, Segment, SegmentProfileEntry, SegmentsResult } from '../types.js';
import { assign, type KMeansResult, kmeans, silhouette } from './kmeans.js';
import { projectTwoD } from './project-2d.js';
import { segmentName } from './segment-name.js';

/**
 * Default features segments are clustered on, as the issue asks: RFM (days since the last purchase, won deals, won
 * revenue), engagement (email opens, page views, days since the last activity) and tenure — every contact feature
 * but the open pipeline (a deal's current state, not how the contact behaves); all counts, amounts or days, so
 * capped, log1p-transformed and standardised. `settings.segments.features` picks others.
 */
export const SEGMENT_FEATURES: string[] = CONTACT_FEATURES.filter((f) => f !== 'open_pipeline' && f !== 'open_deals');

/** Largest distance (in standard deviations) at which a new centre still takes an old segment's key. */
const MATCH_DISTANCE = 2;

export interface SegmentsOutput {
  result: SegmentsResult;
  /** Segment index per contact (-1 without segments). */
  labels: Int32Array | null;
  keys: string[];
  names: string[];
  /**
   * The segment a contact-feature row (CONTACT_FEATURES order, e.g. as of a past date) falls in: capped,
   * transformed and standardised as the clustered rows were, then the nearest centre. -1 without segments.
   */
  assign: (row: Float64Array, offset: number) => number;
  /** The standardised rows k-means was fitted on (row-major), for benchmarks; null without segments. */
  fitted: { data: Float64Array; rows: number; cols: number; k: number; inertia: number } | null;
  /** What places a contact later as this run did (for a stored model); absent without segments. */
  model?: SegmentModel;
}

/**
 * The segments as a stored model needs them: the clustered features, each one's caps (null: none), log1p mean
 * and standard deviation, and the k centres on that standardised scale (k × features, row-major).
 */
export interface SegmentModel {
  features: string[];
  lo: Array<number | null>;
  hi: Array<number | null>;
  means: number[];
  sds: number[];
  centres: number[];
  keys: string[];
  names: string[];
  switchMargin: number;
}

/**
 * Each contact's segment index (into `model.keys`) from its features (CONTACT_FEATURES order, `features.names`):
 * the nearest stored centre, unless the contact's previous segment is no farther than the margin (as a full run
 * keeps it).
 */
export function placeInSegments(
  model: SegmentModel,
  features: Matrix,
  previousKeyOf: (row: number) => string | undefined,
): Int32Array {
  const d = model.features.length;
  const k = model.keys.length;
  const columns = model.features.map((f) => features.names.indexOf(f));
  if (columns.some((j) => j < 0)) throw new Error(`segments: the stored model clusters on unknown features`);
  const indexOfKey = new Map(model.keys.map((key, c) => [key, c]));
  const labels = new Int32Array(features.rows);
  const z = new Float64Array(d);
  const dist = (c: number) => {
    let s = 0;
    for (let q = 0; q < d; q++) s += (z[q]! - model.centres[c * d + q]!) ** 2;
    return s;
  };
  for (let i = 0; i < features.rows; i++) {
    for (let q = 0; q < d; q++) {
      const v = features.data[i * features.cols + columns[q]!]!;
      const capped = log1p(max(0, model.lo[q] ?? -INF, min(model.hi[q] ?? INF, v)));
      z[q] = (capped - model.means[q]!) / model.sds[q]!;
    }
    let best = 0;
    let bestDist = INF;
    for (let c = 0; c < k; c++) {
      const dc = dist(c);
      if (dc < bestDist) {
        bestDist = dc;
        best = c;
      }
    }
    const key = previousKeyOf(i);
    const before = key === undefined ? undefined : indexOfKey.get(key);
    if (before !== undefined && before !== best && sqrt(dist(before)) - sqrt(bestDist) <= model.switchMargin)
      best = before;
    labels[i] = best;
  }
  return labels;
}

const NO_SEGMENT = () => -1;

export function buildSegments(
  data: CleanData,
  features: Matrix,
  settings: EngineSettings['segments'],
  previous: PreviousRun['segments'],
  seed: number,
  previousMembers?: PreviousRun['members'],
): SegmentsOutput {
  const n = data.contacts.length;
  const minimum = max(20, 2 * (settings.k ?? settings.kMin));
  if (n < minimum) {
    return {
      result: {
        status: 'not-enough-data',
        contacts: n,
        message: `not enough data: ${n} contacts, segments need at least ${minimum}`,
      },
      labels: null,
      keys: [],
      names: [],
      assign: NO_SEGMENT,
      fitted: null,
    };
  }
  // log1p, then standardise; a constant feature carries no information and is left out.
  const used: number[] = [];
  const means: number[] = [];
  const sds: number[] = [];
  const all = features.cols;
  const popLogMean = new Float64Array(all);
  const popLogSd = new Float64Array(all);
  for (let j = 0; j < all; j++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = log1p(max(0, features.data[i * all + j]!));
      s += v;
      s2 += v * v;
    }
    popLogMean[j] = s / n;
    popLogSd[j] = sqrt(max(0, s2 / n - (s / n) ** 2));
  }
  // Extreme values are capped at the contacts' 0.5th / 99.5th percentiles before clustering (profiles and value
  // shares use the contacts' own values).
  const wanted = settings.features ?? SEGMENT_FEATURES;
  for (const name of wanted) {
    if (!features.names.includes(name))
      throw new Error(`segments: unknown feature ${name} (known: ${features.names.join(', ')})`);
  }
  const caps = fitCaps(features, wanted);
  countCaps(data.health.fixes, 'segments', countOutside(features, caps));
  const capOf = (j: number) => caps.find((c) => c.column === j);
  // Capped, log1p-transformed value of row i, column j (no capped copy of the table is made).
  const transformed = (i: number, j: number, lo: number, hi: number) => {
    const v = features.data[i * all + j]!;
    return log1p(max(0, lo, min(hi, v)));
  };
  const los: number[] = [];
  const his: number[] = [];
  for (const name of wanted) {
    const j = features.names.indexOf(name);
    const cap = capOf(j);
    const lo = cap?.lo ?? -INF;
    const hi = cap?.hi ?? INF;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = transformed(i, j, lo, hi);
      s += v;
      s2 += v * v;
    }
    const mean = s / n;
    const sd = sqrt(max(0, s2 / n - mean * mean));
    if (sd < 1e-9) continue;
    used.push(j);
    means.push(mean);
    sds.push(sd);
    los.push(lo);
    his.push(hi);
  }
  const names = used.map((j) => features.names[j]!);
  const d = used.length;
  if (d === 0) {
    return {
      result: { status: 'not-enough-data', contacts: n, message: 'every segment feature is constant across contacts' },
      labels: null,
      keys: [],
      names: [],
      assign: NO_SEGMENT,
      fitted: null,
    };
  }
  const z = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < d; q++) {
      z[i * d + q] = (transformed(i, used[q]!, los[q]!, his[q]!) - means[q]!) / sds[q]!;
    }
  }
  const rng = new Random(seed);
  const sampleSize = min(n, settings.fitSample);
  const sample = sampleSize < n ? shuffled(n, rng).subarray(0, sampleSize).sort() : null;
  const fitData = sample ? gather(z, d, sample) : z;
  const silSample = shuffled(sampleSize, rng.fork('silhouette')).subarray(
    0,
    min(sampleSize, settings.silhouetteSample),
  );

  let chosen: KMeansResult;
  let keptPrevious = false;
  const silhouetteByK: Array<{ k: number; silhouette: number }> = [];
  if (settings.k !== undefined) {
    chosen = kmeans(fitData, sampleSize, d, { k: settings.k, seed, starts: settings.starts });
  } else {
    let best: { fit: KMeansResult; s: number } | undefined;
    let kept: { fit: KMeansResult; s: number } | undefined;
    const previousK = previous?.length ?? 0;
    const previousCentres = previous ? standardiseCentres(previous, names, means, sds) : undefined;
    for (let k = settings.kMin; k <= min(settings.kMax, sampleSize - 1); k++) {
      const fit = kmeans(fitData, sampleSize, d, {
        k,
        seed,
        starts: settings.starts,
        ...(k === previousK && previousCentres ? { initial: previousCentres } : {}),
      });
      const s = silhouette(fitData, d, fit.labels, k, silSample);
      silhouetteByK.push({ k, silhouette: s });
      if (!best || s > best.s) best = { fit, s };
      if (k === previousK) kept = { fit, s };
    }
    // Stability: keep last run's number of segments unless another k separates clearly better, so that
    // segment ids (and the CRM values that carry them) do not churn on small changes in the data.
    keptPrevious = kept !== undefined && best!.s - kept.s <= settings.stickiness;
    chosen = keptPrevious ? kept!.fit : best!.fit;
  }
  const k = chosen.k;
  const labels = sample ? assign(z, n, d, chosen.centres, k) : chosen.labels.slice();
  const keys = matchKeys(chosen.centres, k, d, names, means, sds, previous ?? []);
  if (previousMembers && previousMembers.length > 0) {
    keepSegments(data, z, d, chosen.centres, labels, keys, previousMembers, settings.switchMargin);
  }
  const sil = silhouette(fitData, d, chosen.labels, k, silSample);
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < d; q++) inertia += (z[i * d + q]! - chosen.centres[labels[i]! * d + q]!) ** 2;
  }

  // Profiles in the features' own units, over every contact feature (z on the log scale).
  const sums = new Float64Array(k * all);
  const logSums = new Float64Array(k * all);
  const sizes = new Int32Array(k);
  const popMean = new Float64Array(all);
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    sizes[c]! += 1;
    for (let j = 0; j < all; j++) {
      sums[c * all + j]! += features.data[i * all + j]!;
      logSums[c * all + j]! += log1p(max(0, features.data[i * all + j]!));
      popMean[j]! += features.data[i * all + j]! / n;
    }
  }
  const revenueCol = features.names.indexOf('won_revenue');
  const totalRevenue = popMean[revenueCol]! * n;
  const usedNames = new Map<string, number>();
  const segments: Segment[] = [];
  for (let c = 0; c < k; c++) {
    const profile: SegmentProfileEntry[] = features.names.map((name, j) => ({
      feature: name,
      mean: sizes[c]! > 0 ? sums[c * all + j]! / sizes[c]! : 0,
      populationMean: popMean[j]!,
      z: sizes[c]! > 0 && popLogSd[j]! > 1e-9 ? (logSums[c * all + j]! / sizes[c]! - popLogMean[j]!) / popLogSd[j]! : 0,
    }));
    let name = segmentName(profile);
    const seen = usedNames.get(name) ?? 0;
    usedNames.set(name, seen + 1);
    if (seen > 0) name = `${name} (${seen + 1})`;
    const centre: Record<string, number> = {};
    names.forEach((f, q) => {
      centre[f] = Math.expm1(chosen.centres[c * d + q]! * sds[q]! + means[q]!);
    });
    segments.push({
      segmentKey: keys[c]!.key,
      name,
      size: sizes[c]!,
      valueShare: totalRevenue > 0 ? sums[c * all + revenueCol]! / totalRevenue : 0,
      profile,
      centre,
      previousKey: keys[c]!.previous,
    });
  }
  const capLo = los;
  const capHi = his;
  const members = new Array<{ objectType: 'contact'; recordId: string; segmentKey: string }>(n);
  for (let i = 0; i < n; i++) {
    members[i] = { objectType: 'contact', recordId: data.contacts[i]!.record.id, segmentKey: keys[labels[i]!]!.key };
  }
  return {
    result: {
      status: 'ok',
      k,
      chosenBy: settings.k !== undefined ? 'setting' : keptPrevious ? 'previous run' : 'silhouette',
      silhouette: sil,
      silhouetteByK,
      inertia,
      features: names,
      segments,
      members,
      projection: projectTwoD(
        z,
        n,
        d,
        labels,
        keys.map((x) => x.key),
        rng.fork('projection'),
      ),
    },
    labels,
    keys: keys.map((x) => x.key),
    names: segments.map((s) => s.name),
    fitted: { data: fitData, rows: sampleSize, cols: d, k, inertia: chosen.inertia },
    model: {
      features: names,
      lo: los.map((v) => (isFiniteNumber(v) ? v : null)),
      hi: his.map((v) => (isFiniteNumber(v) ? v : null)),
      means,
      sds,
      centres: [...chosen.centres],
      keys: keys.map((x) => x.key),
      names: segments.map((s) => s.name),
      switchMargin: settings.switchMargin,
    },
    assign: (row, offset) => {
      let best = -1;
      let bestDist = INF;
      for (let c = 0; c < k; c++) {
        let dist = 0;
        for (let q = 0; q < d; q++) {
          const raw = min(capHi[q]!, max(capLo[q]!, row[offset + used[q]!]!));
          const v = (log1p(max(0, raw)) - means[q]!) / sds[q]!;
          dist += (v - chosen.centres[c * d + q]!) ** 2;
        }
        if (dist < bestDist) {
          bestDist = dist;
          best = c;
        }
      }
      return best;
    },
  };
}

/**
 * Contacts stay in last run's segment (when it still exists) unless the nearest centre is closer than that
 * segment's by more than `margin` standard deviations: a contact near a boundary does not flip between two
 * segments as the clock or other contacts move the centres a little.
 */
function keepSegments(
  data: CleanData,
  z: Float64Array,
  d: number,
  centres: Float64Array,
  labels: Int32Array,
  keys: Array<{ key: string }>,
  previousMembers: NonNullable<PreviousRun['members']>,
  margin: number,
): void {
  const indexOfKey = new Map(keys.map((x, c) => [x.key, c]));
  const previousOf = new Map(previousMembers.map((m) => [m.recordId, m.segmentKey]));
  const dist = (i: number, c: number) => {
    let s = 0;
    for (let q = 0; q < d; q++) s += (z[i * d + q]! - centres[c * d + q]!) ** 2;
    return sqrt(s);
  };
  for (let i = 0; i < labels.length; i++) {
    const key = previousOf.get(data.contacts[i]!.record.id);
    const c = key === undefined ? undefined : indexOfKey.get(key);
    if (c === undefined || c === labels[i]) continue;
    if (dist(i, c) - dist(i, labels[i]!) <= margin) labels[i] = c;
  }
}

function gather(z: Float64Array, d: number, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length * d);
  for (let r = 0; r < rows.length; r++) out.set(z.subarray(rows[r]! * d, rows[r]! * d + d), r * d);
  return out;
}

/** Previous runs' centres (features' own units) on this run's log1p-standardised scale; unknown features at 0. */
function standardiseCentres(
  previous: NonNullable<PreviousRun['segments']>,
  names: string[],
  means: number[],
  sds: number[],
): Float64Array {
  const d = names.length;
  const out = new Float64Array(previous.length * d);
  previous.forEach((p, pi) => {
    for (let q = 0; q < d; q++) {
      const raw = p.centre[names[q]!];
      out[pi * d + q] = raw === undefined || !isFiniteNumber(raw) ? 0 : (log1p(max(0, raw)) - means[q]!) / sds[q]!;
    }
  });
  return out;
}

/** Matches new centres to the previous run's (closest pairs first); unmatched centres get fresh keys. */
function matchKeys(
  centres: Float64Array,
  k: number,
  d: number,
  names: string[],
  means: number[],
  sds: number[],
  previous: NonNullable<PreviousRun['segments']>,
): Array<{ key: string; previous: string | null }> {
  const pairs: Array<[number, number, number]> = [];
  const old = standardiseCentres(previous, names, means, sds);
  previous.forEach((_, pi) => {
    for (let c = 0; c < k; c++) {
      let dist = 0;
      for (let q = 0; q < d; q++) dist += (old[pi * d + q]! - centres[c * d + q]!) ** 2;
      pairs.push([sqrt(dist), c, pi]);
    }
  });
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const out: Array<{ key: string; previous: string | null } | undefined> = new Array(k);
  const takenPrev = new Set<number>();
  for (const [dist, c, pi] of pairs) {
    if (dist > MATCH_DISTANCE || out[c] || takenPrev.has(pi)) continue;
    out[c] = { key: previous[pi]!.segmentKey, previous: previous[pi]!.segmentKey };
    takenPrev.add(pi);
  }
  const usedKeys = new Set(previous.map((p) => p.segmentKey));
  let next = 1;
  for (let c = 0; c < k; c++) {
    if (out[c]) continue;
    while (usedKeys.has(`segment-${next}`)) next++;
    out[c] = { key: `segment-${next}`, previous: null };
    usedKeys.add(`segment-${next}`);
  }
  return out as Array<{ key: string; previous: string | null }>;
}
