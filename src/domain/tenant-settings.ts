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

/**
 * What an admin can set per tenant, stored in `tenants.settings`: the ONE schema every reader of settings goes
 * through (dashboard, scheduler, cycle, engine settings, write-back, both connectors). Each field is checked on its
 * own by `parseTenantSettings`, so one bad stored value never costs the others.
 */
export const tenantSettingsSchema = z.object({
  schedule: z.object({ incremental: cronExpression, full: cronExpression }),
  timezone,
  /** ISO 4217 code the engine reports amounts in. */
  currency: z.string().regex(/^[A-Z]{3}$/, 'a three-letter currency code such as EUR'),
  outputs: z.object({ fields: z.boolean(), tasks: z.boolean(), triggers: z.boolean() }),
  /** Plan write-backs but send nothing. A stored value that is not a boolean counts as true (the safe side). */
  dryRun: z.boolean(),
  /**
   * Share of records (0–0.5) in the control group: chosen by a hash of (tenant, record), stable across runs, they
   * get no action and no task, and the actions' lift is measured against them. 0: no control group, no measurement.
   */
  holdoutShare: z.number().min(0).max(0.5),
  /** Actions first planned this many days back or less are measured for the lift. */
  liftWindowDays: z.number().int().min(7).max(365),
  /** Result stability (engine defaults for fields left out): see src/analyse/engine-settings.ts. */
  engine: z
    .object({
      actionSwitchMargin: z.number().min(0).max(1),
      segmentSwitchMargin: z.number().min(0).max(5),
      dealPriority: priorityThresholds,
      contactPriority: priorityThresholds,
      priorityHysteresis: z.number().min(0).max(0.9),
      /** How next-best-actions are chosen: `learned` (default; rules while history is short) or `rules` only. */
      policy: z.enum(['rules', 'learned']),
    })
    .partial(),
  writeback: z.object({
    /** A probability is rewritten only when it moves by at least this many points from the CRM's value… */
    minProbabilityChange: z.number().min(0).max(100),
    /** …or crosses one of these band edges (points). */
    probabilityBands: z.array(z.number().min(0).max(100)),
    /**
     * Hold band: a written probability is kept while the new estimate lies within this many of its standard errors
     * (the model's own uncertainty about the record) of the value in the CRM; crossing a band edge still writes. 0: off.
     */
    scoreHoldWithin: z.number().min(0).max(10),
    /**
     * A probability whose record's features are the same as when it was written moved by retraining alone: it is
     * held unless it moves at least this many points (band edges included). A restore is never held.
     */
    retrainHoldPoints: z.number().min(0).max(100).default(10),
    /** Reasons name only factors worth at least this many points (the first factor always), so tiny ones do not flip the text. */
    minReasonPoints: z.number().min(0).max(50),
    /** crm-agent fields (OutputField.name) whose value someone changed in the CRM is left alone, not restored. */
    keepCrmEdits: z.array(z.string()),
    /** A task the rep never touched whose action ended: removed (archived/deleted), or set to Deferred (not done). */
    staleTasks: z.enum(['remove', 'defer']),
  }),
  /** The Salesforce connector (connectors/salesforce). */
  salesforce: z.object({
    /**
     * Share of the org's daily API allocation crm-agent may use over any 24 hours, 1–50 % (the dashboard's "API
     * share"). Stored as `budgetShare` at the top level by older dashboards: read from there when this is absent.
     */
    apiShare: z.number().min(0.01).max(0.5),
    /** Above this many records to read in one pass of an object, read through a Bulk API 2.0 query job. */
    bulkThreshold: z.number().int().min(0),
    /**
     * Write-back: above this many field updates of one object waiting, they go through a Bulk API 2.0 ingest job
     * (a handful of calls per job) instead of sObject Collections (one call per 200 records).
     */
    bulkWriteThreshold: z.number().int().min(200),
    /** Rows per REST query page (Sforce-Query-Options batchSize, 200–2,000). */
    batchSize: z.number().int().min(200).max(2000),
    /** Rows per Bulk API results page. */
    bulkPageSize: z.number().int().min(1000).max(1_000_000),
    /** How far back an incremental pass starts before the watermark (late commits, clock skew). */
    overlapSeconds: z.number().int().min(0).max(86_400),
    /** Which fields hold what the canonical model needs and a standard org lacks. */
    fields: z.object({
      emailOpens: z.string().min(1),
      pageViews: z.string().min(1),
      activityCount: z.string().min(1),
    }),
  }),
  /**
   * The HubSpot connector (connectors/hubspot). By default every process together takes 108 of HubSpot's 110
   * requests per rolling 10 s (or 2 fewer than the app's limit when HubSpot's rate-limit headers report a lower one),
   * leaving 2 for calls made outside the budget, such as a connect's account lookup; each request's slot is timed
   * by when its answer came back, so latency never packs more into HubSpot's window. Search takes 5 per 1.1 s
   * (search sends no headers): a request held up on its way (network, a busy event loop) can reach HubSpot closer to
   * the next one than it left, and the 10 % margin absorbs that.
   */
  hubspot: z.object({
    burstLimit: z.number().int().positive(),
    burstWindowMs: z.number().int().positive(),
    searchLimit: z.number().int().positive(),
    searchWindowMs: z.number().int().positive(),
    /** How far each incremental window reaches back, for the search index's lag. */
    searchOverlapMs: z.number().int().nonnegative(),
    /** Object types read at once (they share the portal's budgets; two use burst and search together). */
    streamConcurrency: z.number().int().positive(),
  }),
});

