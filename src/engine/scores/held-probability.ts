/** The rules that decide whether a probability already in the CRM is rewritten (the tenant's write-back settings). */
export interface HoldRules {
  /** Points a probability must move, at least, to be rewritten… */
  minProbabilityChange: number;
  /** …unless it crosses one of these band edges (points), which always rewrites it. */
  probabilityBands: readonly number[];
  /** Standard errors: a new estimate within this many of the value written is held (0: no hold band). */
  scoreHoldWithin: number;
}

/**
 * What to do with a probability the CRM holds (`from`, points) now that the model says `to` (points), given the
 * new estimate's standard error (points; undefined or 0 when the model gave none):
 * - `write`: it crosses a band edge, or moves at least `minProbabilityChange` points and more than
 *   `scoreHoldWithin` standard errors;
 * - `small`: it moves less than `minProbabilityChange` points (and crosses no band);
 * - `uncertain`: it moves enough points but stays within `scoreHoldWithin` standard errors of the value written,
 *   so the move is within what the model's own uncertainty (a retrain, a little feature drift) gives: held.
 */
export function heldProbability(
  from: number,
  to: number,
  errorPoints: number | undefined,
  rules: HoldRules,
): 'write' | 'small' | 'uncertain' {
  if (rules.probabilityBands.some((edge) => from < edge !== to < edge)) return 'write';
  const move = Math.abs(to - from);
  if (move < rules.minProbabilityChange) return 'small';
  const band = rules.scoreHoldWithin * (errorPoints ?? 0);
  if (band > 0 && move <= band) return 'uncertain';
  return 'write';
}
