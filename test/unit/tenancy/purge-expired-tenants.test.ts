import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { LocalJobQueue } from '../../../src/jobs/local-job-queue.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { openStore } from '../../../src/store/open-store.js';
import { disableTenant } from '../../../src/tenancy/disable-tenant.js';
import { purgeExpiredTenants } from '../../../src/tenancy/purge-expired-tenants.js';
import { contact } from '../../contract/store.contract.js';
import { FixedClock } from '../../helpers/fixed-clock.js';
import { tempDir } from '../../helpers/temp-dir.js';

const DAY = 86_400_000;

describe('uninstall and the grace period', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('disables at once, cancels waiting jobs, and purges only tenants past the grace period', async () => {
    const clock = new FixedClock();
    const store = await openStore({ kind: 'sqlite', path: join(dir.path, 'g.db') }, { clock });
    await store.migrate();
    const make = async (id: string) => {
      const t = await store.tenants.upsert({ crm: 'salesforce', externalId: id, name: id, apiBaseUrl: 'x' });
      await store.records.upsert(t.id, 'contact', [contact(`${id}-c`)]);
      return t;
    };
    const old = await make('old');
    const recent = await make('recent');
    const reauth = await make('reauth');
    const active = await make('active');
    const queue = new LocalJobQueue(silentLogger(), 1);
    const unscheduled: string[] = [];
    await queue.send('never-worked', old.id, {});
    await disableTenant(
      { store, unschedule: (id) => unscheduled.push(id), cancelJobs: (id) => void queue.cancel(id) },
      old.id,
      'app uninstalled in HubSpot',
    );
    expect(unscheduled).toEqual([old.id]);
    await queue.idle(); // resolves only because the waiting job was dropped
    await store.tenants.setStatus(reauth.id, 'needs_reauth');
    clock.advance(20 * DAY);
    await disableTenant({ store, unschedule: () => undefined, cancelJobs: () => undefined }, recent.id, 'revoked');
    clock.advance(11 * DAY);

    const purged = await purgeExpiredTenants({ store, clock, logger: silentLogger() }, 30 * DAY);
    expect(new Set(purged)).toEqual(new Set([old.id, reauth.id]));
    expect(await store.tenants.get(old.id)).toBeUndefined();
    expect(await store.records.count(old.id, 'contact', { includeArchived: true })).toBe(0);
    expect((await store.tenants.get(recent.id))?.status).toBe('disabled');
    expect(await store.records.count(recent.id, 'contact')).toBe(1);
    expect((await store.tenants.get(active.id))?.status).toBe('active');
    await store.close();
  });
});
