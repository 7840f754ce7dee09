import { describeError, ErrorCode } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { CrmConnector, SyncMode, SyncStream } from '../ports/crm-connector.js';
import type { Store } from '../store/open-store.js';
import { addCounts, applyChanges, type ChangeCounts } from './apply-changes.js';
import { ownWriteCheck } from './own-write-check.js';

export interface SyncOptions {
  tenantId: string;
  connector: CrmConnector;
  mode: SyncMode;
  /** Why the sync runs: `cli`, `schedule`, `webhook`, `install`. */
  trigger: string;
  signal?: AbortSignal;
  /** Streams read at once (a CRM with separate budgets, like HubSpot's search, gains from 2). Default 1. */
  streamConcurrency?: number;
  /** Record into this existing run (a whole cycle's) instead of starting a run of its own. */
  runId?: string;
  /** Called after every checkpointed page, for progress displays. */
  onPage?: (event: { stream: string; counts: ChangeCounts; requests: number; throttled: number }) => void;
}

export interface StreamSummary {
  pages: number;
  requests: number;
  throttled: number;
  counts: ChangeCounts;
  status: 'succeeded' | 'failed' | 'cancelled';
  error?: string;
}

export interface SyncSummary {
  runId: string;
  mode: SyncMode;
  status: 'succeeded' | 'failed' | 'cancelled';
  streams: Record<string, StreamSummary>;
  counts: ChangeCounts;
  requests: number;
  throttled: number;
  seconds: number;
  /** The CRM account's currency, when a stream read it (`RecordChanges.currency`). */
  currency?: string;
  /** The streams' data-health warnings (`RecordChanges.warnings`), each once. */
  warnings?: string[];
  error?: string;
}

/**
 * Runs every stream of a connector for one tenant. Each page's records and its cursor are written in one
 * transaction, so a sync killed at any point resumes after the last page it wrote, with nothing lost or
 * written twice. The run and each stream's stage are recorded with their timings and outcome.
 */
export async function runSync(deps: { store: Store; logger: Logger }, options: SyncOptions): Promise<SyncSummary> {
  const { store } = deps;
  const started = performance.now();
  const signal = options.signal ?? new AbortController().signal;
  const ownRun = options.runId === undefined;
  const runId = options.runId ?? (await store.runs.start(options.tenantId, `sync:${options.mode}`, options.trigger));
  // Inside a cycle, the streams are the cycle's "collect" stages.
  const stageOf = (stream: string) => (ownRun ? stream : `collect:${stream}`);
  const log = deps.logger.child({ tenantId: options.tenantId, runId, crm: options.connector.crm });
  const summary: SyncSummary = {
    runId,
    mode: options.mode,
    status: 'succeeded',
    streams: {},
    counts: {},
    requests: 0,
    throttled: 0,
    seconds: 0,
  };

  const warnings = new Set<string>();
  // Records whose only change is crm-agent's own write-back are neither re-read nor re-scored (issue 13).
  const writer = options.connector.writer?.();
  const ownWrites = writer ? ownWriteCheck(store, options.tenantId, (f) => writer.propertyName(f)) : undefined;

  const runStream = async (stream: SyncStream): Promise<void> => {
    const result: StreamSummary = { pages: 0, requests: 0, throttled: 0, counts: {}, status: 'succeeded' };
    summary.streams[stream.name] = result;
    await store.runs.startStage(options.tenantId, runId, stageOf(stream.name));
    try {
      const cursor = await store.cursors.get(options.tenantId, stream.name);
      for await (const page of stream.read({
        mode: options.mode,
        cursor,
        signal,
        ...(ownWrites ? { ownWrites } : {}),
      })) {
        const counts = await store.transaction(async (tx) => {
          const applied = await applyChanges(tx, options.tenantId, page.changes);
          await tx.cursors.put(options.tenantId, stream.name, page.cursor);
          return applied;
        });
        result.pages += 1;
        result.requests += page.requests ?? 0;
        result.throttled += page.throttled ?? 0;
        addCounts(result.counts, counts);
        if (page.changes.currency) summary.currency = page.changes.currency.currency;
        for (const r of page.changes.rejected ?? []) log.warn({ stream: stream.name, record: r }, 'record rejected');
        for (const warning of page.changes.warnings ?? []) {
          if (warnings.has(warning)) continue;
          warnings.add(warning);
          log.warn({ stream: stream.name }, warning);
        }
        options.onPage?.({ stream: stream.name, counts, requests: page.requests ?? 0, throttled: page.throttled ?? 0 });
        if (signal.aborted) {
          result.status = 'cancelled';
          break;
        }
      }
    } catch (error) {
      result.status = 'failed';
      result.error = describeError(error);
      await store.runs.finishStage(runId, stageOf(stream.name), 'failed', { ...result });
      throw error;
    }
    await store.runs.finishStage(runId, stageOf(stream.name), result.status, { ...result });
  };

  try {
    await eachWithConcurrency(
      options.connector.streams(),
      options.streamConcurrency ?? options.connector.streamConcurrency ?? 1,
      runStream,
    );
    if (signal.aborted) summary.status = 'cancelled';
  } catch (error) {
    summary.status = 'failed';
    summary.error = describeError(error);
    // A tenant to reconnect is an expected state (the token provider has said so, once): no stack.
    if ((error as { code?: unknown }).code === ErrorCode.NeedsReauth) log.info(`sync stopped: ${summary.error}`);
    else log.error({ err: error }, 'sync failed');
    await finish();
    throw error;
  }
  await finish();
  log.info({ counts: summary.counts, requests: summary.requests, seconds: summary.seconds }, `sync ${summary.status}`);
  return summary;

  async function finish(): Promise<void> {
    for (const stream of Object.values(summary.streams)) {
      addCounts(summary.counts, stream.counts);
      summary.requests += stream.requests;
      summary.throttled += stream.throttled;
    }
    summary.seconds = (performance.now() - started) / 1000;
    if (warnings.size > 0) summary.warnings = [...warnings];
    if (!ownRun) return;
    const { runId: _id, status, error, ...rest } = summary;
    await store.runs.finish(runId, status, rest, error ?? null);
  }
}

async function eachWithConcurrency<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      const item = items[next++]!;
      await fn(item).catch((error: unknown) => {
        failure ??= error;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure;
}
