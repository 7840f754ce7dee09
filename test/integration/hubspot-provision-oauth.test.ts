import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { HubSpotSandbox } from '../../sandbox/hubspot/create-hubspot-sandbox.js';
import { OUTPUT_FIELDS } from '../../src/domain/output-fields.js';
import { createPkcePair } from '../../src/install/pkce.js';
import type { CrmWriter } from '../../src/ports/crm-writer.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { connectHarness, type Harness, startSandbox } from '../helpers/hubspot.js';

const SEGMENTS = [
  { value: 'seg_a', label: 'Loyal big spenders' },
  { value: 'seg_b', label: 'New and curious' },
];
const RENAMED = [{ value: 'seg_a', label: 'Loyal' }, ...SEGMENTS.slice(1), { value: 'seg_c', label: 'Dormant' }];
const TYPES = { contacts: 'contact', companies: 'company', deals: 'deal' } as const;

describe('HubSpot provisioning and OAuth install against the sandbox', () => {
  const clock = new FixedClock(Date.parse('2026-11-01T08:00:00.000Z'));
  const requests: Array<{ method: string; path: string }> = [];
  let onRequest: ((r: { method: string; path: string }) => void) | null = null;
  let sb: HubSpotSandbox;
  let url: string;
  let harness: Harness;
  let writer: CrmWriter;

  beforeAll(async () => {
    const started = await startSandbox({
      seed: 4,
      contacts: 50,
      companies: 10,
      deals: 40,
      clock,
      limits: 'off',
      onRequest: (r) => {
        requests.push({ method: r.method, path: r.path });
        onRequest?.(r);
      },
    });
    sb = started.sb;
    url = started.url;
    harness = await connectHarness(sb, url, { clock });
    writer = harness.connector().writer!();
  });
  afterAll(async () => {
    await harness?.close();
    await sb?.close();
  });

  it('creates the crm_agent group and every field, and reconciles properties that were already there', async () => {
    const registry = sb.state.properties;
    // Someone made two of them before: one with another label in another group, one with other options.
    registry.create('contacts', {
      name: 'crm_agent_churn_risk',
      label: 'Churn (old)',
      type: 'number',
      fieldType: 'number',
      groupName: 'contactinformation',
    });
    registry.create('companies', {
      name: 'crm_agent_segment',
      label: 'Segment',
      type: 'enumeration',
      fieldType: 'select',
      groupName: 'companyinformation',
      options: [
        { value: 'seg_a', label: 'Big spenders' },
        { value: 'seg_old', label: 'A segment that is gone' },
      ],
    });
    const report = await writer.provision({ fields: OUTPUT_FIELDS, segmentOptions: SEGMENTS });
    expect(report.updated.sort()).toEqual(['companies.crm_agent_segment', 'contacts.crm_agent_churn_risk']);
    expect(report.created).toEqual(
      expect.arrayContaining([
        'contacts.group:crm_agent',
        'tasks.group:crm_agent',
        'deals.crm_agent_win_probability',
        'tasks.crm_agent_task_key',
      ]),
    );
    for (const [apiType, type] of Object.entries(TYPES) as Array<
      [keyof typeof TYPES, (typeof TYPES)[keyof typeof TYPES]]
    >) {
      for (const field of OUTPUT_FIELDS.filter((f) => f.objects.includes(type))) {
        const def = registry.get(apiType, field.name)!;
        expect([apiType, field.name, def.label, def.groupName]).toEqual([
          apiType,
          field.name,
          field.label,
          'crm_agent',
        ]);
        const expected = {
          number: 'number',
          text: 'string',
          enumeration: 'enumeration',
          date: 'date',
          datetime: 'datetime',
        };
        expect(def.type).toBe(expected[field.type]);
      }
    }
    expect(registry.get('contacts', 'crm_agent_next_best_action')!.options.map((o) => o.value)).toContain('re_engage');
    // The company segment now offers the run's segments; the gone one stays, hidden, for records that hold it.
    expect(registry.get('companies', 'crm_agent_segment')!.options.map((o) => [o.value, o.label, o.hidden])).toEqual([
      ['seg_a', 'Loyal big spenders', false],
      ['seg_b', 'New and curious', false],
      ['seg_old', 'A segment that is gone', true],
    ]);
    expect(registry.get('tasks', 'crm_agent_task_key')).toMatchObject({ hasUniqueValue: true, type: 'string' });
    // Four groups and every wanted property, each made or reconciled once.
    expect(report.unchanged).toEqual([]);
    expect(report.created.length + report.updated.length).toBe(4 + countWanted());
  });

  it('a second provisioning finds everything in place: all unchanged, no write call, one read per object', async () => {
    requests.length = 0;
    const report = await writer.provision({ fields: OUTPUT_FIELDS, segmentOptions: SEGMENTS });
    expect(report.created).toEqual([]);
    expect(report.updated).toEqual([]);
    expect(report.unchanged).toHaveLength(countWanted());
    expect(requests).toEqual(
      ['contacts', 'companies', 'deals', 'tasks'].map((t) => ({ method: 'GET', path: `/crm/v3/properties/${t}` })),
    );
  });

  it('follows a renamed segment and a new one (options replaced as a whole, old ones kept hidden)', async () => {
    const report = await writer.provision({ fields: OUTPUT_FIELDS, segmentOptions: RENAMED });
    expect(report.updated.sort()).toEqual(['companies.crm_agent_segment', 'contacts.crm_agent_segment']);
    expect(sb.state.properties.get('contacts', 'crm_agent_segment')!.options.map((o) => [o.value, o.label])).toEqual([
      ['seg_a', 'Loyal'],
      ['seg_b', 'New and curious'],
      ['seg_c', 'Dormant'],
    ]);
  });

  it('a property another process makes between the read and the create (409) is reconciled, never a failure', async () => {
    const registry = sb.state.properties;
    registry.archive('deals', 'crm_agent_top_reasons');
    onRequest = (r) => {
      if (r.path === '/crm/v3/properties/deals/batch/create')
        registry.create('deals', {
          name: 'crm_agent_top_reasons',
          label: 'Reasons',
          type: 'string',
          fieldType: 'text',
          groupName: 'crm_agent',
        });
    };
    try {
      const report = await writer.provision({ fields: OUTPUT_FIELDS, segmentOptions: RENAMED });
      expect(report.created).toEqual([]);
      expect(report.updated).toEqual(['deals.crm_agent_top_reasons']);
      expect(registry.get('deals', 'crm_agent_top_reasons')).toMatchObject({
        label: 'Top reasons',
        fieldType: 'textarea',
      });
    } finally {
      onRequest = null;
    }
  });

  it('makes a property an admin deleted again; leaves one retyped to an unwritable type alone and reports it', async () => {
    const registry = sb.state.properties;
    // As an admin would (the properties API: DELETE archives, PATCH may change the type).
    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${url}/crm/v3/properties${path}`, {
        method,
        headers: { authorization: `Bearer ${sb.token}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      expect([method, path, response.ok]).toEqual([method, path, true]);
    };
    await api('DELETE', '/contacts/crm_agent_churn_risk');
    await api('PATCH', '/deals/crm_agent_win_probability', { type: 'string', fieldType: 'text' });
    try {
      const report = await writer.provision({ fields: OUTPUT_FIELDS, segmentOptions: RENAMED });
      expect(report.created).toEqual(['contacts.crm_agent_churn_risk']);
      expect(report.made).toEqual([{ objectType: 'contact', field: 'crm_agent_churn_risk' }]);
      expect(registry.get('contacts', 'crm_agent_churn_risk')).toMatchObject({ type: 'number' });
      expect(report.updated).toEqual([]);
      expect(report.skipped).toEqual([
        {
          objectType: 'deal',
          field: 'crm_agent_win_probability',
          reason: 'its type is now string, crm-agent writes number (deals.crm_agent_win_probability)',
        },
      ]);
      expect(registry.get('deals', 'crm_agent_win_probability')).toMatchObject({ type: 'string' });
    } finally {
      registry.update('deals', 'crm_agent_win_probability', { type: 'number', fieldType: 'number' });
    }
  });

  it("a dry run's provisioning check counts the calls the real provisioning then makes, and changes nothing", async () => {
    const deleted = await fetch(`${url}/crm/v3/properties/deals/crm_agent_top_reasons`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${sb.token}` },
    });
    expect(deleted.status).toBe(204);
    const mark = requests.length;
    const check = await writer.checkProvisioning!({ fields: OUTPUT_FIELDS, segmentOptions: RENAMED });
    expect(requests.slice(mark).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(check.created).toEqual(['deals.crm_agent_top_reasons']);
    expect(sb.state.properties.get('deals', 'crm_agent_top_reasons')).toBeUndefined();

    const before = requests.length;
    const real = await writer.provision({ fields: OUTPUT_FIELDS, segmentOptions: RENAMED });
    const made = requests.slice(before).filter((r) => r.path.startsWith('/crm/v3/properties'));
    expect(real.created).toEqual(check.created);
    expect(real.calls).toEqual(check.calls);
    // One read per object type, and one batch/create (the group is there: its other properties are in it).
    expect(check.calls).toEqual({ checks: 4, changes: 1 });
    expect(made).toHaveLength(check.calls!.checks + check.calls!.changes);
  });

  it('the install: the authorize URL carries client id, scopes, state and the PKCE challenge', async () => {
    const module = harness.runtime.module('hubspot');
    const pkce = createPkcePair();
    const redirectUri = 'https://crm-agent.example.com/oauth/hubspot/callback';
    const scopes = harness.runtime.manifest.crms.hubspot.scopes;
    const authorize = new URL(
      module.authorizeUrl!({
        redirectUri,
        state: 'state-123',
        codeChallenge: pkce.challenge,
        scopes: scopes.required,
        optionalScopes: scopes.optional,
      }),
    );
    expect(authorize.origin + authorize.pathname).toBe(`${url}/oauth/authorize`);
    expect(Object.fromEntries(authorize.searchParams)).toEqual({
      client_id: sb.clientId,
      redirect_uri: redirectUri,
      scope: scopes.required.join(' '),
      optional_scope: scopes.optional.join(' '),
      state: 'state-123',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    });

    // HubSpot approves and redirects back with a code; crm-agent trades it, with the verifier, for tokens.
    const approved = await fetch(authorize, { redirect: 'manual' });
    expect(approved.status).toBe(302);
    const back = new URL(approved.headers.get('location')!);
    expect(back.searchParams.get('state')).toBe('state-123');
    const code = back.searchParams.get('code')!;
    const { grant, account } = await module.exchangeCode!({
      code,
      redirectUri,
      codeVerifier: pkce.verifier,
      fetch: globalThis.fetch,
    });
    expect(account).toEqual({ externalId: String(sb.portalId), name: 'sandbox-4.hubspot.example', apiBaseUrl: url });
    expect(grant).toMatchObject({ expiresInSeconds: 1800, scopes: [...scopes.required, ...scopes.optional] });
    expect(grant.refreshToken).toMatch(/^na1-/);
    expect(
      (await fetch(`${url}/account-info/v3/details`, { headers: { authorization: `Bearer ${grant.accessToken}` } }))
        .status,
    ).toBe(200);
    // A code is good once.
    await expect(
      module.exchangeCode!({ code, redirectUri, codeVerifier: pkce.verifier, fetch: globalThis.fetch }),
    ).rejects.toThrow(/refused the authorization code \(BAD_AUTH_CODE\)/);
  });

  it("the install: a wrong PKCE verifier is refused with HubSpot's reason", async () => {
    const module = harness.runtime.module('hubspot');
    const pkce = createPkcePair();
    const redirectUri = 'https://crm-agent.example.com/oauth/hubspot/callback';
    const authorize = module.authorizeUrl!({
      redirectUri,
      state: 's',
      codeChallenge: pkce.challenge,
      scopes: ['oauth'],
      optionalScopes: [],
    });
    expect(new URL(authorize).searchParams.has('optional_scope')).toBe(false);
    const back = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location')!);
    await expect(
      module.exchangeCode!({
        code: back.searchParams.get('code')!,
        redirectUri,
        codeVerifier: createPkcePair().verifier,
        fetch: globalThis.fetch,
      }),
    ).rejects.toMatchObject({ code: 'CRM_API_ERROR', details: { status: 400, crmCode: 'invalid_grant' } });
  });
});

/** Every property crm-agent wants: each output field on each of its objects (segment included), and the task key. */
function countWanted(): number {
  return OUTPUT_FIELDS.reduce((n, f) => n + f.objects.length, 0) + 1;
}
