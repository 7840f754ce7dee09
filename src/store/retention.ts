import { DEFAULT_KEEP_RUN_RESULTS } from './repositories/results.js';

/** How long crm-agent keeps what only grows with time (from the environment; see the README's configuration table). */
export interface RetentionSettings {
  /** Run-level results (segments, forecasts, health, timings, model quality) kept for the newest N runs per kind. */
  runResults: number;
  /** Runs (with their stages and checkpoints) older than this many days are removed... */
  runDays: number;
  /** ...and so are runs beyond the newest N of a tenant and run kind. */
  runs: number;
  /** Processed (done) webhook events. */
  inboxDays: number;
  /** Outbox items that are finished: sent, dead or superseded. */
  outboxDays: number;
  /** Audit log rows (the chain keeps verifying from an anchor). */
  auditDays: number;
  /** Per-record result history (probability, segment and action changes). */
  historyDays: number;
  /** API usage buckets. */
  apiUsageDays: number;
}

export const DEFAULT_RETENTION: RetentionSettings = {
  runResults: DEFAULT_KEEP_RUN_RESULTS,
  runDays: 30,
  runs: 1000,
  inboxDays: 7,
  outboxDays: 30,
  auditDays: 365,
  historyDays: 180,
  apiUsageDays: 7,
};
