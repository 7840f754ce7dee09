/** The exponential ceiling of a retry's wait: min(cap, base·2^(attempt−1)). */
export function backoffCeiling(attempt: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** (attempt - 1));
}

/** Equal jitter: half the ceiling fixed, half random (`random` in [0, 1)). */
export function equalJitter(ceilingMs: number, random: () => number): number {
  return ceilingMs / 2 + (random() * ceilingMs) / 2;
}

/** Full jitter: anywhere from 0 to the ceiling, whole milliseconds. */
export function fullJitter(ceilingMs: number, random: () => number): number {
  return Math.floor(random() * ceilingMs);
}

/** A `Retry-After` header in milliseconds from `now`: delta-seconds or an HTTP date; undefined when absent or bad. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The signal one attempt sends with: its own timeout, and the caller's cancellation when there is one. */
export function attemptSignal(timeoutMs: number, caller?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return caller ? AbortSignal.any([caller, timeout]) : timeout;
}
