import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Tenant } from '../../src/domain/tenant.js';
import { connectWithToken } from '../../src/install/connect-with-token.js';
import type { Runtime } from '../../src/main.js';
import { runSync, type SyncSummary } from '../../src/sync/run-sync.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { salesforceRuntime, startSandbox } from '../helpers/salesforce.js';
import { differencesFromSandbox } from '../helpers/salesforce-oracle.js';
import { tempDir } from '../helpers/temp-dir.js';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

/**
 * The measured claim: a full and then an incremental sync of 50,000 contacts and leads and 10,000 opportunities,
 * while reps edit and delete records, a nightly job stamps thousands of rows with one SystemModstamp, duplicates are
 * merged and the recycle bin is emptied, ends with a local copy equal to the org's.
 */
describe('Salesforce sync at scale, with the org changing during the sync', () => {
  const dir = tempDir();
  const clock = new FixedClock(Date.parse('2026-11-24T09:00:00.000Z'));
  let sandbox: Sandbox;
  let runtime: Runtime;
  let tenant: Tenant;

  beforeAll(async () => {
    sandbox = await startSandbox({
      clock,
      seed: 21,
      accounts: 5000,
      contacts: 50_000,
      opportunities: 10_000,
      limits: 'off',
    });
    runtime = await salesforceRuntime(dir.path, sandbox, { clock });
    tenant = await connectWithToken(runtime, {
      crm: 'salesforce',
      token: 'sandbox-salesforce-token',
      apiBaseUrl: sandbox.baseUrl,
    });
  });
  afterAll(async () => {
    await runtime.close();
    await sandbox.close();
    dir.remove();
  });

  const sync = (mode: 'full' | 'incremental', onPage?: (page: number) => void): Promise<SyncSummary> => {
    let pages = 0;
    return runSync(runtime, {
      tenantId: tenant.id,
      connector: runtime.connectorFor(tenant),
      mode,
      trigger: 'test',
      onPage: () => {
        pages += 1;
        clock.advance(1000);
        onPage?.(pages);
      },
    });
  };

  /** What users and jobs do to the org while a sync runs, page after page. */
  const churn = (seed: number) => (page: number) => {
    const s = seed * 100 + page;
    if (page % 3 === 0) sandbox.control.edit({ object: 'Contact', count: 40, seed: s });
    if (page % 4 === 0) sandbox.control.massUpdate({ object: 'Contact', count: 1000, seed: s });
    if (page % 5 === 0) sandbox.control.edit({ object: 'Opportunity', count: 30, seed: s });
    if (page % 6 === 0) sandbox.control.remove({ object: 'Opportunity', count: 5, seed: s });
    if (page % 7 === 0) sandbox.control.remove({ object: 'Contact', count: 10, seed: s });
    if (page % 8 === 0) sandbox.control.edit({ object: 'Lead', count: 20, seed: s });
    if (page % 9 === 0) sandbox.control.edit({ object: 'OpportunityLineItem', count: 20, seed: s });
    if (page === 10)
      sandbox.control.create('Contact', { LastName: `Added ${seed}`, Email: `added${seed}@example.org` });
    if (page === 11) {
      const [a, b] = sandbox.world.truth.duplicates.find(([x, y]) => isLiveContact(x) && isLiveContact(y)) ?? [];
      if (a !== undefined && b !== undefined) {
        sandbox.control.merge('Contact', sandbox.ids.contacts[a]!.id, [sandbox.ids.contacts[b]!.id]);
      }
    }
    if (page === 12) sandbox.control.emptyRecycleBin(['Contact']);
  };
  const isLiveContact = (index: number) => {
    const ref = sandbox.ids.contacts[index]!;
    return ref.object === 'Contact' && sandbox.state.get('Contact', ref.id)?.IsDeleted === false;
  };

  it('full, then incremental, then a quiet incremental: the local copy equals the org', async () => {
    const bulkJobs: string[] = [];
    sandbox.events.on('request', (e: { method: string; path: string }) => {
      if (e.method === 'POST' && e.path.endsWith('/jobs/query')) bulkJobs.push(e.path);
    });
    const full = await sync('full', churn(1));
    expect(full.status).toBe('succeeded');
    expect(full.counts.contact).toBeGreaterThan(49_900);
    expect(full.counts.deal).toBeGreaterThan(9_900);

    const incremental = await sync('incremental', churn(2));
    expect(incremental.status).toBe('succeeded');
    expect(incremental.requests).toBeLessThan(full.requests * 2);

    // getDeleted covers whole minutes only: deletions of the current minute are reported once it is over.
    clock.advance(120_000);
    const before = sandbox.stats.apiCalls;
    const quiet = await sync('incremental');
    expect(quiet.status).toBe('succeeded');
    // Nothing changed since: each stream asks a few times and re-reads only the 5-minute overlap before its watermark.
    expect(sandbox.stats.apiCalls - before).toBeLessThan(45);

    expect((await differencesFromSandbox(runtime.store, tenant.id, sandbox)).slice(0, 10)).toEqual([]);
    const live = sandbox.control.records('Contact').length + sandbox.control.records('Lead').length;
    expect(await runtime.store.records.count(tenant.id, 'contact')).toBe(live);
    expect(await runtime.store.records.count(tenant.id, 'deal')).toBe(sandbox.control.records('Opportunity').length);
    // Objects above the 10,000-row threshold went through Bulk API 2.0 query jobs, deleted once read.
    expect(bulkJobs.length).toBeGreaterThanOrEqual(3);
    expect(sandbox.context.bulk.jobs.size).toBe(0);
  });
});
