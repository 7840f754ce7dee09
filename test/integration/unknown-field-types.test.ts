import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { HubSpotSandbox } from '../../sandbox/hubspot/create-hubspot-sandbox.js';
import { describeHealth } from '../../src/cli/commands/run.js';
import { runPage } from '../../src/dashboard/views/run-page.js';
import type { DataHealth } from '../../src/engine/types.js';
import { connectWithToken } from '../../src/install/connect-with-token.js';
import { runCycle } from '../../src/jobs/run-cycle.js';
import type { Runtime } from '../../src/main.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { connectHarness, type Harness, startSandbox as startHubSpot } from '../helpers/hubspot.js';
import { salesforceRuntime, startSandbox as startSalesforce } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * A field of a type the connector does not know (a type the CRM adds after this release) is left out with a
 * warning in the run's data-health report, and the cycle succeeds. Neither sandbox can create such a field, so
 * the describe answers are given one on the wire, shaped as its siblings.
 */

/** A fetch that rewrites the JSON answers of requests whose path matches `path`, recording every request. */
function rewriting(path: RegExp, rewrite: (body: Record<string, unknown>) => void, seen: string[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    seen.push(
      `${init?.method ?? 'GET'} ${url.pathname}${url.search} ${typeof init?.body === 'string' ? init.body : ''}`,
    );
    const response = await globalThis.fetch(input, init);
    if (!path.test(url.pathname) || !response.ok) return response;
    const body = (await response.json()) as Record<string, unknown>;
    rewrite(body);
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    headers.delete('content-encoding');
    return new Response(JSON.stringify(body), { status: response.status, headers });
  };
}

describe('HubSpot: a property type the connector does not know', () => {
  const clock = new FixedClock();
  const seen: string[] = [];
  let sb: HubSpotSandbox;
  let harness: Harness;

  beforeAll(async () => {
    let url: string;
    ({ sb, url } = await startHubSpot({ seed: 7, contacts: 200, companies: 30, deals: 150, limits: 'off', clock }));
    const fetch = rewriting(
      /^\/crm\/v3\/properties\/deals$/,
      (body) => {
        const results = body.results as Array<Record<string, unknown>>;
        const sibling = results.find((p) => p.name === 'amount')!;
        results.push({
          ...sibling,
          name: 'deal_embedding',
          label: 'Deal embedding',
          type: 'vector',
          hubspotDefined: false,
        });
      },
      seen,
    );
    harness = await connectHarness(sb, url, { clock, fetch });
  });
  afterAll(async () => {
    await harness?.close();
    await sb?.close();
  });

  it('is left out, listed in the run data-health report, and the cycle succeeds', async () => {
    const run = await runCycle(harness.runtime, { tenantId: harness.tenant.id, mode: 'full', trigger: 'test' });
    expect(run.status).toBe('succeeded');
    const warning =
      "HubSpot deals: property 'deal_embedding' of type 'vector' is not one the connector reads; left out";
    expect(run.sync?.warnings).toEqual([warning]);
    const health = await harness.runtime.store.results.readArtifact<DataHealth>(run.runId!, 'health');
    expect(health?.warnings).toContain(warning);
    const stored = (await harness.runtime.store.runs.get(run.runId!))!;
    expect(stored.summary).toMatchObject({ warnings: [warning] });
    // Shown as a card on the run's page and printed by the CLI's `run`, in words.
    const page = String(
      runPage(stored, await harness.runtime.store.runs.stages(stored.id), { report: health, dataLink: 'data' }),
    );
    expect(page).toMatch(
      /<div class="card" id="run-health">[\s\S]*<ul id="health-warnings"><li>HubSpot deals: property/,
    );
    expect(describeHealth(run.engine?.health, run.sync?.warnings ?? [])).toContain(`  warning: ${warning}`);
    // Never asked for, never described; the deals themselves all synced.
    expect(seen.filter((r) => r.includes('deal_embedding'))).toEqual([]);
    const definitions = await harness.runtime.store.propertyDefinitions.list(harness.tenant.id, 'deal');
    expect(definitions.map((d) => d.name)).not.toContain('deal_embedding');
    expect(definitions.map((d) => d.name)).toContain('amount');
    expect(await harness.runtime.store.records.list(harness.tenant.id, 'deal')).toHaveLength(150);
  });
});

describe('Salesforce: a field type the connector does not know', () => {
  const clock = new FixedClock(Date.parse('2026-11-24T09:00:00.000Z'));
  const dir = tempDir();
  const seen: string[] = [];
  let sandbox: Awaited<ReturnType<typeof startSalesforce>>;
  let runtime: Runtime;

  beforeAll(async () => {
    sandbox = await startSalesforce({ clock, seed: 5, accounts: 30, contacts: 200, opportunities: 120, limits: 'off' });
    const fetch = rewriting(
      /\/sobjects\/Opportunity\/describe$/,
      (body) => {
        const fields = body.fields as Array<Record<string, unknown>>;
        const sibling = fields.find((f) => f.name === 'Amount')!;
        fields.push({ ...sibling, name: 'Embedding__c', label: 'Embedding', type: 'vector', custom: true });
      },
      seen,
    );
    runtime = await salesforceRuntime(dir.path, sandbox, { clock, fetch });
  });
  afterAll(async () => {
    await runtime?.close();
    await sandbox?.close();
    dir.remove();
  });

  it('is left out, listed in the run data-health report, and the cycle succeeds', async () => {
    const tenant = await connectWithToken(runtime, {
      crm: 'salesforce',
      token: 'sandbox-salesforce-token',
      apiBaseUrl: sandbox.baseUrl,
    });
    const run = await runCycle(runtime, { tenantId: tenant.id, mode: 'full', trigger: 'test' });
    expect(run.status).toBe('succeeded');
    const warning =
      "Salesforce Opportunity: field 'Embedding__c' of type 'vector' is not one the connector reads; left out";
    expect(run.sync?.warnings).toEqual([warning]);
    const health = await runtime.store.results.readArtifact<DataHealth>(run.runId!, 'health');
    expect(health?.warnings).toContain(warning);
    // Never selected (the sandbox would refuse the unknown column and fail the sync); every deal synced.
    expect(seen.filter((r) => r.includes('Embedding__c'))).toEqual([]);
    expect(await runtime.store.records.list(tenant.id, 'deal')).toHaveLength(120);
  });
});
