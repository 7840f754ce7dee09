import cron from 'node-cron';
import { z } from 'zod';

const cronExpression = z
  .string()
  .trim()
  .refine((v) => cron.validate(v), 'a cron expression such as 0 * * * *');
const timezone = z
  .string()
  .trim()
  .refine((v) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: v });
      return true;
    } catch {
      return false;
    }
  }, 'an IANA time zone such as Europe/Berlin');

const priorityThresholds = z
  .object({ high: z.number().min(0), medium: z.number().min(0) })
  .refine((t) => t.medium <= t.high, 'a medium threshold no higher than the high one');

/** What an admin can set per tenant; stored in `tenants.settings`, read by the scheduler, connectors and write-back. */
export const tenantSettingsSchema = z.object({
  schedule: z.object({ incremental: cronExpression, full: cronExpression }),
  timezone,
  outputs: z.object({ fields: z.boolean(), tasks: z.boolean(), triggers: z.boolean() }),
  /** The most of the CRM's daily API allocation crm-agent may use (Salesforce), 1–50 %. */
  budgetShare: z.number().min(0.01).max(0.5),
  /** Plan write-backs but send nothing. */
  dryRun: z.boolean(),
  /** Result stability (engine defaults when absent): see src/analyse/engine-settings.ts. */
  engine: z
    .object({
      actionSwitchMargin: z.number().min(0).max(1),
      segmentSwitchMargin: z.number().min(0).max(5),
      dealPriority: priorityThresholds,
      contactPriority: priorityThresholds,
      priorityHysteresis: z.number().min(0).max(0.9),
    })
    .partial()
    .optional(),
  writeback: z.object({
    /** A probability is rewritten only when it moves by at least this many points from the CRM's value… */
    minProbabilityChange: z.number().min(0).max(100),
    /** …or crosses one of these band edges (points). */
    probabilityBands: z.array(z.number().min(0).max(100)),
    /** crm-agent fields (OutputField.name) whose value someone changed in the CRM is left alone, not restored. */
    keepCrmEdits: z.array(z.string()),
    /** A task the rep never touched whose action ended: removed (archived/deleted), or set to Deferred (not done). */
    staleTasks: z.enum(['remove', 'defer']),
  }),
});

export type TenantSettings = z.infer<typeof tenantSettingsSchema>;

export const DEFAULT_TENANT_SETTINGS: TenantSettings = {
  schedule: { incremental: '0 * * * *', full: '30 2 * * *' },
  timezone: 'UTC',
  outputs: { fields: true, tasks: true, triggers: true },
  budgetShare: 0.1,
  dryRun: false,
  writeback: { minProbabilityChange: 3, probabilityBands: [25, 50, 75], keepCrmEdits: [], staleTasks: 'remove' },
};

/** The settings in force: stored values where valid, defaults elsewhere. */
export function effectiveSettings(stored: Record<string, unknown>): TenantSettings {
  const merged = {
    ...DEFAULT_TENANT_SETTINGS,
    ...stored,
    schedule: { ...DEFAULT_TENANT_SETTINGS.schedule, ...(stored.schedule as object | undefined) },
    outputs: { ...DEFAULT_TENANT_SETTINGS.outputs, ...(stored.outputs as object | undefined) },
    writeback: { ...DEFAULT_TENANT_SETTINGS.writeback, ...(stored.writeback as object | undefined) },
  };
  const parsed = tenantSettingsSchema.safeParse(merged);
  return parsed.success ? parsed.data : DEFAULT_TENANT_SETTINGS;
}
