import cron, { type ScheduledTask } from 'node-cron';
import type { Tenant } from '../domain/tenant.js';
import { DEFAULT_TENANT_SETTINGS, effectiveSettings } from '../domain/tenant-settings.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { Store } from '../store/open-store.js';

export type ScheduleKind = 'incremental' | 'full';

/** Cron expressions per kind; a tenant's `settings.schedule` overrides them (each one on its own if valid). */
export const DEFAULT_SCHEDULE: Record<ScheduleKind, string> = DEFAULT_TENANT_SETTINGS.schedule;

/** The job every slot queues: a whole cycle for the tenant (sync, engine, plan, send). */
export const RUN_JOB = 'tenant.run';

/** How far back start-up looks for a missed slot. */
const LOOKBACK_MINUTES = 8 * 24 * 60;

export interface SchedulerDeps {
  store: Store;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  /** Names this process in slot claims (host:pid). */
  instanceId: string;
}

/**
 * Per-tenant schedules on node-cron. Every slot is claimed in the store before it runs, so with several processes
 * (PostgreSQL) each slot fires exactly once; at start-up the most recent slot of each schedule that nobody ran
 * (the process was down) runs once. Runs go through the queue, whose singleton keys and the tenant lock keep two
 * runs of one tenant from overlapping.
 */
export class Scheduler {
  private readonly tasks = new Map<string, ScheduledTask[]>();
  private readonly globalTasks: ScheduledTask[] = [];

  constructor(private readonly deps: SchedulerDeps) {}

  /**
   * A schedule that is not per tenant (e.g. the nightly purge of uninstalled tenants): each slot runs once
   * across processes, like a tenant's.
   */
  addGlobal(kind: string, expression: string, run: () => Promise<void>): void {
    const task = cron.schedule(
      expression,
      async (context) => {
        // Nothing may escape a cron callback (an unhandled rejection ends the process): the store can be away.
        try {
          if (!(await this.deps.store.slots.claim('*', kind, slotKey(context.date), this.deps.instanceId))) return;
          try {
            await run();
            await this.deps.store.slots.finish('*', kind, slotKey(context.date), 'done');
          } catch (error) {
            this.deps.logger.error({ kind, err: error }, 'global schedule failed');
            await this.deps.store.slots.finish('*', kind, slotKey(context.date), 'failed');
          }
        } catch (error) {
          this.deps.logger.error({ kind, err: error }, 'global schedule slot skipped: the store did not answer');
        }
      },
      { name: `*:${kind}`, timezone: 'UTC' },
    );
    this.globalTasks.push(task);
  }

  /** Schedules every active tenant and runs each schedule's missed slot once. */
  async start(): Promise<void> {
    for (const tenant of await this.deps.store.tenants.list()) await this.schedule(tenant);
  }

  /** (Re)schedules one tenant, e.g. after install or a settings change; unschedules it unless active. */
  async schedule(tenant: Tenant): Promise<void> {
    this.unschedule(tenant.id);
    if (tenant.status !== 'active') return;
    const tasks: ScheduledTask[] = [];
    for (const [kind, expression] of Object.entries(scheduleOf(tenant)) as Array<[ScheduleKind, string]>) {
      const task = cron.schedule(
        expression,
        (context) =>
          this.fire(tenant.id, kind, context.date).then(
            () => undefined,
            (error: unknown) =>
              this.deps.logger.error({ tenantId: tenant.id, kind, err: error }, 'schedule slot not queued'),
          ),
        {
          name: `${tenant.id}:${kind}`,
          timezone: timezoneOf(tenant),
          noOverlap: false,
        },
      );
      tasks.push(task);
      const missed = previousSlot(task, this.deps.clock.now(), Date.parse(tenant.createdAt));
      if (missed !== undefined) await this.fire(tenant.id, kind, missed);
    }
    this.tasks.set(tenant.id, tasks);
  }

  unschedule(tenantId: string): void {
    for (const task of this.tasks.get(tenantId) ?? []) void task.destroy();
    this.tasks.delete(tenantId);
  }

  /** Claims the slot and queues the run; returns whether this process got the slot. */
  async fire(tenantId: string, kind: ScheduleKind, at: Date): Promise<boolean> {
    const slot = slotKey(at);
    const claimed = await this.deps.store.slots.claim(tenantId, kind, slot, this.deps.instanceId);
    if (!claimed) return false;
    await this.deps.queue.send(
      RUN_JOB,
      tenantId,
      { mode: kind, trigger: 'schedule', slot, kind },
      { singletonKey: `run:${tenantId}:${kind}` },
    );
    this.deps.logger.info({ tenantId, kind, slot }, 'schedule slot fired');
    return true;
  }

  scheduledPatterns(tenantId: string): string[] {
    return (this.tasks.get(tenantId) ?? []).map((t) => t.getPattern());
  }

  stop(): void {
    for (const id of [...this.tasks.keys()]) this.unschedule(id);
    for (const task of this.globalTasks.splice(0)) void task.destroy();
  }
}

export function scheduleOf(tenant: Tenant): Record<ScheduleKind, string> {
  const custom = (tenant.settings.schedule ?? {}) as Partial<Record<ScheduleKind, unknown>>;
  const valid = (value: unknown, fallback: string) =>
    typeof value === 'string' && cron.validate(value) ? value : fallback;
  return {
    incremental: valid(custom.incremental, DEFAULT_SCHEDULE.incremental),
    full: valid(custom.full, DEFAULT_SCHEDULE.full),
  };
}

function timezoneOf(tenant: Tenant): string {
  return effectiveSettings(tenant.settings).timezone;
}

/** Slots are identified by their minute. */
export function slotKey(at: Date): string {
  const minute = new Date(at.getTime());
  minute.setUTCSeconds(0, 0);
  return minute.toISOString();
}

/** The most recent minute at or before `now` (and after `notBefore`) that the task's pattern matches. */
export function previousSlot(task: Pick<ScheduledTask, 'match'>, now: number, notBefore: number): Date | undefined {
  const start = new Date(now);
  start.setUTCSeconds(0, 0);
  for (let i = 0; i < LOOKBACK_MINUTES; i++) {
    const at = new Date(start.getTime() - i * 60_000);
    if (at.getTime() < notBefore) return undefined;
    if (task.match(at)) return at;
  }
  return undefined;
}
