import PgBoss from 'pg-boss';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Job, JobHandler, JobQueue, SqlExecutor } from '../ports/job-queue.js';

export interface PgBossQueueOptions {
  connectionString: string;
  /** How long a job may run before pg-boss considers its worker dead and hands it to another. */
  expireInSeconds?: number;
  /** How often pg-boss looks for expired jobs (and other upkeep). */
  maintenanceIntervalSeconds?: number;
  pollingIntervalSeconds?: number;
  /** First retry delay of a failed or expired job (doubling after). */
  retryDelaySeconds?: number;
  /** Jobs this process runs at once (one pg-boss worker each). */
  concurrency?: number;
}

/**
 * The job queue across workers: pg-boss on the same PostgreSQL as the store. Queues use the `stately` policy, so
 * per singleton key at most one job waits and one runs, whichever worker sends it. A worker killed mid-job leaves
 * it active until it expires; pg-boss then retries it on another worker. pg-boss starts on first use.
 */
export class PgBossJobQueue implements JobQueue {
  private boss: Promise<PgBoss> | undefined;
  private readonly queues = new Map<string, Promise<void>>();
  private readonly workers: Array<Promise<string>> = [];
  /** Handlers running now: a graceful stop waits for every one of them, however long a cycle takes. */
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly options: PgBossQueueOptions,
    private readonly logger: Logger,
  ) {}

  async send(
    name: string,
    tenantId: string,
    data: Record<string, unknown>,
    options: { singletonKey?: string } = {},
  ): Promise<string | null> {
    return this.enqueue(name, tenantId, data, options, undefined);
  }

  async sendWithin(
    within: SqlExecutor,
    name: string,
    tenantId: string,
    data: Record<string, unknown>,
    options: { singletonKey?: string } = {},
  ): Promise<string | null> {
    return this.enqueue(name, tenantId, data, options, within as PgBoss.Db);
  }

  private async enqueue(
    name: string,
    tenantId: string,
    data: Record<string, unknown>,
    options: { singletonKey?: string },
    db: PgBoss.Db | undefined,
  ): Promise<string | null> {
    const boss = await this.queue(name);
    return boss.send(
      name,
      { ...data, tenantId },
      {
        ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
        retryLimit: 3,
        retryDelay: this.options.retryDelaySeconds ?? 30,
        retryBackoff: true,
        expireInSeconds: this.options.expireInSeconds ?? 2 * 3600,
        ...(db ? { db } : {}),
      },
    );
  }

  work(name: string, handler: JobHandler): void {
    const register = async () => {
      const boss = await this.queue(name);
      const run = async ([job]: PgBoss.Job<Record<string, unknown>>[]) => {
        if (!job) return;
        const { tenantId, ...data } = job.data;
        const unit: Job = { id: job.id, name, tenantId: String(tenantId), data };
        const handled = handler(unit);
        const settled = handled.then(
          () => undefined,
          () => undefined,
        );
        this.running.add(settled);
        try {
          await handled;
        } finally {
          this.running.delete(settled);
        }
      };
      const ids: string[] = [];
      for (let i = 0; i < (this.options.concurrency ?? 2); i++) {
        ids.push(
          await boss.work(
            name,
            { batchSize: 1, pollingIntervalSeconds: this.options.pollingIntervalSeconds ?? 2 },
            run,
          ),
        );
      }
      return ids.join(',');
    };
    const worker = register();
    worker.catch((error: unknown) =>
      this.logger.error({ job: name, err: error }, `cannot work on ${name}: ${describeError(error)}`),
    );
    this.workers.push(worker);
  }

  async cancel(tenantId: string): Promise<void> {
    const boss = await this.started();
    const db = boss.getDb();
    const rows = (await db.executeSql(
      `SELECT name, id FROM pgboss.job WHERE data->>'tenantId' = $1 AND state IN ('created', 'retry')`,
      [tenantId],
    )) as { rows: Array<{ name: string; id: string }> };
    for (const row of rows.rows) await boss.cancel(row.name, row.id);
  }

  /** Resolves once no job of any queue this process knows is waiting or running. */
  async idle(): Promise<void> {
    const boss = await this.started();
    for (;;) {
      let busy = 0;
      for (const name of this.queues.keys()) busy += await boss.getQueueSize(name, { before: 'completed' });
      if (busy === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /**
   * Graceful stop: no new jobs are taken and running ones finish, however long they take (pg-boss's own stop gives
   * up after its timeout and the store would close under a running cycle, leaving its run `running`). A process
   * that must stop sooner is killed; its job then expires and is retried elsewhere.
   */
  async stop(): Promise<void> {
    if (!this.boss) return;
    const boss = await this.boss;
    await Promise.allSettled(this.workers);
    for (const name of this.queues.keys()) await boss.offWork(name);
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    // What is left is pg-boss marking the finished jobs complete.
    await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
  }

  private started(): Promise<PgBoss> {
    this.boss ??= (async () => {
      const boss = new PgBoss({
        connectionString: this.options.connectionString,
        schema: 'pgboss',
        maintenanceIntervalSeconds: this.options.maintenanceIntervalSeconds ?? 60,
        supervise: true,
        schedule: false,
      });
      boss.on('error', (error: unknown) => this.logger.error({ err: error }, `pg-boss: ${describeError(error)}`));
      await boss.start();
      return boss;
    })();
    return this.boss;
  }

  private async queue(name: string): Promise<PgBoss> {
    const boss = await this.started();
    let created = this.queues.get(name);
    if (!created) {
      created = (async () => {
        // Several processes starting together create the same queues: pg-boss's DDL can deadlock with another's,
        // or fail on a queue another just made. Retry until the queue exists.
        for (let attempt = 1; ; attempt++) {
          if (await boss.getQueue(name)) return;
          try {
            await boss.createQueue(name, { name, policy: 'stately' });
            return;
          } catch (error) {
            if (attempt >= 8) throw error;
            await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.floor(Math.random() * 100)));
          }
        }
      })();
      // A failure is not remembered: the next send or work tries again.
      created.catch(() => this.queues.delete(name));
      this.queues.set(name, created);
    }
    await created;
    return boss;
  }
}