export type TenantSettings = z.infer<typeof tenantSettingsSchema>;

export const DEFAULT_TENANT_SETTINGS: TenantSettings = {
  schedule: { incremental: '0 * * * *', full: '30 2 * * *' },
  timezone: 'UTC',
  currency: 'USD',
  outputs: { fields: true, tasks: true, triggers: true },
  dryRun: false,
  holdoutShare: 0.1,
  liftWindowDays: 90,
  engine: {},
  writeback: {
    minProbabilityChange: 3,
    probabilityBands: [25, 50, 75],
    scoreHoldWithin: 3,
    retrainHoldPoints: 10,
    minReasonPoints: 1,
    keepCrmEdits: [],
    staleTasks: 'remove',
  },
  salesforce: {
    apiShare: 0.1,
    bulkThreshold: 10_000,
    bulkWriteThreshold: 10_000,
    batchSize: 2000,
    bulkPageSize: 10_000,
    overlapSeconds: 300,
    fields: { emailOpens: 'Email_Opens__c', pageViews: 'Page_Views__c', activityCount: 'Activity_Count__c' },
  },
  hubspot: {
    burstLimit: 108,
    burstWindowMs: 10_000,
    searchLimit: 5,
    searchWindowMs: 1100,
    searchOverlapMs: 5 * 60_000,
    streamConcurrency: 2,
  },
};

/** A stored setting that failed its check: what is in force instead. */
export interface SettingProblem {
  /** Dotted path, as stored: `dryRun`, `salesforce.apiShare`, `writeback.probabilityBands`. */
  field: string;
  /** What the field expects, in words. */
  expected: string;
  /** The value in force instead (the default; for `dryRun`, true). */
  using: unknown;
}

/** Objects whose fields are checked one by one; every other field is checked as a whole. */
const GROUPS = new Set(['schedule', 'outputs', 'engine', 'writeback', 'salesforce', 'salesforce.fields', 'hubspot']);

/** A bad stored value of these falls back to this, not to the default: the safe side. */
const SAFE_FALLBACK: Record<string, unknown> = { dryRun: true };

/**
 * The settings in force from what is stored: each field parsed on its own, a bad one replaced by its default (a bad
 * `dryRun` by true: plan, send nothing) and reported; absent fields take their defaults silently. An older
 * top-level `budgetShare` is read as `salesforce.apiShare`. Unknown keys are left out.
 */
export function parseTenantSettings(stored: unknown): { settings: TenantSettings; problems: SettingProblem[] } {
  const problems: SettingProblem[] = [];
  const input = isRecord(stored) ? stored : {};
  if (stored !== undefined && stored !== null && !isRecord(stored)) {
    problems.push({ field: '(settings)', expected: 'an object of settings', using: 'defaults' });
  }
  const settings = parseGroup(tenantSettingsSchema.shape, migrate(input), DEFAULT_TENANT_SETTINGS, '', problems);
  return { settings: settings as TenantSettings, problems };
}

