/** JSON columns: objects in, text out, and back. A malformed cell reads as the fallback instead of throwing. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? {});
}

export function fromJson<T>(text: string | null | undefined, fallback: T): T {
  if (text == null || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** Rows per INSERT so a statement stays under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
export function rowsPerStatement(columns: number): number {
  return Math.max(1, Math.floor(30_000 / Math.max(1, columns)));
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
