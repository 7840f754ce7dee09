import { describeError, ErrorCode, isCrmAgentError } from '../lib/errors.js';
import type { Runtime } from '../runtime.js';
import { pruneStore } from '../store/prune-store.js';
import { purgeExpiredTenants } from '../tenancy/purge-expired-tenants.js';
import { SEND_JOB, sendPending } from '../writeback/send-pending.js';
import { processInbox } from './process-inbox.js';
import { runCycle } from './run-cycle.js';
import { RUN_JOB } from './scheduler.js';

/** The nightly sweep that purges tenants uninstalled longer than the grace period. */
export const PURGE_SCHEDULE = '15 3 * * *';

/** Hourly: prune what retention no longer keeps (runs, run results, inbox, outbox, audit, history, API usage). */
export const GC_SCHEDULE = '41 * * * *';

/** Webhook events: processed as they arrive; this sweep picks up any a crashed process left waiting. */
export const INBOX_JOB = 'inbox.process';
export const INBOX_SWEEP_SCHEDULE = '* * * * *';

/** Queues processing of a tenant's webhook events (one waiting job per tenant). */
export function wakeInbox(runtime: Pick<Runtime, 'queue'>, tenantId: string): Promise<string | null> {
  return runtime.queue.send(INBOX_JOB, tenantId, {}, { singletonKey: `inbox:${tenantId}` });
}

/** What this process works on: the tenant cycle (from schedules, installs and webhooks) and the nightly purge. */
export function registerJobs(runtime: Runtime): void {
  runtime.scheduler.addGlobal('purge', PURGE_SCHEDULE, async () => {
    await purgeExpiredTenants(runtime, runtime.config.uninstallGraceMs);
  });
  runtime.scheduler.addGlobal('gc', GC_SCHEDULE, async () => {
    const report = await pruneStore(runtime.store, runtime.clock, runtime.config.retention);
    runtime.logger.info(report, 'store pruned');
  });
  runtime.scheduler.addGlobal('inbox-sweep', INBOX_SWEEP_SCHEDULE, async () => {
    for (const tenantId of await runtime.store.inbox.tenantsWithPending()) await wakeInbox(runtime, tenantId);
  });
  runtime.queue.work(INBOX_JOB, async (job) => {
    const result = await processInbox(runtime, job.tenantId);
    runtime.logger.debug({ tenantId: job.tenantId, ...result }, 'inbox processed');
  });
  runtime.queue.work(SEND_JOB, async (job) => {
    const sent = await sendPending(runtime, job.tenantId);
    if (sent && sent.calls > 0) runtime.logger.info({ tenantId: job.tenantId, ...sent }, 'left-over write-backs sent');
  });
  runtime.queue.work(RUN_JOB, async (job) => {
    const { mode, trigger, slot, kind } = job.data as {
      mode: 'full' | 'incremental';
      trigger: string;
      slot?: string;
      kind?: string;
    };
    let status: 'done' | 'failed' = 'failed';
    try {
      const result = await runCycle(runtime, { tenantId: job.tenantId, mode, trigger });
      status = result.status === 'failed' ? 'failed' : 'done';
      runtime.logger.info(
        { tenantId: job.tenantId, mode, trigger, status: result.status, reason: result.reason },
        'cycle finished',
      );
    } catch (error) {
      // A tenant to reconnect is an expected state (the token provider warned once, and the dashboard shows it).
      if (isCrmAgentError(error) && error.code === ErrorCode.NeedsReauth)
        runtime.logger.info({ tenantId: job.tenantId }, `cycle stopped: ${describeError(error)}`);
      else runtime.logger.error({ tenantId: job.tenantId, err: error }, `cycle failed: ${describeError(error)}`);
    } finally {
      if (slot && kind) await runtime.store.slots.finish(job.tenantId, kind, slot, status);
    }
  });
}
