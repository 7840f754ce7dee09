import type { Clock } from '../clock.js';

/**
 * What one attempt's answer means, as the CRM's own classifier reads it (the shape of the Airbyte CDK's error
 * handlers): done, send again after a wait, refresh the token and send again, or give up.
 */
export type HttpVerdict<T> =
  | { kind: 'done'; value: T }
  | { kind: 'retry'; waitMs: number }
  | { kind: 'refresh' }
  | { kind: 'fail'; error: unknown };

/** The per-attempt facts a classifier needs besides the answer itself. */
export interface AttemptContext {
  /** The access token this attempt sends. */
  token: string;
  /** Whether a `refresh` verdict is still allowed (the call has refreshes left); when not, classify as a failure. */
  canRefresh: boolean;
}

export interface RetryLoop<T> {
  tokens: { accessToken(): Promise<string>; refreshAfterRejection(rejected: string): Promise<string> };
  clock: Clock;
  /** Token refreshes one call may do after the CRM refused its token (a long backoff can outlive several). */
  maxRefreshes: number;
  signal?: AbortSignal | undefined;
  /** One attempt: take the budget, send with `token`, classify the answer (or the dropped connection). */
  attempt(context: AttemptContext): Promise<HttpVerdict<T>>;
}

/**
 * The one HTTP retry loop both connectors use: fetches the tenant's token, runs attempts until one is done or
 * fails, waits on the injected clock between retries (the classifier computed how long: its CRM's backoff and
 * Retry-After), and answers a refused token with a refresh (single-flight in the token provider) up to
 * `maxRefreshes` times. Budgets, counting and error shapes stay with each CRM's classifier.
 */
export async function sendWithRetries<T>(loop: RetryLoop<T>): Promise<T> {
  let token = await loop.tokens.accessToken();
  let refreshes = 0;
  for (;;) {
    loop.signal?.throwIfAborted();
    const verdict = await loop.attempt({ token, canRefresh: refreshes < loop.maxRefreshes });
    switch (verdict.kind) {
      case 'done':
        return verdict.value;
      case 'fail':
        throw verdict.error;
      case 'refresh':
        // The CRM did not act on a request it refused: sending it again with the new token is safe, writes included.
        refreshes++;
        token = await loop.tokens.refreshAfterRejection(token);
        break;
      case 'retry':
        await loop.clock.sleep(verdict.waitMs, loop.signal);
        break;
    }
  }
}
