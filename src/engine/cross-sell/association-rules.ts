import { ceil, max } from '../lib/math.js';
import type { AssociationRule } from '../types.js';

/**
 * Association rules with one or two items in the antecedent (Apriori, levels 1–3): itemsets above `minSupport`
 * share of baskets, rules above `minConfidence` and `minLift`. Product catalogues are small, so counting pairs
 * and triples over the baskets is exact and fast.
 */
export function associationRules(
  baskets: string[][],
  options: { minSupport: number; minConfidence: number; minLift: number },
): AssociationRule[] {
  const n = baskets.length;
  if (n === 0) return [];
  const minCount = max(2, ceil(options.minSupport * n));
  const single = new Map<string, number>();
  for (const b of baskets) for (const item of b) single.set(item, (single.get(item) ?? 0) + 1);
  const frequent = new Set([...single].filter(([, c]) => c >= minCount).map(([i]) => i));
  const pairs = new Map<string, number>();
  const triples = new Map<string, number>();
  for (const b of baskets) {
    const items = [...new Set(b.filter((i) => frequent.has(i)))].sort();
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        const key = `${items[i]}\u0000${items[j]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + 1);
      }
    }
    if (items.length >= 3 && items.length <= 12) {
      for (let i = 0; i < items.length; i++) {
        for (let j = i + 1; j < items.length; j++) {
          for (let k = j + 1; k < items.length; k++) {
            const key = `${items[i]}\u0000${items[j]}\u0000${items[k]}`;
            triples.set(key, (triples.get(key) ?? 0) + 1);
          }
        }
      }
    }
  }
  const rules: AssociationRule[] = [];
  const push = (antecedent: string[], consequent: string, both: number, anteCount: number) => {
    const confidence = both / anteCount;
    const lift = confidence / (single.get(consequent)! / n);
    if (confidence >= options.minConfidence && lift >= options.minLift) {
      rules.push({ antecedent, consequent, support: both / n, confidence, lift });
    }
  };
  for (const [key, c] of pairs) {
    if (c < minCount) continue;
    const [a, b] = key.split('\u0000') as [string, string];
    push([a], b, c, single.get(a)!);
    push([b], a, c, single.get(b)!);
  }
  for (const [key, c] of triples) {
    if (c < minCount) continue;
    const items = key.split('\u0000') as [string, string, string];
    for (let out = 0; out < 3; out++) {
      const ante = items.filter((_, i) => i !== out);
      const anteCount = pairs.get(`${ante[0]}\u0000${ante[1]}`) ?? 0;
      if (anteCount > 0) push(ante, items[out]!, c, anteCount);
    }
  }
  return rules.sort((a, b) => b.lift - a.lift || b.confidence - a.confidence || (a.consequent < b.consequent ? -1 : 1));
}
