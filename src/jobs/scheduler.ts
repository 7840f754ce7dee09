import cron, { type ScheduledTask } from 'node-cron';
import type { Tenant } from '../domain/tenant.js';
import { DEFAULT_TENANT_SETTINGS, effectiveSettings } from '../domain/tenant-settings.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { Store } from '../store/open-store.js';
import { cronLogger } from './cron-logger.js';

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
  /** How often, at most, the scheduler looks for due slots (it also wakes at each minute's start); default 10 s. */
  tickMs?: number;
}

/** One schedule: its pattern (a node-cron task used only to match minutes, never started) and what it fires. */
interface Entry {
  owner: string;
  kind: string;
  matcher: ScheduledTask;
  /** The last minute already looked at: slots after it and up to now are due. */
  checkedUpTo: number;
  /** A slot of this schedule being fired; the next tick leaves the schedule alone until it is done. */
  busy: boolean;
  fire: (at: Date) => Promise<unknown>;
}

/**
 * Per-tenant schedules. node-cron only parses and matches the patterns: the scheduler's own ticker wakes at each
 * minute's start (and every `tickMs`) and fires every schedule's latest slot since it last looked, so a slot whose
 * tick came late (a busy event loop, a suspended machine) still runs, once, and each schedule fires on its own: a
 * slow store answer for one tenant delays no other. Every slot is claimed in the store before it runs, so with
 * several processes (PostgreSQL) each slot fires exactly once; at start-up the most recent slot of each schedule
 * that nobody ran (the process was down) runs once. Runs go through the queue, whose singleton keys and the tenant
 * lock keep two runs of one tenant from overlapping.
 */
export class Scheduler {
  private readonly tasks = new Map<string, Entry[]>();
  private readonly globalTasks: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: SchedulerDeps) {}

  /**
   * A schedule that is not per tenant (e.g. the nightly purge of uninstalled tenants): each slot runs once
   * across processes, like a tenant's.
   */
  addGlobal(kind: string, expression: string, run: () => Promise<void>): void {
    const fire = async (at: Date) => {
      // Nothing may escape a tick: the store can be away.
      try {
        if (!(await this.deps.store.slots.claim('*', kind, slotKey(at), this.deps.instanceId))) return;
        try {
          await run();
          await this.deps.store.slots.finish('*', kind, slotKey(at), 'done');
        } catch (error) {
          this.deps.logger.error({ kind, err: error }, 'global schedule failed');
          await this.deps.store.slots.finish('*', kind, slotKey(at), 'failed');
        }
      } catch (error) {
        this.deps.logger.error({ kind, err: error }, 'global schedule slot skipped: the store did not answer');
      }
    };
    this.globalTasks.push(this.entry('*', kind, expression, 'UTC', fire));
    this.arm();
  }

  /** Schedules every active tenant and runs each schedule's missed slot once. */
  async start(): Promise<void> {
    this.stopped = false;
    for (const tenant of await this.deps.store.tenants.list()) await this.schedule(tenant);
    this.arm();
  }

  /** (Re)schedules one tenant, e.g. after install or a settings change; unschedules it unless active. */
  async schedule(tenant: Tenant): Promise<void> {
    this.unschedule(tenant.id);
    if (tenant.status !== 'active') return;
    const entries: Entry[] = [];
    for (const [kind, expression] of Object.entries(scheduleOf(tenant)) as Array<[ScheduleKind, string]>) {
      const entry = this.entry(tenant.id, kind, expression, timezoneOf(tenant), (at) =>
        this.fire(tenant.id, kind, at).catch((error: unknown) =>
          this.deps.logger.error({ tenantId: tenant.id, kind, err: error }, 'schedule slot not queued'),
        ),
      );
      entries.push(entry);
      const missed = previousSlot(entry.matcher, this.deps.clock.now(), Date.parse(tenant.createdAt));
      if (missed !== undefined) await this.fire(tenant.id, kind, missed);
    }
    this.tasks.set(tenant.id, entries);
    this.arm();
  }

  unschedule(tenantId: string): void {
    for (const entry of this.tasks.get(tenantId) ?? []) void entry.matcher.destroy();
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

  /**
   * Fires, for every schedule not still busy with its previous slot, the latest slot between the minute it last
   * looked at and now (once, however many it missed); resolves when this tick's slots are queued. The ticker calls
   * it; exposed for tests and callers that know time jumped.
   */
  async tick(): Promise<void> {
    const now = this.deps.clock.now();
    const minute = now - (now % 60_000);
    const firing: Array<Promise<unknown>> = [];
    for (const entry of [...this.globalTasks, ...[...this.tasks.values()].flat()]) {
      if (entry.busy || minute <= entry.checkedUpTo) continue;
      const slot = previousSlot(entry.matcher, now, entry.checkedUpTo + 60_000);
      entry.checkedUpTo = minute;
      if (slot === undefined) continue;
      if (slot.getTime() < minute) {
        this.deps.logger.info({ owner: entry.owner, kind: entry.kind, slot: slotKey(slot) }, 'late slot caught up');
      }
      entry.busy = true;
      firing.push(
        entry.fire(slot).finally(() => {
          entry.busy = false;
        }),
      );
    }
    await Promise.all(firing);
  }

  scheduledPatterns(tenantId: string): string[] {
    return (this.tasks.get(tenantId) ?? []).map((t) => t.matcher.getPattern());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const id of [...this.tasks.keys()]) this.unschedule(id);
    for (const entry of this.globalTasks.splice(0)) void entry.matcher.destroy();
  }

  private entry(
    owner: string,
    kind: string,
    expression: string,
    timezone: string,
    fire: (at: Date) => Promise<unknown>,
  ): Entry {
    const now = this.deps.clock.now();
    return {
      owner,
      kind,
      // Never started: node-cron's own timer is what missed slots under load.
      matcher: cron.createTask(expression, () => undefined, {
        name: `${owner}:${kind}`,
        timezone,
        logger: cronLogger(this.deps.logger),
      }),
      checkedUpTo: now - (now % 60_000),
      busy: false,
      fire,
    };
  }

  /** Keeps one timer armed: at the next minute's start, or within `tickMs`, whichever comes first. */
  private arm(): void {
    if (this.timer || this.stopped) return;
    const tickMs = this.deps.tickMs ?? 10_000;
    const now = this.deps.clock.now();
    const delay = Math.min(tickMs, 60_000 - (now % 60_000) + 50);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Not awaited: a slot still being queued must not hold the next tick (each schedule waits only for itself).
      this.tick().catch((error: unknown) => this.deps.logger.error({ err: error }, 'schedule tick failed'));
      this.arm();
    }, delay);
    this.timer.unref();
  }
}

export function scheduleOf(tenant: Tenant): Record<ScheduleKind, string> {
  return effectiveSettings(tenant.settings).schedule;
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
