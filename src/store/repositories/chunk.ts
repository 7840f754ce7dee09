/**
 * Statement sizes that stay under the bound-parameter limits: SQLite allows 32,766 variables per statement,
 * PostgreSQL 65,535 parameters. Every repository method that takes a caller-sized list of ids or rows goes through
 * `chunk` with one of these sizes, so a list of any length works on both stores.
 */

/** Ids per `where … in (…)` list (the other conditions of the statement take a handful of parameters more). */
export const IDS_PER_STATEMENT = 1000;

/** Rows per multi-row INSERT of `columns` columns: at most 30,000 parameters. */
export function rowsPerStatement(columns: number): number {
  return Math.max(1, Math.floor(30_000 / Math.max(1, columns)));
}

/** `items` in consecutive slices of at most `size` (none for an empty list). */
export function chunk<T>(items: readonly T[], size: number = IDS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  const step = Math.max(1, Math.floor(size));
  for (let i = 0; i < items.length; i += step) out.push(items.slice(i, i + step));
  return out;
}
