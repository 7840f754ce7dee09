import type { WriteBatchSizes } from '../ports/crm-writer.js';

/** One pass of the sender over waiting field updates: claims of `size` of one object type (or any, null). */
export interface FieldPass {
  objectType: string | null;
  size: number;
  /** How many there are to start with (Infinity: until none is left), and how many the pass leaves to the next. */
  n: number;
  until: number;
}

/**
 * How the sender takes waiting field updates: first bulk jobs for each object type with more than
 * `bulkFields.above` waiting (until no more than that is left), then batches — of one object type each, or mixed
 * where the CRM takes them mixed.
 */
export function fieldPasses(
  waiting: ReadonlyArray<{ objectType: string; n: number }>,
  sizes: WriteBatchSizes,
): FieldPass[] {
  const passes: FieldPass[] = [];
  const bulk = sizes.bulkFields;
  if (bulk) {
    for (const w of waiting)
      if (w.n > bulk.above) passes.push({ objectType: w.objectType, size: bulk.size, n: w.n, until: bulk.above });
  }
  if (sizes.mixedFieldTypes) {
    if (waiting.length > 0)
      passes.push({ objectType: null, size: sizes.fields, n: Number.POSITIVE_INFINITY, until: 0 });
  } else {
    for (const w of waiting)
      passes.push({ objectType: w.objectType, size: sizes.fields, n: Number.POSITIVE_INFINITY, until: 0 });
  }
  return passes;
}

/** API calls field updates cost, with how many of each object type there are: as the sender's passes send them. */
export function fieldWriteCalls(countsByType: readonly number[], sizes: WriteBatchSizes): number {
  let calls = 0;
  let mixed = 0;
  const bulk = sizes.bulkFields;
  for (const n of countsByType) {
    let left = n;
    while (bulk && left > bulk.above) {
      left -= Math.min(left, bulk.size);
      calls += bulk.calls;
    }
    if (sizes.mixedFieldTypes) mixed += left;
    else calls += Math.ceil(left / sizes.fields);
  }
  return calls + Math.ceil(mixed / sizes.fields);
}
