import type { Runtime } from '../runtime.js';
import type { Store } from '../store/open-store.js';
import { type SendSummary, sendOutbox } from './send-outbox.js';

/** The job that sends a tenant's waiting write-backs (queued with the outbox rows it sends). */
export const SEND_JOB = 'writeback.send';

/** One sender per tenant at a time, across processes on PostgreSQL: two would claim the same in-flight items. */
export function withSendLock<T>(store: Store, tenantId: string, fn: () => Promise<T>): Promise<T> {
  return store.withLock(`tenant-send:${tenantId}`, fn);
}

/**
 * Sends whatever a tenant's outbox still holds: the work of the send job, which finishes what a killed or stopped
 * sender left. Nothing is sent for a tenant that is not active (uninstalled, or waiting to be re-authorised).
 */
export async function sendPending(
  runtime: Pick<Runtime, 'store' | 'logger' | 'connectorFor'>,
  tenantId: string,
): Promise<SendSummary | null> {
  const tenant = await runtime.store.tenants.get(tenantId);
  if (!tenant || tenant.status !== 'active') return null;
  const writer = runtime.connectorFor(tenant).writer?.();
  if (!writer) return null;
  return withSendLock(runtime.store, tenantId, () => sendOutbox(runtime, tenantId, writer));
}
