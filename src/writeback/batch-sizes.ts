import type { WriteBatchSizes } from '../ports/crm-writer.js';

/** API calls field updates of one object type cost: bulk jobs while more than `bulkFields.above` wait, then batches. */
export function fieldWriteCalls(n: number, sizes: WriteBatchSizes): number {
  let calls = 0;
  let left = n;
  const bulk = sizes.bulkFields;
  while (bulk && left > bulk.above) {
    left -= Math.min(left, bulk.size);
    calls += bulk.calls;
  }
  return calls + Math.ceil(left / sizes.fields);
}

/** How many field updates the sender passes in one call while `waiting` of one object type wait. */
export function fieldBatchSize(waiting: number, sizes: WriteBatchSizes): number {
  return sizes.bulkFields && waiting > sizes.bulkFields.above ? sizes.bulkFields.size : sizes.fields;
}
