import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { HubSpotSandbox } from '../../sandbox/hubspot/create-hubspot-sandbox.js';
import { runCycle } from '../../src/jobs/run-cycle.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { connectHarness, type Harness, startSandbox } from '../helpers/hubspot.js';
import { HubSpotOpenApi } from '../helpers/hubspot-openapi.js';

/** One response the sandbox sent, checked against HubSpot's published OpenAPI files. */
interface Checked {
  request: string;
  status: number;
  operation: string | null;
  errors: string[];
}

/**
 * The contract: every response the sandbox HubSpot sends to crm-agent's connector (a full cycle: sync, engine,
 * provisioning, write-back; then an incremental one after edits, archives and a merge) and to the calls the app
 * makes outside the connector (token, portal, owners, pipelines, errors) matches HubSpot's published OpenAPI files
 * (github.com/HubSpot/HubSpot-public-api-spec-collection, copied to shared/reference/hubspot-openapi/ beside the
 * checkout or named by HUBSPOT_OPENAPI_DIR: see findHubSpotOpenApiDir; the test fails when none is found),
 * relaxed only where HubSpot's real behaviour differs (test/contract/hubspot-openapi-known-differences.md).
 */
describe('the HubSpot sandbox against HubSpot OpenAPI files', () => {
  const spec = new HubSpotOpenApi();
  const checked: Checked[] = [];
  const clock = new FixedClock();
  let sb: HubSpotSandbox;
  let url: string;
  let harness: Harness;

  /** A fetch that passes everything through and checks each JSON answer. */
  const checking: typeof fetch = async (input, init) => {
    const response = await globalThis.fetch(input, init);
    const target = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    const text = await response.clone().text();
    const isJson = (response.headers.get('content-type') ?? '').includes('json');
    const body: unknown = text === '' ? undefined : isJson ? JSON.parse(text) : text;
    const result = spec.validate(method, target.pathname, response.status, body);
    checked.push({
      request: `${method} ${target.pathname}`,
      status: response.status,
      operation: result.operation,
      errors: result.errors,
    });
    return response;
  };

  async function call(method: string, path: string, options: { body?: unknown; token?: string; form?: string } = {}) {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (options.form !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    const response = await checking(`${url}${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.form !== undefined ? { body: options.form } : {}),
    });
    return { status: response.status, body: (await response.json().catch(() => undefined)) as Record<string, unknown> };
  }

  /** The checked responses to requests like `request` (`METHOD path` pattern): some seen, each matching its spec. */
  function expectValid(request: RegExp, status?: number) {
    const mine = checked.filter((c) => request.test(c.request) && (status === undefined || c.status === status));
    expect({ request: String(request), status, seen: mine.length > 0 }).toEqual({
      request: String(request),
      status,
      seen: true,
    });
    expect(mine.every((c) => c.operation !== null)).toBe(true);
    expect(mine.filter((c) => c.errors.length > 0).slice(0, 3)).toEqual([]);
  }

  beforeAll(async () => {
    ({ sb, url } = await startSandbox({ seed: 18, contacts: 300, companies: 40, deals: 250, limits: 'off', clock }));
    harness = await connectHarness(sb, url, { clock, fetch: checking, oauth: true });
  });
  afterAll(async () => {
    await harness?.close();
    await sb?.close();
  });

  it('answers a full cycle and an incremental one as the spec describes', async () => {
    const full = await runCycle(harness.runtime, { tenantId: harness.tenant.id, mode: 'full', trigger: 'test' });
    expect(full.status).toBe('succeeded');
    const portal = sb.control.export();
    const [first, second] = portal.records.contacts;
    sb.control.edit('contacts', Number(first!.id), { firstname: 'Edited', jobtitle: null });
    sb.control.delete('companies', Number(portal.records.companies[0]!.id));
    sb.control.merge('contacts', Number(first!.id), Number(second!.id));
    clock.advance(60_000);
    const incremental = await runCycle(harness.runtime, {
      tenantId: harness.tenant.id,
      mode: 'incremental',
      trigger: 'test',
    });
    expect(incremental.status).toBe('succeeded');
    const read = await harness.connector().readRecords!([
      { type: 'contact', id: first!.id },
      { type: 'deal', id: portal.records.deals[0]!.id },
    ]);
    expect(read.contacts?.length).toBe(1);

    // Nothing the connector asked for is outside the spec files, and every answer matches its operation.
    expect(checked.filter((c) => c.operation === null).map((c) => c.request)).toEqual([]);
    const failures = checked.filter((c) => c.errors.length > 0);
    expect(failures.slice(0, 5)).toEqual([]);
    for (const request of [
      /^GET \/crm\/v3\/properties\/\w+$/,
      /^POST \/crm\/v3\/objects\/\w+\/search$/,
      /^GET \/crm\/v3\/objects\/\w+$/,
      /^POST \/crm\/v4\/associations\/\w+\/\w+\/batch\/read$/,
      /^POST \/crm\/v3\/objects\/\w+\/batch\/read$/,
      /^POST \/crm\/v3\/objects\/\w+\/batch\/update$/,
      /^POST \/crm\/v3\/objects\/tasks\/batch\/create$/,
      /^GET \/crm\/v3\/owners\/?$/,
      /^GET \/crm\/v3\/pipelines\/deals$/,
    ]) {
      expectValid(request);
    }
  });

  it('answers the token, portal, owner and pipeline calls as the spec describes', async () => {
    const issued = sb.control.issueTokens();
    const refreshed = await call('POST', '/oauth/2026-03/token', {
      form: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: sb.clientId,
        client_secret: sb.clientSecret,
        refresh_token: issued.refreshToken,
      }).toString(),
    });
    expect(refreshed.status).toBe(200);
    const v1 = await call('POST', '/oauth/v1/token', {
      form: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: sb.clientId,
        client_secret: sb.clientSecret,
        refresh_token: String(refreshed.body.refresh_token),
      }).toString(),
    });
    expect(v1.status).toBe(200);
    const token = String(v1.body.access_token);
    expect((await call('GET', `/oauth/v1/access-tokens/${token}`)).status).toBe(200);
    expect((await call('GET', '/account-info/v3/details', { token })).status).toBe(200);
    const owners = await call('GET', '/crm/v3/owners?limit=2', { token });
    const owner = (owners.body.results as Array<{ id: string }>)[0]!;
    expect((await call('GET', `/crm/v3/owners/${owner.id}`, { token })).status).toBe(200);
    expect((await call('GET', '/crm/v3/pipelines/deals', { token })).status).toBe(200);
    for (const request of [
      /^POST \/oauth\/2026-03\/token$/,
      /^POST \/oauth\/v1\/token$/,
      /^GET \/oauth\/v1\/access-tokens\//,
      /^GET \/account-info\/v3\/details$/,
      /^GET \/crm\/v3\/owners\/\d+$/,
    ]) {
      expectValid(request, 200);
    }
  });

  it('answers partial failures and errors with the spec error shapes', async () => {
    const token = sb.control.issueTokens().accessToken;
    const deals = sb.control.export().records.deals.slice(0, 2);
    // 207: one id found, one not.
    const partial = await call('POST', '/crm/v3/objects/deals/batch/read', {
      token,
      body: { inputs: [{ id: deals[0]!.id }, { id: '999999999' }], properties: ['dealname'] },
    });
    expect(partial.status).toBe(207);
    const links = await call('POST', '/crm/v4/associations/deals/contacts/batch/read', {
      token,
      body: { inputs: [{ id: deals[0]!.id }, { id: deals[1]!.id }] },
    });
    expect([200, 207]).toContain(links.status);
    // 400 INVALID_OPTION on a write, 404 on a read, 401 without a valid token.
    const invalid = await call('POST', '/crm/v3/objects/deals/batch/update', {
      token,
      body: { inputs: [{ id: deals[0]!.id, properties: { dealstage: 'Japan Summer' } }] },
    });
    expect(invalid.status).toBe(400);
    expect((await call('GET', '/crm/v3/objects/deals/999999999', { token })).status).toBe(404);
    expect((await call('GET', '/crm/v3/objects/deals', { token: 'not-a-token' })).status).toBe(401);
    expectValid(/^POST \/crm\/v3\/objects\/deals\/batch\/read$/, 207);
    expectValid(/^POST \/crm\/v4\/associations\/deals\/contacts\/batch\/read$/);
    expectValid(/^POST \/crm\/v3\/objects\/deals\/batch\/update$/, 400);
    expectValid(/^GET \/crm\/v3\/objects\/deals\/\d+$/, 404);
    expectValid(/^GET \/crm\/v3\/objects\/deals$/, 401);
  });

  it('answers the ten-secondly rate limit with the spec error shape', async () => {
    const limited = await startSandbox({ seed: 3, contacts: 5, companies: 1, deals: 1, clock });
    try {
      let status = 200;
      for (let i = 0; i < 200 && status !== 429; i++) {
        const response = await checking(`${limited.url}/crm/v3/objects/contacts?limit=1`, {
          headers: { Authorization: `Bearer ${limited.sb.token}` },
        });
        status = response.status;
        await response.arrayBuffer();
      }
      expect(status).toBe(429);
      expectValid(/^GET \/crm\/v3\/objects\/contacts$/, 429);
    } finally {
      await limited.sb.close();
    }
  });
});
