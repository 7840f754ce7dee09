import { describeContribution, describeFeature } from '../features/feature-text.js';
import type { BinaryClassifier } from '../forest/random-forest.js';
import { abs, isFiniteNumber, min } from '../lib/math.js';
import type { Matrix } from '../lib/matrix.js';
import type { Reason } from '../types.js';

export interface ReasonOptions {
  /** Reasons per record (default 3). */
  top?: number;
  /** A feature's own wording for a row, instead of the generic one. */
  extra?: (feature: string, row: number) => string | null;
  /** Values to state (same rows and columns as `x`), when the model saw other ones (capped outliers). */
  shown?: Matrix;
  /** Rows whose reasons speak of the other class (e.g. churn risk from a buying model): contributions flip sign. */
  negate?: (row: number) => boolean;
  /**
   * Texts already built, reused so a million records that say the same thing share one string (reasons are
   * most of a large tenant's result).
   */
  texts?: Map<string, string>;
  /**
   * Each row's factors as last stated: they stay among the top until another factor's contribution is larger
   * than theirs by `keepMargin`, so the set of reasons does not swap as contributions move a little.
   */
  previous?: (row: number) => ReadonlyArray<string> | undefined;
  /** Share by which a new factor must outweigh a previous one to take its place (default 0.5 = 50 %). */
  keepMargin?: number;
  /** The currency amounts are in, for their wording. */
  currency?: string | undefined;
}

/**
 * The features that move each record's probability most (largest absolute contribution along the model's
 * paths), in words.
 */
export function topReasons(classifier: BinaryClassifier, x: Matrix, options: ReasonOptions = {}): Reason[][] {
  const {
    top = 3,
    extra,
    shown = x,
    negate,
    texts = new Map<string, string>(),
    previous,
    keepMargin = 0.5,
    currency,
  } = options;
  if (shown.rows !== x.rows || shown.cols !== x.cols) throw new Error('reasons: shown values do not match the rows');
  const { values } = classifier.contributions(x);
  const d = x.cols;
  const out: Reason[][] = new Array(x.rows);
  const best = new Int32Array(top);
  for (let i = 0; i < x.rows; i++) {
    const o = i * d;
    const kept = previous?.(i);
    // Ranking weight: |contribution|, raised by the margin for a factor stated last time.
    const weight = (j: number) => {
      const a = abs(values[o + j]!);
      return kept?.includes(x.names[j]!) ? a * (1 + keepMargin) : a;
    };
    // The `top` largest weights by insertion (d is small); ties keep the lower column first.
    let found = 0;
    for (let j = 0; j < d; j++) {
      const a = weight(j);
      if (a === 0) continue;
      let at = min(found, top);
      while (at > 0 && weight(best[at - 1]!) < a) at--;
      if (at >= top) continue;
      for (let q = min(found, top - 1); q > at; q--) best[q] = best[q - 1]!;
      best[at] = j;
      if (found < top) found++;
    }
    const sign = negate?.(i) ? -1 : 1;
    const reasons: Reason[] = new Array(found);
    for (let q = 0; q < found; q++) {
      const j = best[q]!;
      const c = sign * values[o + j]!;
      const feature = x.names[j]!;
      const raw = shown.data[o + j]!;
      const value = isFiniteNumber(raw) ? raw : null;
      const built = `${extra?.(feature, i) ?? describeFeature(feature, value, { currency })} ${describeContribution(c)}`;
      let text = texts.get(built);
      if (text === undefined) {
        text = built;
        texts.set(built, built);
      }
      reasons[q] = { feature, value, contribution: c, text };
    }
    out[i] = reasons;
  }
  return out;
}
