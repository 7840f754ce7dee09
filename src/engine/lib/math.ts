/**
 * `Math` and `Number` as module bindings, for hot loops. Under jest the engine runs inside a vm context, where
 * every lookup of a global (`Math`, `Number`) goes through the context's proxy and numeric loops run 10–20×
 * slower than under node; an imported binding costs nothing in either.
 */
export const { sqrt, log, log1p, expm1, exp, floor, ceil, min, max, abs, round, tanh, cos, imul, PI } = Math;
export const INF = Number.POSITIVE_INFINITY;
export const isFiniteNumber = Number.isFinite;
export const isNaNNumber = Number.isNaN;
