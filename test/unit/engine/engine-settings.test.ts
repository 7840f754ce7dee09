import { describe, expect, it } from '@jest/globals';
import { engineSettingsOf } from '../../../src/analyse/engine-settings.js';
import { effectiveSettings } from '../../../src/domain/tenant-settings.js';
import { resolveSettings } from '../../../src/engine/run-engine.js';

describe('stability settings from the tenant settings', () => {
  it('pass the margins, thresholds and hysteresis a tenant set to the engine, defaults elsewhere', () => {
    const stored = {
      currency: 'EUR',
      engine: { actionSwitchMargin: 0.2, segmentSwitchMargin: 0.5, dealPriority: { high: 9000, medium: 3000 } },
    };
    const settings = resolveSettings(engineSettingsOf(effectiveSettings(stored)));
    expect(settings.currency).toBe('EUR');
    expect(settings.actions).toMatchObject({
      switchMargin: 0.2,
      dealPriority: { high: 9000, medium: 3000 },
      contactPriority: { high: 15_000, medium: 5_000 },
      priorityHysteresis: 0.2,
    });
    expect(settings.segments.switchMargin).toBe(0.5);
    expect(resolveSettings(engineSettingsOf(effectiveSettings({}))).actions.switchMargin).toBe(0.1);
  });

  it('refuse a medium threshold above the high one, and keep the other stability settings', () => {
    const stored = { engine: { dealPriority: { high: 1000, medium: 3000 }, actionSwitchMargin: 0.3 } };
    expect(effectiveSettings(stored).engine).toEqual({ actionSwitchMargin: 0.3 });
  });
});
