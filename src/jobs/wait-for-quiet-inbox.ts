import type { Clock } from '../lib/clock.js';
import type { WebhookInboxRepository } from '../store/repositories/webhook-inbox.js';

/** A tenant's inbox counts as quiet once no event arrived for this long. */
export const QUIET_MS = 250;
/** However busy the inbox, a batch waits at most this long before it is handled. */
export const MAX_COALESCE_MS = 1500;

/**
 * Waits until the tenant's inbox has been quiet (no new event) for `quietMs`, at most `maxMs` in all, so a burst
 * of edits to one record becomes one recompute while a lone edit is handled after `quietMs`. Reads the newest
 * waiting event's arrival time and sleeps (on the injected clock) until it is `quietMs` old; an event that arrives
 * meanwhile moves the target. Returns at once when nothing waits or the newest event is already old enough (the
 * periodic sweep's leftovers). Returns how long it waited.
 */
export async function waitForQuietInbox(
  inbox: Pick<WebhookInboxRepository, 'newestPendingAt'>,
  clock: Clock,
  tenantId: string,
  options: { quietMs?: number; maxMs?: number } = {},
): Promise<number> {
  const quietMs = options.quietMs ?? QUIET_MS;
  const maxMs = options.maxMs ?? MAX_COALESCE_MS;
  const start = clock.now();
  const deadline = start + maxMs;
  for (;;) {
    const newest = await inbox.newestPendingAt(tenantId);
    const now = clock.now();
    if (newest === undefined) return now - start;
    const quietFor = now - newest;
    if (quietFor >= quietMs || now >= deadline) return now - start;
    // A newest event stamped in the future (another process's clock ahead) waits no longer than the deadline.
    await clock.sleep(Math.max(1, Math.min(quietMs - quietFor, deadline - now)));
  }
}
