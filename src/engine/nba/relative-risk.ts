import { isFiniteNumber, round } from '../lib/math.js';
import type { RecordScore } from '../types.js';

/** The key under which customers outside any segment are counted. */
export const NO_SEGMENT = '';

/**
 * The usual churn risk per segment: the mean churn probability of the customers in it (the calibrated
 * probabilities' mean, i.e. the share expected not to buy again). Keyed by segment key, `NO_SEGMENT` for
 * customers without one. Contacts scored for conversion (prospects) are not customers and are left out.
 */
export function usualChurnRisk(
  scores: RecordScore[],
  segmentKeyOf: (index: number) => string | null,
): Record<string, number> {
  const sums = new Map<string, { sum: number; n: number }>();
  scores.forEach((s, i) => {
    if (s.kind !== 'churn' || !isFiniteNumber(s.probability)) return;
    const key = segmentKeyOf(i) ?? NO_SEGMENT;
    const t = sums.get(key) ?? { sum: 0, n: 0 };
    t.sum += s.probability;
    t.n++;
    sums.set(key, t);
  });
  const out: Record<string, number> = {};
  for (const [key, t] of [...sums].sort((a, b) => (a[0] < b[0] ? -1 : 1))) out[key] = t.sum / t.n;
  return out;
}

/**
 * A risk as a rep can use it: relative to the usual risk of the record's group, with the usual beside it.
 * "1.4× the usual for this segment (62 %)", "about the usual for this segment (88 %)" within ±5 %,
 * "0.6× the usual …" below it. `group` names the comparison ("this segment", "customers"). Null when there is
 * no usual to compare with (no finite, positive mean).
 */
export function relativeRiskText(probability: number, usual: number | undefined, group: string): string | null {
  if (usual === undefined || !isFiniteNumber(usual) || !(usual > 0) || !isFiniteNumber(probability)) return null;
  const ratio = probability / usual;
  const usualText = `${round(usual * 100)} %`;
  if (ratio >= 0.95 && ratio < 1.05) return `about the usual for ${group} (${usualText})`;
  const shown = ratio >= 9.95 ? String(round(ratio)) : (round(ratio * 10) / 10).toFixed(1);
  return `${shown}× the usual for ${group} (${usualText})`;
}
