import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { StoreError } from '../lib/errors.js';
import type { Database } from './schema.js';

export interface ProcessLockOptions {
  /** How long a lease lasts without renewal; renewed every third of it while held. Default 60 s. */
  leaseMs?: number;
  /** Longest pause between two attempts while another process holds the lock. Default 1 s. */
  maxPollMs?: number;
  /** Called once when a lock is found held by another process (to say what the caller waits for). */
  onWait?: (name: string, holder: { host: string; pid: number }) => void;
}

export type WithLock = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

/** Locks across processes, and their end when the store closes: leases given up, waiters told. */
export interface ProcessLocks {
  withLock: WithLock;
  /** Stops renewing, deletes this process's leases and fails every waiter with STORE_CLOSED; call before closing. */
  release(): Promise<void>;
}

/**
 * Named locks across every process that shares one SQLite file. Within this process, holders queue on a promise
 * chain; across processes, the holder keeps a lease row in `process_locks` (renewed while it works), and a waiter
 * polls with backoff, asynchronously. A lease is free once it expired or when its holder is a process of this host
 * that no longer exists (a crash is not waited out). Leases use wall-clock time: they are about real processes,
 * whatever clock the rest of the store was given.
 */
export function createProcessLocks(db: Kysely<Database>, options: ProcessLockOptions = {}): ProcessLocks {
  const leaseMs = options.leaseMs ?? 60_000;
  const maxPollMs = options.maxPollMs ?? 1_000;
  const owner = randomUUID();
  const host = hostname();
  const local = createLocalLocks();
  const renewals = new Set<NodeJS.Timeout>();
  let closed = false;
  const ensureOpen = () => {
    if (closed) throw new StoreError('STORE_CLOSED', 'the store was closed while waiting for a lock');
  };

  const tryAcquire = async (name: string): Promise<{ host: string; pid: number } | null> =>
    db.transaction().execute(async (tx) => {
      const held = await tx.selectFrom('processLocks').selectAll().where('name', '=', name).executeTakeFirst();
      if (held && held.owner !== owner && Number(held.expiresAt) > Date.now() && !isDeadHere(held, host))
        return { host: held.host, pid: Number(held.pid) };
      const lease = { owner, host, pid: process.pid, expiresAt: Date.now() + leaseMs };
      await tx
        .insertInto('processLocks')
        .values({ name, ...lease })
        .onConflict((oc) => oc.column('name').doUpdateSet(lease))
        .execute();
      return null;
    });

  const withLock: WithLock = (name, fn) =>
    local(name, async () => {
      let pause = 25;
      let told = false;
      for (;;) {
        ensureOpen();
        const holder = await tryAcquire(name);
        if (!holder) break;
        if (!told) options.onWait?.(name, holder);
        told = true;
        await delay(pause);
        pause = Math.min(maxPollMs, pause * 2);
      }
      const renew = setInterval(() => {
        db.updateTable('processLocks')
          .set({ expiresAt: Date.now() + leaseMs })
          .where('name', '=', name)
          .where('owner', '=', owner)
          .execute()
          .catch(() => undefined); // the next renewal tries again; a lost lease only lets a waiter in later
      }, leaseMs / 3);
      renew.unref();
      renewals.add(renew);
      try {
        return await fn();
      } finally {
        clearInterval(renew);
        renewals.delete(renew);
        if (!closed)
          await db
            .deleteFrom('processLocks')
            .where('name', '=', name)
            .where('owner', '=', owner)
            .execute()
            .catch(() => undefined); // the lease then simply expires
      }
    });

  return {
    withLock,
    async release() {
      if (closed) return;
      closed = true;
      for (const renew of renewals) clearInterval(renew);
      renewals.clear();
      // Work still running under a lease is abandoned with the store: its leases go now, not when they expire.
      await db
        .deleteFrom('processLocks')
        .where('owner', '=', owner)
        .execute()
        .catch(() => undefined);
    },
  };
}

/** Within one process: callers of the same name run one after another, in order. */
export function createLocalLocks(): WithLock {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const previous = tails.get(name) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    tails.set(name, tail);
    try {
      return await run;
    } finally {
      if (tails.get(name) === tail) tails.delete(name);
    }
  };
}

/** A holder on this host whose process is gone (signal 0 probes without sending anything). */
function isDeadHere(held: { host: string; pid: number }, host: string): boolean {
  if (held.host !== host || Number(held.pid) === process.pid) return false;
  try {
    process.kill(Number(held.pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
