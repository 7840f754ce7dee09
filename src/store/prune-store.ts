import { sql } from 'kysely';
import type { Clock } from '../lib/clock.js';
import type { Store } from './open-store.js';
import type { RetentionSettings } from './retention.js';

const DAY_MS = 86_400_000;

export interface PruneReport {
  /** Rows removed (or, on a dry run, that would be) per table, every table retention looks at. */
  removed: Record<string, number>;
  /** SQLite only: pages given back to the file system by the incremental vacuum (0 on a dry run). */
  freedPages?: number;
  /** SQLite only: the file's auto_vacuum mode (`none` keeps freed pages for reuse inside the file). */
  autoVacuum?: 'none' | 'full' | 'incremental';
}

/**
 * Prunes what only grows with time, by the retention settings (one tenant, or all): run-level results beyond the
 * newest runs, old runs, processed webhook events, finished outbox items, old audit rows (behind an anchor), result
 * history and API usage buckets. Each table is pruned in its own statement(s), so a long prune never holds one big
 * write lock; on SQLite the freed pages then go back to the file system (incremental vacuum) and the query planner's
 * statistics are refreshed (`PRAGMA optimize`). A dry run only counts.
 */
export async function pruneStore(
  store: Store,
  clock: Clock,
  retention: RetentionSettings,
  options: { tenantId?: string; dryRun?: boolean } = {},
): Promise<PruneReport> {
  const dryRun = options.dryRun ?? false;
  const tenantId = options.tenantId;
  const before = (days: number) => new Date(clock.now() - days * DAY_MS).toISOString();
  const removed: Record<string, number> = {};
  const add = (counts: Record<string, number>) => {
    for (const [table, n] of Object.entries(counts)) removed[table] = (removed[table] ?? 0) + n;
  };
  const runResults = await store.results.pruneRunResultsOf({ tenantId, keepRuns: retention.runResults, dryRun });
  add(runResults.counts);
  add(await store.results.pruneHistory({ tenantId, before: before(retention.historyDays), dryRun }));
  add(
    await store.runs.prune({
      tenantId,
      before: before(retention.runDays),
      keep: retention.runs,
      dryRun,
      resultsGone: new Set(runResults.runIds),
    }),
  );
  add({ webhook_inbox: await store.inbox.prune({ tenantId, before: before(retention.inboxDays), dryRun }) });
  add({ outbox: await store.outbox.prune({ tenantId, before: before(retention.outboxDays), dryRun }) });
  add({ audit_log: await store.audit.prune({ tenantId, before: before(retention.auditDays), dryRun }) });
  add({ api_usage: await store.apiUsage.prune({ tenantId, before: before(retention.apiUsageDays), dryRun }) });
  if (store.dialect !== 'sqlite') return { removed };
  return { removed, ...(await maintainSqlite(store, dryRun)) };
}

const AUTO_VACUUM = ['none', 'full', 'incremental'] as const;

async function maintainSqlite(
  store: Store,
  dryRun: boolean,
): Promise<{ freedPages: number; autoVacuum: (typeof AUTO_VACUUM)[number] }> {
  const pragma = async (name: string) =>
    Number(Object.values((await sql.raw(`pragma ${name}`).execute(store.db)).rows[0] ?? {})[0] ?? 0);
  const autoVacuum = AUTO_VACUUM[await pragma('auto_vacuum')] ?? 'none';
  if (dryRun) return { freedPages: 0, autoVacuum };
  const before = await pragma('page_count');
  if (autoVacuum === 'incremental') await sql`pragma incremental_vacuum`.execute(store.db);
  await sql`pragma optimize`.execute(store.db);
  // The WAL holds every page written since the last checkpoint: fold it in and truncate it.
  await sql`pragma wal_checkpoint(TRUNCATE)`.execute(store.db);
  return { freedPages: Math.max(0, before - (await pragma('page_count'))), autoVacuum };
}
