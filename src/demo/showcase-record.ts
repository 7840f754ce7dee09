/** A field counts as filled when it holds something a rep would read (not empty, not the "nothing now" action). */
function filled(value: unknown): boolean {
  return value !== null && value !== undefined && value !== '' && value !== 'none';
}

/**
 * The record to show first: the one with the most of `fields` filled (the first such in the order given), so the
 * demo's record-page links open a record crm-agent has scored, explained and recommended for; undefined for none.
 */
export function showcaseRecord<T>(
  records: Iterable<T>,
  fieldsOf: (record: T) => Record<string, unknown>,
  fields: readonly string[],
): T | undefined {
  let best: T | undefined;
  let bestCount = 0;
  for (const record of records) {
    const values = fieldsOf(record);
    const count = fields.filter((f) => filled(values[f])).length;
    if (count > bestCount) {
      best = record;
      bestCount = count;
      if (count === fields.length) break;
    }
  }
  return best;
}
