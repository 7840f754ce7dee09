import type { CleanData } from '../clean/clean-records.js';
import { round, sqrt } from '../lib/math.js';
import type { CrossSellResult, EngineSettings, Recommendation } from '../types.js';
import { associationRules } from './association-rules.js';

/**
 * Cross-sell: association rules over won deals' line items, and item-based collaborative filtering (cosine
 * similarity of products over the companies that bought them). Each company, and each contact who bought, gets
 * up to `perRecord` products it has not bought: by the strongest rule that applies, else by its neighbours.
 */
export function recommendProducts(data: CleanData, settings: EngineSettings['crossSell']): CrossSellResult {
  const baskets: string[][] = [];
  const ownedByCompany = new Map<string, Set<string>>();
  const ownedByContact = new Map<string, Set<string>>();
  for (const d of data.deals) {
    if (!d.record.isWon || d.products.length === 0) continue;
    baskets.push(d.products);
    const owners: Array<[Map<string, Set<string>>, string]> = d.companyId ? [[ownedByCompany, d.companyId]] : [];
    for (const c of d.contactIds) owners.push([ownedByContact, c]);
    for (const [map, id] of owners) {
      const set = map.get(id) ?? new Set<string>();
      for (const p of d.products) set.add(p);
      map.set(id, set);
    }
  }
  const rules = associationRules(baskets, settings);
  // Item-item cosine similarity over companies.
  const count = new Map<string, number>();
  const co = new Map<string, number>();
  for (const set of ownedByCompany.values()) {
    const items = [...set].sort();
    for (let i = 0; i < items.length; i++) {
      count.set(items[i]!, (count.get(items[i]!) ?? 0) + 1);
      for (let j = i + 1; j < items.length; j++) {
        const key = `${items[i]}\u0000${items[j]}`;
        co.set(key, (co.get(key) ?? 0) + 1);
      }
    }
  }
  const sim = new Map<string, Array<[string, number]>>();
  for (const [key, c] of co) {
    const [a, b] = key.split('\u0000') as [string, string];
    const s = c / sqrt(count.get(a)! * count.get(b)!);
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const list = sim.get(from) ?? [];
      list.push([to, s]);
      sim.set(from, list);
    }
  }
  const name = (id: string) => data.products.get(id)?.name ?? id;
  const because = rules.map(
    (r) =>
      `${round(r.confidence * 100)} % of deals with ${r.antecedent.map(name).join(' + ')} also had ${name(r.consequent)} (lift ${r.lift.toFixed(1)})`,
  );
  const recommend = (owned: Set<string>): Recommendation[] => {
    const best = new Map<string, Recommendation>();
    rules.forEach((r, ri) => {
      if (owned.has(r.consequent) || !r.antecedent.every((i) => owned.has(i))) return;
      const prior = best.get(r.consequent);
      if (prior && prior.score >= r.confidence) return;
      best.set(r.consequent, {
        productId: r.consequent,
        productName: name(r.consequent),
        score: r.confidence,
        basis: 'rule',
        because: because[ri]!,
      });
    });
    if (best.size < settings.perRecord) {
      const scores = new Map<string, Array<[string, number]>>();
      for (const o of owned) {
        for (const [p, s] of sim.get(o) ?? []) {
          if (owned.has(p) || best.has(p)) continue;
          const list = scores.get(p) ?? [];
          list.push([o, s]);
          scores.set(p, list);
        }
      }
      for (const [p, list] of scores) {
        const score = list.reduce((a, [, s]) => a + s, 0) / owned.size;
        list.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        best.set(p, {
          productId: p,
          productName: name(p),
          score,
          basis: 'neighbours',
          because: `customers who bought ${list
            .slice(0, 2)
            .map(([o]) => name(o))
            .join(' and ')} also bought it (similarity ${list[0]![1].toFixed(2)})`,
        });
      }
    }
    return [...best.values()]
      .sort((a, b) => (a.basis === b.basis ? 0 : a.basis === 'rule' ? -1 : 1) || b.score - a.score)
      .slice(0, settings.perRecord);
  };
  // Records that own the same products get the same list: computed once per distinct set (catalogues are small,
  // so a tenant has far fewer distinct sets than customers).
  const cache = new Map<string, Recommendation[]>();
  const recommendCached = (owned: Set<string>): Recommendation[] => {
    const sorted = [...owned].sort();
    const key = sorted.join('\u0000');
    let items = cache.get(key);
    if (!items) {
      items = recommend(new Set(sorted));
      cache.set(key, items);
    }
    return items;
  };
  const recommendations: CrossSellResult['recommendations'] = [];
  for (const [id, owned] of [...ownedByCompany].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const items = recommendCached(owned);
    if (items.length > 0) recommendations.push({ objectType: 'company', recordId: id, items });
  }
  for (const [id, owned] of [...ownedByContact].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const items = recommendCached(owned);
    if (items.length > 0) recommendations.push({ objectType: 'contact', recordId: id, items });
  }
  return { baskets: baskets.length, rules, recommendations };
}
