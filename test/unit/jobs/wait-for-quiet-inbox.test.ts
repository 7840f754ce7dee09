import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MAX_COALESCE_MS, QUIET_MS, waitForQuietInbox } from '../../../src/jobs/wait-for-quiet-inbox.js';
import { openStore, type Store } from '../../../src/store/open-store.js';
import { FixedClock } from '../../helpers/fixed-clock.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** A fixed clock that runs a callback on every sleep (an event arriving while the waiter sleeps). */
class ArrivingClock extends FixedClock {
  sleeps: number[] = [];
  onSleep: (n: number) => Promise<void> = async () => {};

  override async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    await super.sleep(ms, signal);
    this.sleeps.push(ms);
    await this.onSleep(this.sleeps.length);
  }
}

describe('waitForQuietInbox', () => {
  const dir = tempDir();
  const clock = new ArrivingClock();
  let store: Store;
  let n = 0;
  const arrive = (tenantId: string) =>
    store.inbox.add([{ provider: 'hubspot', tenantId, eventKey: `e${n++}`, payload: '{}' }]);

  beforeAll(async () => {
    store = await openStore({ kind: 'sqlite', path: join(dir.path, 'q.db') }, { clock });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  it('handles a lone edit once it is 250 ms old, not after the 1.5 s cap', async () => {
    clock.sleeps = [];
    clock.onSleep = async () => {};
    await arrive('lone');
    expect(await waitForQuietInbox(store.inbox, clock, 'lone')).toBe(QUIET_MS);
    expect(clock.sleeps).toEqual([QUIET_MS]);
  });

  it('returns at once when nothing waits or the newest event is already quiet', async () => {
    clock.sleeps = [];
    expect(await waitForQuietInbox(store.inbox, clock, 'nobody')).toBe(0);
    await arrive('old');
    clock.advance(10_000);
    expect(await waitForQuietInbox(store.inbox, clock, 'old')).toBe(0);
    expect(clock.sleeps).toEqual([]);
  });

  it('waits for a burst to end: each new event restarts the 250 ms', async () => {
    clock.sleeps = [];
    clock.onSleep = async (k) => {
      if (k <= 2) await arrive('burst');
    };
    await arrive('burst');
    // Event at 0, sleep 250 → an event at 250; sleep 250 → an event at 500; sleep 250 → quiet at 750.
    expect(await waitForQuietInbox(store.inbox, clock, 'burst')).toBe(3 * QUIET_MS);
    expect(clock.sleeps).toEqual([QUIET_MS, QUIET_MS, QUIET_MS]);
  });

  it('never waits longer than 1.5 s however busy the inbox', async () => {
    clock.sleeps = [];
    clock.onSleep = async () => {
      clock.advance(100);
      await arrive('busy');
    };
    await arrive('busy');
    const waited = await waitForQuietInbox(store.inbox, clock, 'busy');
    expect(waited).toBeGreaterThanOrEqual(MAX_COALESCE_MS);
    expect(waited).toBeLessThan(MAX_COALESCE_MS + QUIET_MS);
  });

  it('sees only the tenant’s own events', async () => {
    clock.sleeps = [];
    clock.onSleep = async (k) => {
      if (k <= 5) await arrive('neighbour');
    };
    await arrive('mine');
    expect(await waitForQuietInbox(store.inbox, clock, 'mine')).toBe(QUIET_MS);
  });
});
