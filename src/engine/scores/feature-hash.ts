/**
 * A short hash (8 hex digits, FNV-1a) of the feature values a probability was computed from, each rounded to six
 * significant digits so float noise does not count as a change. Two equal hashes: the record's features did not
 * move, so a different probability comes from the model alone (a retrain); see the write-back's `retrainHoldPoints`.
 */
export function featureHash(values: ArrayLike<number>): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const text = Number.isFinite(v) ? v.toPrecision(6) : String(v);
    for (let j = 0; j < text.length; j++) {
      h ^= text.charCodeAt(j);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    h ^= 0x2c; // separator
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
