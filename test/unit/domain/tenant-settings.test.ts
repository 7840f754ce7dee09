import { describe, expect, it } from '@jest/globals';
import { parseSettings } from '../../../connectors/salesforce/settings.js';
import {
  DEFAULT_TENANT_SETTINGS,
  effectiveSettings,
  parseTenantSettings,
  settingsSection,
  tenantSettingsSchema,
} from '../../../src/domain/tenant-settings.js';

describe('tenant settings: one schema, each field on its own', () => {
  it('gives the defaults for nothing stored, and the defaults pass the schema', () => {
    expect(parseTenantSettings({})).toEqual({ settings: DEFAULT_TENANT_SETTINGS, problems: [] });
    expect(tenantSettingsSchema.safeParse(DEFAULT_TENANT_SETTINGS).success).toBe(true);
  });

  it('keeps every other stored value when one is bad, and names the bad one', () => {
    const stored = {
      dryRun: true,
      timezone: 'Europe/Berlin',
      schedule: { incremental: 'every hour', full: '0 3 * * *' },
      outputs: { fields: true, tasks: false, triggers: false },
      writeback: {
        minProbabilityChange: 5,
        probabilityBands: [30, 70],
        scoreHoldWithin: 2,
        minReasonPoints: 0.5,
        keepCrmEdits: [],
        staleTasks: 'defer',
      },
      salesforce: { apiShare: 0.2, batchSize: 50 },
    };
    const { settings, problems } = parseTenantSettings(stored);
    expect(settings.dryRun).toBe(true);
    expect(settings.timezone).toBe('Europe/Berlin');
    expect(settings.schedule).toEqual({ incremental: '0 * * * *', full: '0 3 * * *' });
    expect(settings.outputs).toEqual({ fields: true, tasks: false, triggers: false });
    // Settings stored before retrainHoldPoints existed get its default.
    expect(settings.writeback).toEqual({ ...stored.writeback, retrainHoldPoints: 10 });
    expect(settings.salesforce.apiShare).toBe(0.2);
    expect(settings.salesforce.batchSize).toBe(2000);
    expect(problems.map((p) => p.field)).toEqual(['schedule.incremental', 'salesforce.batchSize']);
    expect(problems[0]).toMatchObject({ expected: 'a cron expression such as 0 * * * *', using: '0 * * * *' });
  });

  it.each([['yes'], [1], [null], ['false']])('reads a bad dryRun (%p) as true: plan, send nothing', (dryRun) => {
    const warnings: Array<{ details: unknown; message: string }> = [];
    const settings = effectiveSettings({ dryRun, outputs: { tasks: false } }, (details, message) =>
      warnings.push({ details, message }),
    );
    expect(settings.dryRun).toBe(true);
    expect(settings.outputs).toEqual({ fields: true, tasks: false, triggers: true });
    expect(warnings).toEqual([
      {
        details: { field: 'dryRun', using: true },
        message: 'tenant setting dryRun is not valid (expected true or false); using true',
      },
    ]);
  });

  it('reads an absent dryRun as the default (false), with no warning', () => {
    const warnings: string[] = [];
    expect(effectiveSettings({ timezone: 'UTC' }, (_d, m) => warnings.push(m)).dryRun).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('reads an old top-level budgetShare as salesforce.apiShare, and a stored apiShare over it', () => {
    const old = parseTenantSettings({ budgetShare: 0.25, salesforce: { batchSize: 500 } });
    expect(old.settings.salesforce).toMatchObject({ apiShare: 0.25, batchSize: 500 });
    expect(old.settings).not.toHaveProperty('budgetShare');
    expect(old.problems).toEqual([]);
    expect(
      parseTenantSettings({ budgetShare: 0.25, salesforce: { apiShare: 0.05 } }).settings.salesforce.apiShare,
    ).toBe(0.05);
    // The connector reads the same: the dashboard's old control now counts.
    expect(parseSettings({ budgetShare: 0.3 }).apiShare).toBe(0.3);
    const bad = parseTenantSettings({ budgetShare: 'lots' });
    expect(bad.settings.salesforce.apiShare).toBe(0.1);
    expect(bad.problems.map((p) => p.field)).toEqual(['salesforce.apiShare']);
  });

  it('refuses an API share outside 1–50 %', () => {
    for (const apiShare of [0, 0.005, 0.51, 2, Number.NaN]) {
      expect(parseTenantSettings({ salesforce: { apiShare } }).settings.salesforce.apiShare).toBe(0.1);
    }
    expect(parseTenantSettings({ salesforce: { apiShare: 0.5 } }).settings.salesforce.apiShare).toBe(0.5);
  });

  it('replaces a group that is not an object by its defaults, and says so', () => {
    const { settings, problems } = parseTenantSettings({
      writeback: 'none',
      hubspot: { burstLimit: -1, searchLimit: 4 },
    });
    expect(settings.writeback).toEqual(DEFAULT_TENANT_SETTINGS.writeback);
    expect(settings.hubspot).toMatchObject({ burstLimit: 108, searchLimit: 4 });
    expect(problems.map((p) => p.field)).toEqual(['writeback', 'hubspot.burstLimit']);
  });

  it('gives settings already in force back unchanged', () => {
    const once = effectiveSettings({ dryRun: 'maybe', currency: 'EUR', budgetShare: 0.2, unknown: 1 });
    const warnings: string[] = [];
    expect(effectiveSettings(once, (_d, m) => warnings.push(m))).toEqual(once);
    expect(warnings).toEqual([]);
    expect(once).not.toHaveProperty('unknown');
  });

  it("warns a connector only about its own section's fields", () => {
    const warned: string[] = [];
    const section = settingsSection({ dryRun: 'x', salesforce: { overlapSeconds: -5 } }, 'salesforce', (d) =>
      warned.push(d.field),
    );
    expect(section.overlapSeconds).toBe(300);
    expect(warned).toEqual(['salesforce.overlapSeconds']);
  });
});
