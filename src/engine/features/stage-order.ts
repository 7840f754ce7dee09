import type { CleanDeal } from '../clean/clean-records.js';

/**
 * The open stages in pipeline order: from the settings, or inferred from stage history (each stage's mean
 * position in the deals' histories). Stages a closed deal ends in are closed stages, not ordered.
 */
export function stageOrder(deals: CleanDeal[], configured?: string[]): Map<string, number> {
  if (configured && configured.length > 0) return new Map(configured.map((s, i) => [s, i]));
  const closed = new Set<string>();
  for (const d of deals) if (d.record.isClosed && d.record.stage) closed.add(d.record.stage);
  const sum = new Map<string, { total: number; count: number }>();
  for (const d of deals) {
    let pos = 0;
    for (const h of d.history) {
      if (closed.has(h.stage)) continue;
      const s = sum.get(h.stage) ?? { total: 0, count: 0 };
      s.total += pos++;
      s.count++;
      sum.set(h.stage, s);
    }
  }
  for (const d of deals) {
    const st = d.record.stage;
    if (st && !closed.has(st) && !sum.has(st)) sum.set(st, { total: 0, count: 1 });
  }
  const ordered = [...sum.entries()]
    .map(([stage, s]) => [stage, s.total / s.count] as const)
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  return new Map(ordered.map(([stage], i) => [stage, i]));
}
