import type { Reason } from '../types.js';

/**
 * A record's reasons as last stated when the set of its top factors is unchanged: the same factors in the same
 * order with the same words (values and contributions are this run's). Only a change in which factors lead
 * changes the text, so a reason field is not rewritten because a day counter or a contribution moved a little.
 */
export function stableReasons(
  reasons: Reason[],
  previous: ReadonlyArray<Pick<Reason, 'feature' | 'text'>> | undefined,
): Reason[] {
  if (!previous || previous.length !== reasons.length || previous.length === 0) return reasons;
  const now = new Map(reasons.map((r) => [r.feature, r]));
  if (now.size !== reasons.length) return reasons;
  const out: Reason[] = [];
  for (const p of previous) {
    const r = now.get(p.feature);
    // A factor that turned from raising to lowering the probability (or back) is said anew.
    if (!r || typeof p.text !== 'string' || raises(p.text) !== r.contribution >= 0) return reasons;
    out.push(r.text === p.text ? r : { ...r, text: p.text });
  }
  return out;
}

/** Whether a stated reason said the factor raises the probability (see describeContribution). */
function raises(text: string): boolean {
  return / raises it [\d.]+ pts?$/.test(text);
}
