import type { StoredTenantModels, TenantModelRepository } from '../store/repositories/tenant-models.js';

/** How many tenants' parsed models a runtime keeps. */
export const MODEL_CACHE_TENANTS = 4;

/**
 * The last few tenants' stored models, parsed, so a webhook batch does not read and parse a tenant's models (a few
 * MB of JSON at portal scale) from the store every time. An entry is keyed by tenant, the models' run id and their
 * schema version: each lookup reads only that key from the store (`TenantModelRepository.currentKey`), so a new full
 * run's models, stored by this process or another one, replace the cached ones on the next lookup. Least recently
 * used tenants drop out first.
 */
export class ModelCache {
  private readonly entries = new Map<string, StoredTenantModels>();
  /** How many times the models' body was read from the store (a miss). */
  loads = 0;

  constructor(private readonly capacity: number = MODEL_CACHE_TENANTS) {}

  async current(
    models: Pick<TenantModelRepository, 'current' | 'currentKey'>,
    tenantId: string,
  ): Promise<StoredTenantModels | undefined> {
    const key = await models.currentKey(tenantId);
    if (!key) {
      this.entries.delete(tenantId);
      return undefined;
    }
    const cached = this.entries.get(tenantId);
    if (cached && cached.runId === key.runId && cached.schemaVersion === key.schemaVersion) {
      // Most recently used last.
      this.entries.delete(tenantId);
      this.entries.set(tenantId, cached);
      return cached;
    }
    const loaded = await models.current(tenantId);
    this.loads += 1;
    this.entries.delete(tenantId);
    if (!loaded) return undefined;
    this.entries.set(tenantId, loaded);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return loaded;
  }

  /** Drops a tenant's entry (its full run stored new models). */
  forget(tenantId: string): void {
    this.entries.delete(tenantId);
  }
}
