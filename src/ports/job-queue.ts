/** A unit of background work for one tenant. */
export interface Job<T = Record<string, unknown>> {
  id: string;
  name: string;
  tenantId: string;
  data: T;
}

/** Runs SQL on an open transaction's connection (what pg-boss needs to insert a job inside it). */
export interface SqlExecutor {
  executeSql(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
}

export type JobHandler = (job: Job) => Promise<void>;

/**
 * Where background work goes: in-process in the embedded setup, pg-boss across workers on PostgreSQL.
 * Jobs of one tenant never run at the same time as each other in one process; across processes the work itself
 * takes the tenant's lock.
 */
export interface JobQueue {
  /**
   * Queues a job. With `singletonKey`, a job with the same key still waiting makes this a no-op (returns null):
   * ten webhook storms or schedule slots queue one run, not ten.
   */
  send(
    name: string,
    tenantId: string,
    data: Record<string, unknown>,
    options?: { singletonKey?: string },
  ): Promise<string | null>;
  /**
   * Queues a job inside the caller's open database transaction (`within`), so the job exists exactly when the rows
   * it works on do. Only a queue that lives in the same database offers it (pg-boss); the in-process queue has no
   * need: a crash there stops every sender, and the next run sends what was left.
   */
  sendWithin?(
    within: SqlExecutor,
    name: string,
    tenantId: string,
    data: Record<string, unknown>,
    options?: { singletonKey?: string },
  ): Promise<string | null>;
  work(name: string, handler: JobHandler): void;
  /** Drops every waiting job of a tenant (uninstall); a running one finishes. */
  cancel(tenantId: string): Promise<void>;
  /** Resolves once nothing is waiting or running. */
  idle(): Promise<void>;
  /** Stops taking jobs; resolves when the running ones have finished. */
  stop(): Promise<void>;
}
