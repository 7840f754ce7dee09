import { tenantCurrency } from '../domain/crm-currency.js';
import { stageLabelsOf } from '../domain/crm-labels.js';
import type { Tenant } from '../domain/tenant.js';
import { effectiveSettings, type TenantSettings } from '../domain/tenant-settings.js';
import type { EngineSettingsInput } from '../engine/run-engine.js';
import type { Store } from '../store/open-store.js';

/**
 * The engine settings a tenant's settings give: the currency, the stability settings and the holdout share and lift window (the engine's defaults,
 * in src/engine/types.ts, for any left out).
 */
export function engineSettingsOf(settings: TenantSettings): EngineSettingsInput {
  const e = settings.engine;
  const actions: EngineSettingsInput['actions'] = { holdoutShare: settings.holdoutShare };
  if (e.actionSwitchMargin !== undefined) actions.switchMargin = e.actionSwitchMargin;
  if (e.dealPriority !== undefined) actions.dealPriority = e.dealPriority;
  if (e.contactPriority !== undefined) actions.contactPriority = e.contactPriority;
  if (e.priorityHysteresis !== undefined) actions.priorityHysteresis = e.priorityHysteresis;
  if (e.policy !== undefined) actions.policy = e.policy;
  return {
    currency: settings.currency,
    actions,
    lift: { windowDays: settings.liftWindowDays },
    ...(e.segmentSwitchMargin !== undefined ? { segments: { switchMargin: e.segmentSwitchMargin } } : {}),
  };
}

/** A tenant's engine settings as a run uses them: its settings, and the CRM's stage labels for the reasons. */
export async function tenantEngineSettings(
  store: Pick<Store, 'propertyDefinitions'>,
  tenant: Tenant,
): Promise<EngineSettingsInput> {
  return {
    ...engineSettingsOf(effectiveSettings(tenant.settings)),
    // Amounts are in the CRM's currency (read by the sync), converted with its rates.
    ...tenantCurrency(tenant.settings),
    stageLabels: stageLabelsOf(await store.propertyDefinitions.list(tenant.id, 'deal')),
  };
}
