import type { Store } from '../store/open-store.js';

/**
 * An uninstall (or a revoked app): the tenant stops being scheduled or synced at once, and its data is purged
 * after the grace period (see `purgeExpiredTenants`), unless the admin reinstalls first.
 */
export async function disableTenant(
  deps: { store: Store; unschedule: (tenantId: string) => void; cancelJobs: (tenantId: string) => void },
  tenantId: string,
  reason: string,
): Promise<void> {
  deps.unschedule(tenantId);
  deps.cancelJobs(tenantId);
  await deps.store.transaction(async (tx) => {
    await tx.tenants.setStatus(tenantId, 'disabled');
    await tx.audit.append({ tenantId, actor: 'system', action: 'tenant.uninstalled', detail: { reason } });
  });
}
