import { randomUUID } from 'node:crypto';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Job, JobHandler, JobQueue } from '../ports/job-queue.js';

interface Waiting {
  job: Job;
  singletonKey?: string;
}

/**
 * The embedded setup's queue: in memory, one job at a time per tenant, at most `concurrency` tenants at once.
 * It holds nothing across restarts; schedules catch up at start-up and the outbox and inbox are in the store.
 */
export class LocalJobQueue implements JobQueue {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly busy = new Set<string>();
  private readonly idleWaiters: Array<() => void> = [];
  private running = 0;
  private stopped = false;

  constructor(
    private readonly logger: Logger,
    private readonly concurrency = 2,
  ) {}

  async send(
    name: string,
    tenantId: string,
    data: Record<string, unknown>,
    options: { singletonKey?: string } = {},
  ): Promise<string | null> {
    if (this.stopped) throw new Error('queue stopped');
    const queue = this.waiting.get(tenantId) ?? [];
    if (options.singletonKey && queue.some((w) => w.singletonKey === options.singletonKey)) return null;
    const job: Job = { id: randomUUID(), name, tenantId, data };
    queue.push({ job, ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}) });
    this.waiting.set(tenantId, queue);
    this.pump();
    return job.id;
  }

  work(name: string, handler: JobHandler): void {
    this.handlers.set(name, handler);
    this.pump();
  }

  async cancel(tenantId: string): Promise<void> {
    this.waiting.get(tenantId)?.splice(0);
    if (!this.busy.has(tenantId)) this.waiting.delete(tenantId);
    if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting.clear();
    await this.idle();
  }

  private isIdle(): boolean {
    return this.running === 0 && [...this.waiting.values()].every((q) => q.length === 0);
  }

  private pump(): void {
    for (const [tenantId, queue] of this.waiting) {
      if (this.running >= this.concurrency) return;
      if (this.busy.has(tenantId)) continue;
      const index = queue.findIndex((w) => this.handlers.has(w.job.name));
      if (index < 0) continue;
      const [{ job }] = queue.splice(index, 1) as [Waiting];
      this.busy.add(tenantId);
      this.running += 1;
      void this.handlers.get(job.name)!(job)
        .catch((error: unknown) => {
          this.logger.error(
            { job: job.name, jobId: job.id, tenantId, err: error },
            `job failed: ${describeError(error)}`,
          );
        })
        .finally(() => {
          this.busy.delete(tenantId);
          this.running -= 1;
          if (queue.length === 0) this.waiting.delete(tenantId);
          this.pump();
          if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
        });
    }
  }
}
