import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Store } from '../store/open-store.js';
import { purgeTenant } from './purge-tenant.js';

/**
 * Purges tenants that stayed uninstalled (disabled) or unauthorised (needs_reauth) longer than the grace period.
 * Returns the ids purged.
 */
export async function purgeExpiredTenants(
  deps: { store: Store; clock: Clock; logger: Logger },
  graceMs: number,
): Promise<string[]> {
  const cutoff = deps.clock.now() - graceMs;
  const purged: string[] = [];
  for (const tenant of await deps.store.tenants.list()) {
    const since =
      tenant.status === 'disabled' ? tenant.disabledAt : tenant.status === 'needs_reauth' ? tenant.updatedAt : null;
    if (since === null || Date.parse(since) > cutoff) continue;
    const rows = await purgeTenant(deps.store, tenant.id, `${tenant.status} since ${since}`);
    deps.logger.info({ tenantId: tenant.id, rows }, 'tenant purged after the grace period');
    purged.push(tenant.id);
  }
  return purged;
}