/** A warning per stored setting that failed its check (`logger.warn`-shaped; pino's fits). */
export type SettingsWarn = (details: { field: string; using: unknown }, message: string) => void;

/**
 * The settings in force (see parseTenantSettings); with `warn`, one warning per field that fell back, naming it.
 * Parsing settings already in force gives them back unchanged, with no warning.
 */
export function effectiveSettings(stored: Record<string, unknown>, warn?: SettingsWarn): TenantSettings {
  const { settings, problems } = parseTenantSettings(stored);
  if (warn) for (const p of problems) warn({ field: p.field, using: p.using }, describeProblem(p));
  return settings;
}

/** One section of the settings in force (a connector's own), warning only about that section's fields. */
export function settingsSection<K extends keyof TenantSettings>(
  stored: Record<string, unknown>,
  section: K,
  warn?: SettingsWarn,
): TenantSettings[K] {
  const { settings, problems } = parseTenantSettings(stored);
  if (warn) {
    for (const p of problems) {
      if (p.field === section || p.field.startsWith(`${section}.`))
        warn({ field: p.field, using: p.using }, describeProblem(p));
    }
  }
  return settings[section];
}

/** One line: "tenant setting dryRun is not valid (expected true or false); using true". */
export function describeProblem(p: SettingProblem): string {
  return `tenant setting ${p.field} is not valid (expected ${p.expected}); using ${JSON.stringify(p.using)}`;
}

/** What a holdout share of 0 costs, in one line (the settings page and the CLI say it). */
export const NO_HOLDOUT_WARNING =
  'Holdout share is 0: no control group, so the lift of crm-agent’s actions is not measured.';

/** Older stores: the dashboard saved the Salesforce API share as top-level `budgetShare`, which nothing read. */
function migrate(input: Record<string, unknown>): Record<string, unknown> {
  if (!('budgetShare' in input)) return input;
  const { budgetShare, ...rest } = input;
  const salesforce = isRecord(rest.salesforce) ? rest.salesforce : {};
  if (salesforce.apiShare !== undefined || (rest.salesforce !== undefined && !isRecord(rest.salesforce))) return rest;
  return { ...rest, salesforce: { ...salesforce, apiShare: budgetShare } };
}

function parseGroup(
  shape: Record<string, z.ZodType>,
  input: Record<string, unknown>,
  defaults: Record<string, unknown>,
  prefix: string,
  problems: SettingProblem[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(shape)) {
    const field = prefix ? `${prefix}.${key}` : key;
    const value = input[key];
    const fallback = field in SAFE_FALLBACK ? SAFE_FALLBACK[field] : defaults[key];
    if (GROUPS.has(field)) {
      const inner = unwrapObject(schema);
      if (value !== undefined && !isRecord(value)) {
        problems.push({ field, expected: 'an object of settings', using: defaults[key] });
      }
      out[key] = parseGroup(
        inner.shape,
        isRecord(value) ? value : {},
        isRecord(defaults[key]) ? defaults[key] : {},
        field,
        problems,
      );
      continue;
    }
    if (value === undefined) {
      if (defaults[key] !== undefined) out[key] = defaults[key];
      continue;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) {
      if (parsed.data !== undefined) out[key] = parsed.data;
      continue;
    }
    problems.push({ field, expected: expectation(parsed.error), using: fallback ?? '(engine default)' });
    if (fallback !== undefined) out[key] = fallback;
  }
  return out;
}

function unwrapObject(schema: z.ZodType): z.ZodObject {
  if (schema instanceof z.ZodObject) return schema;
  throw new Error(`settings group is not an object schema: ${schema.type}`);
}

/** What a field expects, from the schema's own words where it has them. */
function expectation(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'a valid value';
  if (issue.code === 'custom') return issue.message;
  if (issue.code === 'invalid_type') return issue.expected === 'boolean' ? 'true or false' : `a ${issue.expected}`;
  if (issue.code === 'too_small') return `at least ${String(issue.minimum)}`;
  if (issue.code === 'too_big') return `at most ${String(issue.maximum)}`;
  if (issue.code === 'invalid_value') return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (issue.code === 'invalid_format') return issue.message;
  return 'a valid value';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
