/** A budget of requests: at most `limit` per rolling `windowMs`. */
export interface RatePolicy {
  limit: number;
  windowMs: number;
}

/**
 * One request's place in a budget. It counts from the moment it was taken; `settle()` moves it to the moment
 * the request finished. The CRM counts a request when it arrives, which is before its answer comes back, so a
 * budget timed by answers never squeezes more requests into the CRM's window than it allows, however late
 * answers arrive: callers may then use the CRM's whole limit instead of keeping a margin for latency.
 */
export interface RateLease {
  settle(): Promise<void>;
}

/**
 * The shared request budget of a CRM account. Every piece of work for a tenant takes from the same budget,
 * in this process and, when the store is PostgreSQL, in every other process too. Keys name one budget each,
 * e.g. `hubspot:<hubId>:burst` and `hubspot:<hubId>:search`, so separate budgets are used at once.
 */
export interface RateLimiter {
  /** Waits until one request of `key`'s budget is free under `policy`, and takes it. */
  take(key: string, policy: RatePolicy, signal?: AbortSignal): Promise<RateLease | undefined>;
}
