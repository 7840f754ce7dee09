import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { HubSpotSandbox } from '../../sandbox/hubspot/create-hubspot-sandbox.js';
import { actionsCsv } from '../../src/dashboard/actions-csv.js';
import { crmCurrencyOf, tenantCurrency } from '../../src/domain/crm-currency.js';
import type { EngineResult } from '../../src/engine/types.js';
import { connectWithToken } from '../../src/install/connect-with-token.js';
import { type CycleResult, runCycle } from '../../src/jobs/run-cycle.js';
import type { Runtime } from '../../src/main.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { connectHarness, type Harness, startSandbox as startHubSpot } from '../helpers/hubspot.js';
import { salesforceRuntime, startSandbox as startSalesforce } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Every text a rep reads from one run: the actions' reasons and the scores' reasons. */
function wording(engine: EngineResult | undefined): string[] {
  if (!engine) return [];
  return [
    ...engine.actions.actions.map((a) => a.reason),
    ...engine.scores.win.scores.flatMap((s) => s.reasons.map((r) => r.text)),
    ...engine.scores.contacts.scores.flatMap((s) => s.reasons.map((r) => r.text)),
  ];
}

/** The run read the CRM's currency, stored it on the tenant, counted it, and worded amounts in euros. */
async function expectEuros(runtime: Runtime, tenantId: string, run: CycleResult): Promise<void> {
  expect(run.status).toBe('succeeded');
  expect(run.sync?.currency).toBe('EUR');
  expect(run.sync?.counts.currency).toBe(1);
  const tenant = (await runtime.store.tenants.get(tenantId))!;
  expect(crmCurrencyOf(tenant.settings)?.currency).toBe('EUR');
  expect(tenantCurrency(tenant.settings).currency).toBe('EUR');
  const words = wording(run.engine);
  const amounts = words.filter((w) => /€\d/.test(w));
  expect(amounts.length).toBeGreaterThan(0);
  expect(words.filter((w) => /\$\d|USD/.test(w))).toEqual([]);
  const csv = await actionsCsv(runtime.store, tenantId, { offset: 0, limit: 10 } as never, new Map(), 'EUR');
  expect(csv.split('\n')[0]).toMatch(/,worth \(EUR\)$/);
}

describe('currency from the CRM: a HubSpot portal in EUR', () => {
  const clock = new FixedClock();
  let sb: HubSpotSandbox;
  let harness: Harness;

  beforeAll(async () => {
    let url: string;
    ({ sb, url } = await startHubSpot({
      seed: 11,
      contacts: 300,
      companies: 40,
      deals: 250,
      limits: 'off',
      clock,
      currency: 'EUR',
    }));
    harness = await connectHarness(sb, url, { clock });
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
    await sb?.close();
  });

  it('reads account-info companyCurrency, stores it per tenant and words every amount in it', async () => {
    const run = await runCycle(harness.runtime, { tenantId: harness.tenant.id, mode: 'full', trigger: 'test' });
    await expectEuros(harness.runtime, harness.tenant.id, run);
  }, 300_000);
});

describe('currency from the CRM: a Salesforce org in EUR', () => {
  const clock = new FixedClock(Date.parse('2026-11-24T09:00:00.000Z'));
  const dir = tempDir();
  let sandbox: Awaited<ReturnType<typeof startSalesforce>>;
  let runtime: Runtime;

  beforeAll(async () => {
    sandbox = await startSalesforce({
      clock,
      seed: 5,
      accounts: 40,
      contacts: 300,
      opportunities: 250,
      limits: 'off',
      currency: 'EUR',
    });
    runtime = await salesforceRuntime(dir.path, sandbox, { clock });
  }, 120_000);
  afterAll(async () => {
    await runtime?.close();
    await sandbox?.close();
    dir.remove();
  });

  it('reads Organization.DefaultCurrencyIsoCode, stores it per tenant and words every amount in it', async () => {
    const tenant = await connectWithToken(runtime, {
      crm: 'salesforce',
      token: 'sandbox-salesforce-token',
      apiBaseUrl: sandbox.baseUrl,
    });
    const run = await runCycle(runtime, { tenantId: tenant.id, mode: 'full', trigger: 'test' });
    await expectEuros(runtime, tenant.id, run);
  }, 300_000);
});
