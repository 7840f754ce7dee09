import type { TenantSettings } from '../domain/tenant-settings.js';
import type { EngineSettingsInput } from '../engine/run-engine.js';

/**
 * The engine settings a tenant's settings give: the currency and the stability settings (the engine's defaults,
 * in src/engine/types.ts, for any left out).
 */
export function engineSettingsOf(settings: TenantSettings): EngineSettingsInput {
  const e = settings.engine;
  const actions: EngineSettingsInput['actions'] = {};
  if (e.actionSwitchMargin !== undefined) actions.switchMargin = e.actionSwitchMargin;
  if (e.dealPriority !== undefined) actions.dealPriority = e.dealPriority;
  if (e.contactPriority !== undefined) actions.contactPriority = e.contactPriority;
  if (e.priorityHysteresis !== undefined) actions.priorityHysteresis = e.priorityHysteresis;
  return {
    currency: settings.currency,
    actions,
    ...(e.segmentSwitchMargin !== undefined ? { segments: { switchMargin: e.segmentSwitchMargin } } : {}),
  };
}
