import { z } from 'zod';
import { ConfigError } from '../../src/lib/errors.js';

/** The REST API version the connector speaks (Winter '25); pinned, never negotiated. */
export const API_VERSION = '62.0';

const settingsSchema = z.object({
  /** Share of the org's daily API allocation crm-agent may use over any 24 hours. */
  apiShare: z.number().gt(0).lte(1).default(0.1),
  /** Above this many records to read in one pass of an object, read through a Bulk API 2.0 query job. */
  bulkThreshold: z.number().int().min(0).default(10_000),
  /**
   * Write-back: above this many field updates of one object waiting, they go through a Bulk API 2.0 ingest job
   * (a handful of calls per job) instead of sObject Collections (one call per 200 records).
   */
  bulkWriteThreshold: z.number().int().min(200).default(10_000),
  /** Rows per REST query page (Sforce-Query-Options batchSize, 200–2,000). */
  batchSize: z.number().int().min(200).max(2000).default(2000),
  /** Rows per Bulk API results page. */
  bulkPageSize: z.number().int().min(1000).max(1_000_000).default(10_000),
  /** How far back an incremental pass starts before the watermark (late commits, clock skew). */
  overlapSeconds: z.number().int().min(0).max(86_400).default(300),
  /** Which fields hold what the canonical model needs and a standard org lacks. */
  fields: z
    .object({
      emailOpens: z.string().default('Email_Opens__c'),
      pageViews: z.string().default('Page_Views__c'),
      activityCount: z.string().default('Activity_Count__c'),
    })
    .prefault({}),
});

export type SalesforceSettings = z.infer<typeof settingsSchema>;

/** The tenant's `salesforce` settings with defaults; a bad value is a clear configuration error. */
export function parseSettings(settings: Record<string, unknown>): SalesforceSettings {
  const parsed = settingsSchema.safeParse(settings.salesforce ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `salesforce.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid tenant settings: ${problems}`);
  }
  return parsed.data;
}
